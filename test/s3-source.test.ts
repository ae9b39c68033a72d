// The S3 input source against a real S3 API: s3rver on 127.0.0.1, started once for this file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DeleteObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { UnreadableError, UserError, type InputObject } from '../src/sources/input.js';
import {
  listS3Objects,
  parseS3Uri,
  toS3UserError,
  type S3ErrorContext,
  type S3SourceOptions,
} from '../src/sources/s3.js';
import { setEnv } from './helpers/env.js';
import { S3RVER_ENV, startS3rver, type S3rverHandle } from './helpers/s3rver.js';

const ACCOUNT = '123456789012';
const TRAIL_DAY = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/07/31/`;
const TRAIL_KEY = `${TRAIL_DAY}${ACCOUNT}_CloudTrail_us-east-1_20240731T1305Z_abc.json.gz`;
const TRAIL_KEY_2 = `${TRAIL_DAY}${ACCOUNT}_CloudTrail_us-east-1_20240731T1310Z_def.json.gz`;
const TRAIL_NEXT_DAY_KEY = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/08/01/${ACCOUNT}_CloudTrail_us-east-1_20240801T0005Z_ghi.json.gz`;
const DIGEST_KEY = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/07/31/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20240731T130500Z.json.gz`;
const FLOW_KEY = `AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2024/07/31/${ACCOUNT}_vpcflowlogs_us-east-1_fl-0abc_20240731T1305Z_0f1e.log.gz`;

const CLOUDTRAIL_DOC = JSON.stringify({
  Records: [{ eventVersion: '1.09', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' }],
});

let s3: S3rverHandle;
let restoreEnv: () => void;

before(async () => {
  // Only s3rver's keys, no profile or config files, and never the EC2 metadata service.
  restoreEnv = setEnv({
    ...S3RVER_ENV,
    AWS_PROFILE: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'gumshoe-no-such-aws-credentials'),
    AWS_CONFIG_FILE: path.join(os.tmpdir(), 'gumshoe-no-such-aws-config'),
  });
  s3 = await startS3rver({ buckets: ['logs', 'bulk'] });
});

after(async () => {
  await s3?.stop();
  restoreEnv?.();
});

test('parseS3Uri splits bucket and prefix', () => {
  assert.deepEqual(parseS3Uri('s3://logs'), { bucket: 'logs', prefix: '' });
  assert.deepEqual(parseS3Uri('s3://logs/'), { bucket: 'logs', prefix: '' });
  assert.deepEqual(parseS3Uri(`s3://logs/${TRAIL_DAY}`), { bucket: 'logs', prefix: TRAIL_DAY });
  assert.deepEqual(parseS3Uri('s3://my.bucket-1/AWSLogs'), { bucket: 'my.bucket-1', prefix: 'AWSLogs' });
});

test('parseS3Uri rejects malformed URIs with a UserError', () => {
  for (const [uri, message] of [
    ['s3://', /has no bucket name/],
    ['s3:///AWSLogs/', /has no bucket name/],
    ['logs/AWSLogs/', /not an S3 URI/],
    ['https://logs.s3.amazonaws.com/AWSLogs/', /not an S3 URI/],
    ['s3:/logs/AWSLogs/', /not an S3 URI/],
    ['s3://my bucket/AWSLogs/', /invalid S3 bucket name "my bucket"/],
  ] as const) {
    assert.throws(() => parseS3Uri(uri), (error: unknown) => {
      assert.ok(error instanceof UserError, `${uri} should give a UserError`);
      assert.match(error.message, message);
      return true;
    });
  }
});

