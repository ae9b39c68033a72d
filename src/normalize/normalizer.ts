import type { SourceType } from '../lake/ingest-api.js';
import type { EventTable } from '../lake/schema.js';

/** A file taking part in a batch, as the normalizers see it. */
export interface BatchFile {
  fileId: number;
  uri: string;
  sourceType: SourceType;
  /** VPC Flow Logs: the field names of the file's format, in order. */
  flowFields?: string[];
  /** VPC Flow Logs: why the file's header cannot be used (every record is quarantined with it). */
  formatError?: string;
}

/** Names the framed records of some files: file_id, line, idx (position in a JSON document, else NULL), raw, broken. */
export type RecordSource = (fileIds: number[]) => string;

/**
 * Turns framed records into rows of one lake table, in SQL. Each SELECT yields the target table's columns
 * plus `reason` (NULL when the record is valid, else why it goes to quarantine) and `record_index`.
 */
export interface Normalizer {
  sourceType: SourceType;
  table: EventTable;
  selects(files: BatchFile[], from: RecordSource): string[];
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** SQL string literal: the regular expression of a dotted-quad IPv4 address (no leading zeros, octets to 255). */
export const DOTTED_QUAD = `'${OCTET}([.]${OCTET}){3}'`;

/** SQL: whether a text is a dotted-quad IPv4 address, or hexadecimal groups and colons as IPv6 addresses are. */
export function isIpAddress(text: string): string {
  return `(regexp_full_match(${text}, ${DOTTED_QUAD}) OR (contains(${text}, ':') AND regexp_full_match(${text}, '[0-9a-fA-F:.]+')))`;
}
