/** The public shape of an ingest run (implemented in ingest.ts). */
export const SOURCE_TYPES = ['cloudtrail', 'vpcflow', 'route53', 'guardduty'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export interface IngestOptions {
  /** Force the format of every input instead of detecting it per file. */
  forceType?: SourceType;
  /**
   * The field order of VPC flow logs without a header line (CloudWatch Logs messages, lines cut from a file):
   * their LogFormat (`${version} ${account-id} …`) or the field names separated by spaces. A file with a header
   * line is read in its header's order. Unknown or repeated names are a UserError before anything is read.
   */
  flowFormat?: string;
  /** S3-compatible endpoint for s3:// inputs (e.g. http://127.0.0.1:4569). */
  endpoint?: string;
  /** AWS region for s3:// inputs (default: the SDK's chain, else us-east-1). */
  region?: string;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * DuckDB's memory limit while ingesting into a lake at the default limit (default 160MB, or
   * GUMSHOE_INGEST_MEMORY_LIMIT); a batch that runs out of memory at it is committed again at twice the
   * limit, up to the lake's own.
   */
  memoryLimit?: string;
}

export interface IngestProgress {
  filesDone: number;
  records: number;
  bytes: number;
  currentUri?: string;
}

export interface RecordCounts {
  read: number;
  stored: number;
  duplicates: number;
  quarantined: number;
}

export interface IngestSummary extends RecordCounts {
  files: number;
  /** Files already read in an earlier run (same fingerprint), not read again. */
  filesUnchanged: number;
  /** Files recognised as not holding events (CloudTrail digests, unrecognised formats). */
  filesSkipped: number;
  byType: Partial<Record<SourceType, RecordCounts & { files: number }>>;
  warnings: string[];
  /** Files that could not be read (permissions, I/O, the network), with why: not registered, so read again next time. */
  unreadable: string[];
  seconds: number;
}