test('listings beyond 1,000 keys are read page by page, as the pages arrive', async () => {
  // 1,200 objects: past S3's 1,000-key page limit, yet few enough to seed quickly.
  const keys = Array.from({ length: 1200 }, (_, i) => `${TRAIL_DAY}${String(i).padStart(5, '0')}.json.gz`);
  await s3.seedObjects('bulk', [
    ...keys.map((key): [string, string] => [key, 'x']),
    ['AWSLogs/other.json.gz', 'outside the prefix'],
  ]);
  const expected = keys.map((key) => `s3://bulk/${key}`).sort();
  const listCalls = async () => (await s3.requests()).filter((line) => /^GET \/bulk\/\?.*list-type=2/.test(line)).length;

  const before = await listCalls();
  const listing = listS3Objects(`s3://bulk/${TRAIL_DAY}`, { endpoint: s3.endpoint });
  const first = await listing.next();
  assert.equal(first.done, false);
  assert.equal(await listCalls(), before + 1, 'the first object arrives after fetching only the first page');
  const uris = [(first.value as InputObject).uri];
  for await (const object of listing) uris.push(object.uri);
  assert.equal(await listCalls(), before + 2);
  assert.equal(new Set(uris).size, uris.length, 'no object is listed twice');
  assert.deepEqual(uris.sort(), expected);

  // Small pages chain many continuation tokens.
  const beforeSmall = await listCalls();
  const small = await collect(`s3://bulk/${TRAIL_DAY}`, s3.endpoint, { pageSize: 100 });
  assert.equal(await listCalls(), beforeSmall + 12);
  assert.deepEqual(small.map((object) => object.uri).sort(), expected);
});

test('directory markers and empty objects are skipped; the prefix filters keys', async () => {
  const gz = gzipSync(CLOUDTRAIL_DOC);
  await s3.putObjects('logs', [
    [TRAIL_KEY, gz],
    [TRAIL_KEY_2, gz],
    [TRAIL_NEXT_DAY_KEY, gz],
    [DIGEST_KEY, gz],
    [FLOW_KEY, gzipSync('2 123456789012 eni-0abc 10.0.0.1 10.0.0.2 443 49152 6 10 840 1722431100 1722431160 ACCEPT OK\n')],
    [`AWSLogs/${ACCOUNT}/CloudTrail/`, ''], // console-style folder marker
    [`AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/07/31/`, 'a marker with content is still a marker'],
    [`${TRAIL_DAY}${ACCOUNT}_CloudTrail_us-east-1_20240731T1320Z_empty.json.gz`, ''],
  ]);

  const trail = await collect(`s3://logs/AWSLogs/${ACCOUNT}/CloudTrail/`, s3.endpoint);
  assert.deepEqual(
    trail.map((object) => object.uri).sort(),
    [TRAIL_KEY, TRAIL_KEY_2, TRAIL_NEXT_DAY_KEY].map((key) => `s3://logs/${key}`).sort(),
  );
  for (const object of trail) assert.equal(object.size, gz.length);

  const oneDay = await collect(`s3://logs/${TRAIL_DAY}`, s3.endpoint);
  assert.deepEqual(oneDay.map((object) => object.uri).sort(), [`s3://logs/${TRAIL_KEY}`, `s3://logs/${TRAIL_KEY_2}`]);

  // A prefix is a plain string prefix, as in S3: without the slash it also matches CloudTrail-Digest.
  const noSlash = await collect(`s3://logs/AWSLogs/${ACCOUNT}/CloudTrail`, s3.endpoint);
  assert.ok(noSlash.some((object) => object.uri === `s3://logs/${DIGEST_KEY}`));

  const whole = await collect('s3://logs', s3.endpoint);
  assert.ok(whole.some((object) => object.uri === `s3://logs/${FLOW_KEY}`));
  assert.ok(whole.every((object) => !object.uri.endsWith('/') && object.size > 0));
});

