// A real S3 API (s3rver) on 127.0.0.1 for tests: a fresh temp directory and a free port per server.
//
// s3rver runs in a child Node process started with --openssl-legacy-provider: s3rver 3.7.1 encrypts
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) refuses by default, so any
// truncated listing would otherwise fail with a 500 InternalError.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** s3rver accepts exactly this key pair (any other access key id gets InvalidAccessKeyId). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** Environment for code (or a child process) that uses the standard AWS credential chain. */
export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
} as const;

export interface S3rverHandle {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  /** Where s3rver keeps buckets and objects; removed by stop(). */
  directory: string;
  /** A client with s3rver's credentials, for setting up fixtures. */
  client: S3Client;
  createBucket(bucket: string): Promise<void>;
  /** Uploads objects through the S3 API (PutObject) with bounded concurrency. */
  putObjects(bucket: string, objects: Iterable<[key: string, body: string | Uint8Array]>): Promise<void>;
  /**
   * Writes objects straight into s3rver's on-disk store, bypassing the API: s3rver handles only a
   * few hundred PutObjects a second, too slow for listings of thousands. The bucket must exist.
   */
  seedObjects(bucket: string, objects: Iterable<[key: string, body: string | Uint8Array]>): Promise<void>;
  /** "METHOD /path?query" of every request the server has received so far, in order. */
  requests(): Promise<string[]>;
  stop(): Promise<void>;
}

type ChildMessage =
  | { type: 'listening'; port: number }
  | { type: 'requests'; requests: string[] }
  | { type: 'error'; message: string };

// Plain CommonJS so the child needs no TypeScript loader. It reports its port, answers
// request-log queries, and exits when told to stop or when the parent goes away.
const CHILD_SOURCE = `
const S3rver = require(process.env.S3RVER_MODULE);
const options = JSON.parse(process.env.S3RVER_OPTIONS);
const requests = [];
const server = new S3rver(options);
server.run().then(
  (address) => {
    server.httpServer.on('request', (req) => requests.push(req.method + ' ' + req.url));
    process.send({ type: 'listening', port: address.port });
  },
  (error) => process.send({ type: 'error', message: String(error && error.stack || error) }, () => process.exit(1)),
);
process.on('message', (message) => {
  if (message.type === 'requests') process.send({ type: 'requests', requests });
  if (message.type === 'stop') server.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
`;

const require = createRequire(import.meta.url);

export async function startS3rver(options: { buckets?: string[] } = {}): Promise<S3rverHandle> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'gumshoe-s3rver-'));
  const s3rverOptions = {
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  };
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SOURCE], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      S3RVER_MODULE: require.resolve('s3rver'),
      S3RVER_OPTIONS: JSON.stringify(s3rverOptions),
    },
  });

  let port: number;
  try {
    port = (await nextMessage(child, 'listening')).port;
  } catch (error) {
    child.kill();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });

  return {
    endpoint,
    directory,
    client,
    createBucket: async (bucket) => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    putObjects: (bucket, objects) => putAll(client, bucket, objects),
    seedObjects: (bucket, objects) => seedAll(directory, bucket, objects),
    requests: async () => {
      const reply = nextMessage(child, 'requests');
      child.send({ type: 'requests' });
      return (await reply).requests;
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'stop' });
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Resolves with the child's next message of the given type; rejects if it errors or exits first. */
function nextMessage<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === type) {
        cleanup();
        resolve(message as Extract<ChildMessage, { type: T }>);
      } else if (message.type === 'error') {
        cleanup();
        reject(new Error(`s3rver failed to start: ${message.message}`));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`s3rver exited (code ${code}) while waiting for "${type}"`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function putAll(
  client: S3Client,
  bucket: string,
  objects: Iterable<[string, string | Uint8Array]>,
  concurrency = 32,
): Promise<void> {
  const iterator = objects[Symbol.iterator]();
  // Each worker pulls the next pending object; the shared iterator hands each out once.
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const [key, body] = next.value;
      // An explicit length: the SDK warns about "streams of unknown length" for empty bodies.
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: length }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * s3rver 3.x's FilesystemStore keeps key "a/b/c" as the file <dir>/<bucket>/a/b/c._S3rver_object;
 * the metadata file is optional and the MD5 ETag is computed (and cached) on first read.
 */
async function seedAll(
  directory: string,
  bucket: string,
  objects: Iterable<[string, string | Uint8Array]>,
  concurrency = 16,
): Promise<void> {
  // One mkdir per directory, shared by the workers writing into it.
  const made = new Map<string, Promise<unknown>>();
  const iterator = objects[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const [key, body] = next.value;
      const file = path.join(directory, bucket, `${key}._S3rver_object`);
      const parent = path.dirname(file);
      if (!made.has(parent)) made.set(parent, mkdir(parent, { recursive: true }));
      await made.get(parent);
      await writeFile(file, body);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
