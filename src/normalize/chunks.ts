import { isUtf8 } from 'node:buffer';
import type { SourceType } from '../lake/ingest-api.js';
import type { Detection, FlowFormat } from './detect.js';
import type { ScratchBuffer } from './scratch-buffer.js';

/**
 * How framed records travel to the lake, unparsed: JSON lines and flow-log lines as the bytes of many whole
 * lines; records cut out of a JSON document (or CloudWatch Logs messages) as byte ranges of a buffer; the few
 * that cannot be a stage-file line as text. The lake parses and validates them in bulk.
 */
export const enum ChunkKind {
  Lines = 0,
  Elements = 1,
  Single = 2,
  LineBytes = 3,
}

/** Newline-separated lines, or one record on its own, as text (for the lake's staging table). */
export interface TextChunk {
  kind: ChunkKind.Lines | ChunkKind.Single;
  firstLine: number;
  /** Index of the record in its JSON document (single records cut from a document), else 0. */
  firstIndex: number;
  text: string;
  /** Why this single record cannot be valid (a truncated file), if so. */
  broken?: string;
}

/** Whole lines, UTF-8, with the newlines between them but none after the last (CRLF already made LF). */
export interface LineBytesChunk {
  kind: ChunkKind.LineBytes;
  firstLine: number;
  bytes: Buffer;
}

/** Records cut out of a JSON document, each exactly as written: byte ranges of the document. */
export interface ElementsChunk {
  kind: ChunkKind.Elements;
  /** Index of the first record in the document. */
  firstIndex: number;
  /** The document, UTF-8. */
  bytes: Buffer;
  /** Record i is `bytes[starts[i], ends[i])`. */
  starts: number[];
  ends: number[];
  /** Line on which each element starts. */
  elementLines: number[];
  /** Bytes in all elements. */
  size: number;
  /** True when no element can hold a line break or a unit separator (minified documents, as AWS delivers them). */
  plain: boolean;
}

export type StageChunk = TextChunk | LineBytesChunk | ElementsChunk;

/** Bytes (characters, for text) a chunk carries, for batch sizing and progress. */
export function chunkSize(chunk: StageChunk): number {
  if (chunk.kind === ChunkKind.Elements) return chunk.size;
  return chunk.kind === ChunkKind.LineBytes ? chunk.bytes.length : chunk.text.length;
}

export type FileFormat = Extract<Detection, { sourceType: SourceType }> & FlowFormat;

/** What a framer yields for a file: its format (first), or why it is skipped; then its records, in chunks. */
export type FramedItem = { format: FileFormat } | { skip: string } | { chunk: StageChunk };

/** New bytes a framer reads before it yields what they complete. */
export const CHUNK_TARGET = 4 << 20;
export const NEWLINE = 10;
export const CARRIAGE_RETURN = 13;
/** Separates the fields of a stage-file line (see batch.ts). */
export const UNIT_SEPARATOR = 0x1f;
/**
 * The longest line taken as a record: a longer one (a file of the wrong type forced with --type, a dump
 * without newlines) is quarantined with its first bytes instead of being gathered whole into memory.
 */
export const MAX_LINE_BYTES = 64 << 20;
/** What a quarantined over-long line keeps of itself. */
export const LONG_LINE_KEPT = 64 << 10;
export const LONG_LINE = `line longer than ${MAX_LINE_BYTES >> 20} MiB: not a record`;

/** The object's bytes are damaged (a corrupt gzip, a broken Parquet file): the records before the damage count. */
export class DecodeError extends Error {}

/**
 * Records `bytes[starts[i], ends[i])` as a chunk. Bytes that are not UTF-8 are replaced (U+FFFD), as a text
 * decoder would, since the lake reads UTF-8 only; a record's bytes never cut a character, so each is
 * replaced on its own.
 */
export function elementsChunk(bytes: Buffer, firstIndex: number, starts: number[], ends: number[], elementLines: number[], size: number): ElementsChunk {
  // One check for all the records spares a check per record: a minified document is one line.
  const records = bytes.subarray(starts[0], ends[ends.length - 1]);
  const plain = !records.includes(NEWLINE) && !records.includes(CARRIAGE_RETURN) && !records.includes(UNIT_SEPARATOR);
  if (isUtf8(records)) return { kind: ChunkKind.Elements, firstIndex, bytes, starts, ends, elementLines, size, plain };
  const texts = starts.map((start, i) => Buffer.from(bytes.toString('utf8', start, ends[i])));
  const fixedStarts: number[] = [];
  const fixedEnds: number[] = [];
  let at = 0;
  for (const text of texts) {
    fixedStarts.push(at);
    at += text.length;
    fixedEnds.push(at);
  }
  return { kind: ChunkKind.Elements, firstIndex, bytes: Buffer.concat(texts, at), starts: fixedStarts, ends: fixedEnds, elementLines, size: at, plain };
}

/** About CHUNK_TARGET new bytes of a file, after what the last window's reader still needed. */
export interface Window {
  bytes: Buffer;
  /** Bytes of the last window left out at this one's start (its reader's keepFrom). */
  dropped: number;
  /** No bytes follow. */
  final: boolean;
  /** The damage that ended the bytes early (a corrupt gzip), if any. */
  failure?: string;
}

/**
 * A file's bytes as windows for a reader that scans them as they come: each holds the bytes of the last from
 * `keepFrom()` (the record still open) on, then new bytes, so memory follows the largest record, not the file.
 * A window is valid until the next is asked for.
 */
export async function* windows(pieces: AsyncIterator<Buffer>, scratch: ScratchBuffer, keepFrom: () => number): AsyncGenerator<Window> {
  let bytes: Buffer = Buffer.alloc(0);
  let failure: string | undefined;
  for (let final = false; !final;) {
    const dropped = keepFrom();
    const kept = bytes.subarray(dropped);
    const parts = [kept];
    let total = kept.length;
    try {
      while (!final && total - kept.length < CHUNK_TARGET) {
        const next = await pieces.next();
        if (next.done) final = true;
        else {
          parts.push(next.value);
          total += next.value.length;
        }
      }
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      failure = error.message;
      final = true;
    }
    // A window that is one piece as read (a small file, most often) needs no copy.
    bytes = kept.length === 0 && parts.length === 2 ? parts[1]! : scratch.join(parts, total);
    yield { bytes, dropped, final, failure };
  }
}