test('open() returns the exact stored bytes (gzip is not decompressed)', async () => {
  const gz = gzipSync(CLOUDTRAIL_DOC);
  const binary = Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i % 256));
  const key = `${TRAIL_DAY}${ACCOUNT}_CloudTrail_us-east-1_20240731T1400Z_bytes.json.gz`;
  await s3.putObjects('logs', [
    [key, gz],
    ['binary/all-bytes.bin', binary],
  ]);

  const [object] = await collect(`s3://logs/${key}`, s3.endpoint);
  assert.ok(object);
  const bytes = await readAll(await object.open());
  assert.deepEqual(bytes, gz);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
  assert.equal(gunzipSync(bytes).toString('utf8'), CLOUDTRAIL_DOC);

  const [binaryObject] = await collect('s3://logs/binary/', s3.endpoint);
  assert.ok(binaryObject);
  assert.deepEqual(await readAll(await binaryObject.open()), binary);
});

test('the fingerprint is the ETag plus size and changes when the object is overwritten', async () => {
  const key = 'fingerprint/object.json';
  const first = Buffer.from('{"version":1}');
  const second = Buffer.from('{"version":2}'); // same size: only the ETag can tell them apart
  await s3.putObjects('logs', [[key, first]]);

  const [before] = await collect(`s3://logs/${key}`, s3.endpoint);
  const [again] = await collect(`s3://logs/${key}`, s3.endpoint);
  assert.ok(before && again);
  assert.equal(again.fingerprint, before.fingerprint, 'stable while the object is unchanged');
  assert.ok(before.fingerprint.includes(md5(first)), before.fingerprint);
  assert.ok(before.fingerprint.includes(String(first.length)), before.fingerprint);
  assert.ok(!before.fingerprint.includes('"'), 'ETag quotes are stripped');

  await s3.putObjects('logs', [[key, second]]);
  const [after] = await collect(`s3://logs/${key}`, s3.endpoint);
  assert.ok(after);
  assert.notEqual(after.fingerprint, before.fingerprint);
  assert.ok(after.fingerprint.includes(md5(second)), after.fingerprint);
  assert.deepEqual(await readAll(await after.open()), second);
});

test('a missing bucket is a UserError that says what to check', async () => {
  await assert.rejects(collect('s3://no-such-bucket/AWSLogs/', s3.endpoint), {
    name: 'UserError',
    message: 'no such bucket: no-such-bucket (check the s3:// URI and --region)',
  });
});

test('an access key s3rver does not know is reported as rejected credentials', async () => {
  const restore = setEnv({ AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
  try {
    await assert.rejects(collect('s3://logs/AWSLogs/', s3.endpoint), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(
        error.message,
        'AWS credentials were rejected or not found for s3://logs/AWSLogs/: ' +
          'The AWS Access Key Id you provided does not exist in our records. ' +
          'Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
      );
      return true;
    });
  } finally {
    restore();
  }
});

test('no credentials anywhere is reported as missing credentials', async () => {
  const restore = setEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
  try {
    await assert.rejects(collect('s3://logs/AWSLogs/', s3.endpoint), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /^AWS credentials were rejected or not found for s3:\/\/logs\/AWSLogs\/: .+\. Set AWS_PROFILE or AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY\.$/);
      return true;
    });
  } finally {
    restore();
  }
});

test('an unreachable endpoint fails fast with a UserError naming it', async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const started = Date.now();
  await assert.rejects(collect('s3://logs/AWSLogs/', endpoint), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, new RegExp(`^cannot reach the S3 endpoint ${endpoint}: .*ECONNREFUSED`));
    return true;
  });
  assert.ok(Date.now() - started < 5000, 'retries are kept short for custom endpoints');
});

test('a region that cannot be a host name is a UserError naming where it came from', async () => {
  await assert.rejects(collect('s3://logs/', s3.endpoint, { region: 'eu west-1' }), {
    name: 'UserError',
    message: 'invalid AWS region "eu west-1" (from --region): expected a name such as eu-west-1',
  });
});

test('an invalid endpoint URL is a UserError', async () => {
  await assert.rejects(collect('s3://logs/', 'not a url'), {
    name: 'UserError',
    message: /^invalid S3 endpoint URL: not a url/,
  });
});

