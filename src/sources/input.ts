import type { Readable } from 'node:stream';

/** One file-like object to ingest: a local file or an S3 object. */
export interface InputObject {
  /** Absolute path or s3://bucket/key; names the object in the lake and in error messages. */
  uri: string;
  size: number;
  /** Changes when the content changes (size+mtime locally, ETag on S3): a re-read is needed. */
  fingerprint: string;
  /** The object's bytes as stored (possibly gzip-compressed). */
  open(): Promise<Readable>;
}

/** A user error: printed as a one-line message telling what to fix, never as a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * An object could not be read at all or to its end (permissions, I/O, the network): a problem of the reading,
 * not of the content, so the object is not registered as read and the next run reads it again.
 */
export class UnreadableError extends Error {}
