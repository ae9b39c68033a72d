import { Readable } from 'node:stream';
import type { S3Client, _Object as S3ObjectSummary } from '@aws-sdk/client-s3';
import { type InputObject, UnreadableError, UserError } from './input.js';

/** The AWS SDK takes ~0.25 s to load: only when an s3:// input is listed, not with every command. */
const loadSdk = () => import('@aws-sdk/client-s3');

export interface S3SourceOptions {
  /** A custom S3-compatible endpoint (MinIO, LocalStack, s3rver); path-style addressing is used. */
  endpoint?: string;
  region?: string;
  /** Keys per ListObjectsV2 request; S3 caps (and defaults) it at 1000. Smaller pages are for tests. */
  pageSize?: number;
}

/** What an S3 error happened during, so the message can name the operation and the object. */
export interface S3ErrorContext {
  action: 'listing' | 'reading';
  /** The s3:// URI being listed or read. */
  uri: string;
  bucket: string;
  /** The configured endpoint, or undefined for AWS itself. */
  endpoint?: string;
  region: string;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'TokenRefreshRequired',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** TLS failures: an https endpoint that speaks plain http, or a certificate Node does not trust. */
const TLS_ERROR_CODES = new Set([
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Splits `s3://bucket/some/prefix` into bucket and key prefix (possibly empty). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(uri);
  if (!match) {
    throw new UserError(`not an S3 URI: ${uri} (expected s3://bucket/prefix)`);
  }
  const bucket = match[1] ?? '';
  const prefix = match[2] ?? '';
  if (bucket === '') {
    throw new UserError(`the S3 URI ${uri} has no bucket name (expected s3://bucket/prefix)`);
  }
  // Loose check: real names are stricter, but legacy buckets allow capitals and underscores.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(bucket) || bucket.length > 255) {
    throw new UserError(`invalid S3 bucket name "${bucket}" in ${uri}`);
  }
  return { bucket, prefix };
}

/**
 * A user error for an s3:// input that cannot be listed as written (its URI, the region, the endpoint):
 * ingest checks every input before reading any.
 */
export function checkS3Target(uri: string, options: S3SourceOptions): void {
  parseS3Uri(uri);
  resolveRegion(options);
  if (options.endpoint) checkEndpoint(options.endpoint);
}

function checkEndpoint(endpoint: string): void {
  try {
    new URL(endpoint);
  } catch {
    throw new UserError(`invalid S3 endpoint URL: ${endpoint} (expected e.g. http://127.0.0.1:9000)`);
  }
}

/** Every object under an s3:// prefix, yielded page by page as the listing arrives. */
export async function* listS3Objects(
  uri: string,
  options: S3SourceOptions,
): AsyncGenerator<InputObject> {
  const { bucket, prefix } = parseS3Uri(uri);
  const region = resolveRegion(options);
  const client = await createS3Client(options, region);
  const { ListObjectsV2Command } = await loadSdk();
  const context: S3ErrorContext = {
    action: 'listing',
    uri: `s3://${bucket}/${prefix}`,
    bucket,
    endpoint: options.endpoint || undefined,
    region,
  };

  let continuationToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
          MaxKeys: options.pageSize,
        }),
      );
    } catch (error) {
      throw toS3UserError(error, context);
    }
    for (const summary of page.Contents ?? []) {
      if (isIngestible(summary)) {
        yield s3Object(client, bucket, summary, { ...context, action: 'reading' });
      }
    }
    // Done when S3 says so; a truncated page without a token also ends it rather than re-listing.
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
}

function resolveRegion(options: S3SourceOptions): string {
  const region = options.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  // The SDK builds host names from it and fails deep inside with an error that looks like a bug.
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/i.test(region)) {
    const from = options.region ? '--region' : process.env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION';
    throw new UserError(`invalid AWS region "${region}" (from ${from}): expected a name such as eu-west-1`);
  }
  return region;
}

async function createS3Client(options: S3SourceOptions, region: string): Promise<S3Client> {
  // The pinned SDK warns on every run that SDK releases after January 2027 will need Node 22; Gumshoe's own
  // runtime requirement is what users act on, so the warning is left out unless they ask for it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client } = await loadSdk();
  if (!options.endpoint) {
    // Real AWS: follow a 301 to the bucket's actual region rather than failing on a wrong --region.
    return new S3Client({ region, followRegionRedirects: true });
  }
  checkEndpoint(options.endpoint);
  // Custom endpoints are usually local and path-style only; fail fast instead of retrying for long.
  return new S3Client({ region, endpoint: options.endpoint, forcePathStyle: true, maxAttempts: 2 });
}

/** Directory markers ("folder/") and empty objects hold no log records. */
function isIngestible(summary: S3ObjectSummary): summary is S3ObjectSummary & { Key: string } {
  return summary.Key !== undefined && !summary.Key.endsWith('/') && (summary.Size ?? 0) > 0;
}