test('open() of an object deleted after listing is unreadable, naming its URI: the other objects are still read', async () => {
  const key = 'deleted/soon.json';
  await s3.putObjects('logs', [[key, '{}']]);
  const [object] = await collect(`s3://logs/${key}`, s3.endpoint);
  assert.ok(object);
  await s3.client.send(new DeleteObjectCommand({ Bucket: 'logs', Key: key }));

  await assert.rejects(object.open(), (error: Error) => {
    assert.ok(error instanceof UnreadableError, String(error));
    // The run puts the object's URI in front of the reason.
    assert.equal(error.message, 'S3 object not found (was it deleted after it was listed?)');
    return true;
  });
});

// s3rver ignores SigV4 signatures (a wrong secret is accepted) and has no policies or session
// tokens, so these errors are built the way the SDK builds them and passed to the mapping directly.
test('SDK errors s3rver cannot produce map to the documented UserErrors', () => {
  const context: S3ErrorContext = {
    action: 'listing',
    uri: 's3://logs/AWSLogs/',
    bucket: 'logs',
    region: 'us-east-1',
  };
  const credentialHint = 'Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.';
  const cases: [Error, string][] = [
    [
      serviceError('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided.'),
      `AWS credentials were rejected or not found for s3://logs/AWSLogs/: The request signature we calculated does not match the signature you provided. ${credentialHint}`,
    ],
    [
      serviceError('ExpiredToken', 400, 'The provided token has expired.'),
      `AWS credentials were rejected or not found for s3://logs/AWSLogs/: The provided token has expired. ${credentialHint}`,
    ],
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      `AWS credentials were rejected or not found for s3://logs/AWSLogs/: Could not load credentials from any providers. ${credentialHint}`,
    ],
    [serviceError('AccessDenied', 403, 'Access Denied'), 'access denied listing s3://logs/AWSLogs/: Access Denied'],
    [
      Object.assign(new Error('getaddrinfo ENOTFOUND s3.us-east-1.amazonaws.com'), { code: 'ENOTFOUND' }),
      'cannot reach the S3 endpoint https://s3.us-east-1.amazonaws.com: getaddrinfo ENOTFOUND s3.us-east-1.amazonaws.com',
    ],
    [
      serviceError('SlowDown', 503, 'Please reduce your request rate.'),
      'S3 error listing s3://logs/AWSLogs/: SlowDown: Please reduce your request rate',
    ],
    [
      Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      'TLS failed with the S3 endpoint https://s3.us-east-1.amazonaws.com: self-signed certificate (for a private certificate authority, name its certificate in NODE_EXTRA_CA_CERTS)',
    ],
    [
      Object.assign(new Error('write EPROTO 80EB1C0B:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), { code: 'EPROTO' }),
      'TLS failed with the S3 endpoint https://s3.us-east-1.amazonaws.com: write EPROTO 80EB1C0B:error:0A00010B:SSL routines:ssl3_get_record:wrong version number (does the endpoint speak plain http? then write it as http://)',
    ],
  ];
  for (const [error, message] of cases) {
    const mapped = toS3UserError(error, context);
    assert.ok(mapped instanceof UserError, `${error.name} should map to a UserError`);
    assert.equal(mapped.message, message);
  }

  const bug = new TypeError('cannot read properties of undefined');
  assert.equal(toS3UserError(bug, context), bug, 'programming errors are not disguised as user errors');
});

async function collect(uri: string, endpoint: string, options: S3SourceOptions = {}): Promise<InputObject[]> {
  const objects: InputObject[] = [];
  for await (const object of listS3Objects(uri, { ...options, endpoint })) objects.push(object);
  return objects;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function serviceError(name: string, httpStatusCode: number, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message });
}

/** A port on 127.0.0.1 that nothing listens on: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}