function s3Object(
  client: S3Client,
  bucket: string,
  summary: S3ObjectSummary & { Key: string },
  context: S3ErrorContext,
): InputObject {
  const uri = `s3://${bucket}/${summary.Key}`;
  const size = summary.Size ?? 0;
  const etag = (summary.ETag ?? '').replace(/"/g, '');
  return {
    uri,
    size,
    fingerprint: `${size}:${etag}`,
    open: () => openS3Object(client, bucket, summary.Key, { ...context, uri }),
  };
}

async function openS3Object(
  client: S3Client,
  bucket: string,
  key: string,
  context: S3ErrorContext,
): Promise<Readable> {
  const { GetObjectCommand } = await loadSdk();
  let response;
  try {
    response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    const converted = toS3UserError(error, context);
    // One object refused, gone or failing does not stop the others; credentials and the endpoint do. The
    // run names the object in front of the reason.
    if (!(converted instanceof UserError && isObjectError(error))) throw converted;
    throw new UnreadableError(converted.message.replace(` ${describeAction(context)}`, '').replace(`: ${context.uri}`, ''));
  }
  const body = response.Body;
  // In Node the SDK returns an IncomingMessage; anything else means a non-Node HTTP handler.
  if (!(body instanceof Readable)) {
    throw new Error(`unexpected GetObject body type for ${context.uri}`);
  }
  return body;
}

/**
 * Turns an SDK or network error into a one-line UserError that says what to fix.
 * Errors that are neither from S3 nor from the network are returned unchanged (they are bugs).
 */
export function toS3UserError(error: unknown, context: S3ErrorContext): Error {
  if (!(error instanceof Error)) return new UserError(`${describeAction(context)}: ${String(error)}`);
  const name = errorName(error);
  // SDK messages often end in a period; ours add more text after them.
  const message = (error.message || name).replace(/\.$/, '');

  if (name === 'NoSuchBucket') {
    return new UserError(`no such bucket: ${context.bucket} (check the s3:// URI and --region)`);
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new UserError(
      `AWS credentials were rejected or not found for ${context.uri}: ${message}. ` +
        'Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
    );
  }
  if (name === 'AccessDenied' || name === 'AllAccessDisabled') {
    return new UserError(`access denied ${describeAction(context)}: ${message}`);
  }
  if (name === 'NoSuchKey' || name === 'NotFound') {
    return new UserError(`S3 object not found: ${context.uri} (was it deleted after it was listed?)`);
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    return new UserError(`bucket ${context.bucket} is not in region ${context.region}: ${message} (set --region)`);
  }
  const endpoint = context.endpoint ?? `https://s3.${context.region}.amazonaws.com`;
  const code = networkErrorCode(error);
  if (code !== undefined) {
    const detail = message.includes(code) ? message : `${code} ${message}`;
    return new UserError(`cannot reach the S3 endpoint ${endpoint}: ${detail}`);
  }
  const tls = tlsErrorCode(error);
  if (tls !== undefined) {
    const hint =
      tls === 'EPROTO'
        ? 'does the endpoint speak plain http? then write it as http://'
        : 'for a private certificate authority, name its certificate in NODE_EXTRA_CA_CERTS';
    return new UserError(`TLS failed with the S3 endpoint ${endpoint}: ${message} (${hint})`);
  }
  if (isS3ServiceError(error)) {
    return new UserError(`S3 error ${describeAction(context)}: ${name}: ${message}`);
  }
  return error;
}

function describeAction(context: S3ErrorContext): string {
  return `${context.action} ${context.uri}`;
}

/** S3 errors carry their error code in `name`; credential-provider errors do too. */
function errorName(error: Error): string {
  const code = (error as { Code?: unknown }).Code;
  return typeof code === 'string' ? code : error.name;
}

/** The error code among `codes` of a connection failure, looking inside AggregateError (happy-eyeballs dialing). */
function connectionErrorCode(error: Error, codes: ReadonlySet<string>): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && codes.has(code)) return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      if (inner instanceof Error) {
        const innerCode = connectionErrorCode(inner, codes);
        if (innerCode !== undefined) return innerCode;
      }
    }
  }
  return undefined;
}

const networkErrorCode = (error: Error) => connectionErrorCode(error, NETWORK_ERROR_CODES);
const tlsErrorCode = (error: Error) => connectionErrorCode(error, TLS_ERROR_CODES);

/** An error of one object (denied, deleted since the listing, KMS, a server error), not of the bucket or credentials. */
function isObjectError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = errorName(error);
  if (CREDENTIAL_ERRORS.has(name) || name === 'NoSuchBucket' || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') return false;
  return networkErrorCode(error) === undefined && tlsErrorCode(error) === undefined && isS3ServiceError(error);
}

function isS3ServiceError(error: Error): boolean {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return (error as { $fault?: unknown }).$fault !== undefined || metadata?.httpStatusCode !== undefined;
}
