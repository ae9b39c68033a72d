import { isUtf8 } from 'node:buffer';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { SourceType } from '../lake/ingest-api.js';
import { UnreadableError } from '../sources/input.js';
import {
  CARRIAGE_RETURN, CHUNK_TARGET, ChunkKind, DecodeError, elementsChunk, type FileFormat, type FramedItem, LONG_LINE, LONG_LINE_KEPT,
  MAX_LINE_BYTES, NEWLINE, windows, type Window,
} from './chunks.js';
import { cloudWatchLogsForm, detectCloudWatchLogs, frameCloudWatchLogs, isCloudWatchLogsForm } from './cloudwatch-logs.js';
import { detectFormat, type FlowFormat, type HeadEnd, typeFromPath } from './detect.js';
import { JsonDocumentScan, NEED_MORE, type ScanItem } from './json-scan.js';
import type { ScratchBuffer } from './scratch-buffer.js';
import { defaultFieldsFor, looksLikeHeader, parseHeader } from './vpcflow-fields.js';

/*
 * Frames a file's records for the lake without parsing them: JSON lines and flow-log lines travel as the bytes
 * of many whole lines; records cut out of a JSON document as byte ranges of it (chunks.ts); CloudWatch Logs
 * files as their messages (cloudwatch-logs.ts). The lake parses and validates them in bulk.
 */

/** A Parquet file's rows as the text lines they stand for (see lake/parquet-lines.ts). */
export interface ParquetLines {
  /** Column names as the file writes them (`account_id`). */
  columns: string[];
  /** The rows, in order, as newline-terminated lines of space-separated values, '-' for none (UTF-8). */
  lines: AsyncIterable<Buffer>;
  /** Releases the file when its lines are not read. */
  close(): Promise<void>;
}

/** Opens a Parquet file from its bytes; throws when they are not a readable Parquet file. */
export type ParquetReader = (bytes: AsyncIterable<Buffer>) => Promise<ParquetLines>;

export interface FrameOptions {
  /** --type: the source type every file is read as. */
  forced?: SourceType;
  /** --flow-format: the field order of flow logs without a header line (parsed and checked). */
  flowFields?: readonly string[];
  /** Reads Parquet files (VPC flow logs delivered as Parquet). */
  parquet: ParquetReader;
  /** Where documents and line chunks are joined; what a chunk's bytes view is overwritten by the next file's. */
  scratch: ScratchBuffer;
}

const SNIFF_BYTES = 64 << 10;
/** Bytes of a file's start that format detection looks at first; more when its first record goes on past them. */
const DETECT_BYTES = SNIFF_BYTES * 4;
/**
 * Most bytes read for detection. A first record longer than this is classified from the keys its start names
 * (detect.ts), and then framed and counted like any other: the file is not skipped for its size.
 */
const MAX_DETECT_BYTES = 64 << 20;
const PARQUET_MAGIC = Buffer.from('PAR1');
const WRAPPED_LINE = /^\s*\{\s*"(Records|findings|Findings)"\s*:\s*\[/;

/** Reads one object's bytes and yields its format, then its framed records. */
export async function* frameRecords(raw: Readable, uri: string, options: FrameOptions): AsyncGenerator<FramedItem> {
  const { forced, flowFields } = options;
  const bytes = decodedBytes(raw);
  const head = new Head(bytes);
  await head.fill(SNIFF_BYTES);
  const { pending } = head;
  if (head.startsWith(PARQUET_MAGIC)) {
    yield* frameParquet(uri, pending, head.error ? failing<Buffer>(head.error) : bytes, options);
    return;
  }
  // The head grows until it holds what decides the format: the first record, whole (see detect.ts).
  const cloudWatch = cloudWatchLogsForm(head.text(SNIFF_BYTES));
  const detect = (window: number) => cloudWatch
    ? detectCloudWatchLogs(cloudWatch, head.bytesOf(window), forced, head.end(window), flowFields)
    : detectFormat(uri, head.text(window), forced, head.end(window), flowFields);
  let window = DETECT_BYTES;
  let detection = detect(window);
  while (!detection) {
    window = Math.min(window * 2, MAX_DETECT_BYTES);
    await head.fill(window);
    detection = detect(window);
  }
  const blank = head.ended && pending.every(isBlank);
  if (blank && !head.error) {
    yield { skip: 'empty file' };
    return;
  }
  if ('skip' in detection) {
    // A file that breaks before anything recognisable is named for the damage, not for its (unseen) format.
    const reason = !head.error
      ? detection.skip
      : blank ? `${head.error.message}: nothing could be read` : `${detection.skip}; ${head.error.message}`;
    yield { skip: reason };
    return;
  }
  const rest = head.error ? failing<Buffer>(head.error) : bytes;
  if (detection.framing === 'document') {
    yield { format: detection };
    yield* frameDocument(pending, rest, options.scratch);
    return;
  }
  if (isCloudWatchLogsForm(detection.framing)) {
    // Each log event's message is a record, read from the file as its form has it (cloudwatch-logs.ts).
    yield { format: detection };
    yield* frameCloudWatchLogs(detection.framing, replayed(pending, rest), options.scratch);
    return;
  }
  // A byte-order mark (Windows editors write one) is not part of the first record.
  if (pending[0]?.subarray(0, 3).equals(UTF8_BOM)) pending[0] = pending[0].subarray(3);
  yield* frameLines(detection, replayed(pending, rest), options.scratch, flowFields);
}

/** A file's first bytes, read as format detection needs them and then replayed to the framer. */
class Head {
  readonly pending: Buffer[] = [];
  bytes = 0;
  ended = false;
  /** The damage that ended the bytes early (a corrupt gzip), if any. */
  error: Error | undefined;

  constructor(private readonly source: AsyncGenerator<Buffer>) {}

  /** Reads until `target` bytes are held or the bytes end. */
  async fill(target: number): Promise<void> {
    try {
      // Pulled by hand: breaking out of for-await would close the stream the rest is read from.
      while (!this.ended && this.bytes < target) {
        const next = await this.source.next();
        if (next.done) this.ended = true;
        else {
          this.pending.push(next.value);
          this.bytes += next.value.length;
        }
      }
    } catch (error) {
      if (error instanceof UnreadableError) throw error;
      this.error = error as Error;
      this.ended = true;
    }
  }

  startsWith(magic: Buffer): boolean {
    return Buffer.concat(this.pending, Math.min(this.bytes, magic.length)).equals(magic);
  }

  /** The first `window` bytes. */
  bytesOf(window: number): Buffer {
    return Buffer.concat(this.pending, Math.min(this.bytes, window));
  }

  /** The first `window` bytes, decoded (a character the window cuts is left out). */
  text(window: number): string {
    return new StringDecoder('utf8').write(this.bytesOf(window));
  }

  /** What follows the first `window` bytes: nothing, bytes detection will not read, or bytes it may read. */
  end(window: number): HeadEnd {
    if (this.ended && this.bytes <= window) return 'file';
    return window >= MAX_DETECT_BYTES ? 'limit' : 'open';
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Whether bytes hold nothing but whitespace (a byte-order mark counts as whitespace, as String.trim has it). */
function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf) i += 2;
    else if (b !== 32 && b !== 9 && b !== 10 && b !== 13 && b !== 11 && b !== 12) return false;
  }
  return true;
}

/** Decompressed bytes of the object, gunzipping when they start with the gzip magic number. */
async function* decodedBytes(raw: Readable): AsyncGenerator<Buffer> {
  const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const read = async () => {
    try {
      return await iterator.next();
    } catch (error) {
      throw new UnreadableError((error as Error).message);
    }
  };
  const first = await read();
  if (first.done) return;
  const head = first.value;
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  // The start of a gzip is kept: zlib drops what the write that meets damage inflated, which for a small file is all of it.
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const keep = (chunk: Buffer) => {
    if (!gzipped || keptBytes > SALVAGE_BYTES) return;
    keptBytes += chunk.length;
    // Past the limit nothing can be salvaged from the start: what was kept goes.
    if (keptBytes > SALVAGE_BYTES) kept.length = 0;
    else kept.push(chunk);
  };
  const replay = Readable.from(
    (async function* () {
      keep(head);
      yield head;
      for (let next = await read(); !next.done; next = await read()) {
        keep(next.value);
        yield next.value;
      }
    })(),
    { objectMode: false },
  );
  if (!gzipped) {
    yield* replay as AsyncIterable<Buffer>;
    return;
  }
  let delivered = 0;
  try {
    for await (const piece of pipeline(replay, createGunzip({ chunkSize: 1 << 20 }), () => {}) as AsyncIterable<Buffer>) {
      delivered += piece.length;
      yield piece;
    }
  } catch (error) {
    if (error instanceof UnreadableError) throw error;
    if (keptBytes <= SALVAGE_BYTES) {
      const rest = (await inflatedBeforeDamage(kept)).subarray(delivered);
      if (rest.length) yield rest;
    }
    throw new DecodeError(`truncated or corrupt gzip (${(error as Error).message})`);
  }
}

/** Compressed bytes kept to salvage from: a damaged file larger than this loses what its last read inflated to. */
const SALVAGE_BYTES = 16 << 20;
const SALVAGE_STEP = 256;

/** Everything a damaged gzip inflates to before the damage: fed in small steps, zlib hands over each step's output. */
async function inflatedBeforeDamage(compressed: Buffer[]): Promise<Buffer> {
  const whole = Buffer.concat(compressed);
  const steps = Readable.from(
    (function* () {
      for (let at = 0; at < whole.length; at += SALVAGE_STEP) yield whole.subarray(at, at + SALVAGE_STEP);
    })(),
    { objectMode: false },
  );
  const out: Buffer[] = [];
  try {
    for await (const piece of pipeline(steps, createGunzip(), () => {}) as AsyncIterable<Buffer>) out.push(piece);
  } catch {
    // The damage: what came before it is in `out`.
  }
  return Buffer.concat(out);
}

async function* failing<T>(error: Error): AsyncGenerator<T> {
  throw error;
}

/**
 * VPC flow logs delivered as Parquet: each row becomes the text line it stands for, and the columns
 * (`account_id` for `account-id`) give the field order, as a header line does. Row n is line n. Parquet is
 * read for flow logs only; one that is not a flow log is skipped unless --type vpcflow forces it.
 */
async function* frameParquet(uri: string, pending: Buffer[], rest: AsyncIterable<Buffer>, options: FrameOptions): AsyncGenerator<FramedItem> {
  const { forced, parquet } = options;
  if (forced && forced !== 'vpcflow') {
    yield { skip: `a Parquet file: only VPC flow logs are read from Parquet, not --type ${forced}` };
    return;
  }
  const flowByPath = forced === 'vpcflow' || typeFromPath(uri) === 'vpcflow';
  let file: ParquetLines;
  try {
    file = await parquet(replayed(pending, rest));
  } catch (error) {
    if (error instanceof UnreadableError) throw error;
    const reason = `not a readable Parquet file (${(error as Error).message.split('\n')[0]})`;
    if (!flowByPath) {
      yield { skip: reason };
      return;
    }
    // A flow log's file that cannot be read is one quarantined record, so that the loss is counted and shown.
    yield { format: { sourceType: 'vpcflow', framing: 'lines', flowFields: [], formatError: reason } };
    yield { chunk: { kind: ChunkKind.Lines, firstLine: 1, firstIndex: 0, text: '', broken: reason } };
    return;
  }
  try {
    const fields = file.columns.map((column) => column.replaceAll('_', '-'));
    if (!flowByPath && !fields.includes('srcaddr') && !fields.includes('dstaddr')) {
      yield { skip: 'a Parquet file that is not a VPC flow log (no srcaddr or dstaddr column; use --type vpcflow to force)' };
      return;
    }
    const { error } = parseHeader(fields.join(' '), 'among the Parquet columns');
    yield* frameLines({ sourceType: 'vpcflow', framing: 'lines', flowFields: fields, formatError: error }, readErrorsAsDamage(file.lines), options.scratch);
  } finally {
    await file.close();
  }
}

/** A Parquet file that fails part-way (a corrupt page) is damaged like a cut-off gzip: what came before is kept. */
async function* readErrorsAsDamage(lines: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* lines;
  } catch (error) {
    throw new DecodeError(`Parquet read error (${(error as Error).message.split('\n')[0]})`);
  }
}

/** The head's pieces, then the rest; each piece is let go once handed on (a head can be tens of megabytes). */
async function* replayed(pending: Buffer[], rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for (let piece = pending.shift(); piece; piece = pending.shift()) yield piece;
  yield* rest;
}

/**
 * Newline-delimited records: JSON lines, or flow-log lines after an optional header (no header is looked
 * for when the field order is already known, as for Parquet rows; without one, the lines are in the order
 * `flowFields` gives, if given). Lines stay bytes: a newline byte is never part of a multi-byte character, so
 * cutting at newlines cuts no character.
 */
async function* frameLines(
  detection: FileFormat, pieces: AsyncIterable<Buffer>, scratch: ScratchBuffer, flowFields?: readonly string[],
): AsyncGenerator<FramedItem> {
  const format: FileFormat = { ...detection };
  let formatKnown = detection.sourceType !== 'vpcflow' || detection.flowFields !== undefined;
  let carry: Buffer[] = [];
  let carryBytes = 0;
  /** Whether a piece carried since the last take holds a newline: until one does, joining finds no line end. */
  let lineEnded = false;
  /** Inside a line too long to keep, dropping its bytes up to its end. */
  let skipping = false;
  let line = 1;
  /** Flow logs: the header line, so that a repeat of it (two logs joined with cat) is passed over like it. */
  let header: Buffer | undefined;

  /** The bytes carried so far, as one buffer (the carry is emptied). */
  const takeCarry = (): Buffer => {
    const whole = carry.length === 1 ? carry[0]! : scratch.join(carry, carryBytes);
    carry = [];
    carryBytes = 0;
    lineEnded = false;
    return whole;
  };
  const keep = (bytes: Buffer): void => {
    carry = bytes.length ? [bytes] : [];
    carryBytes = bytes.length;
    lineEnded = bytes.includes(NEWLINE);
  };

  /** Flow logs: the first line decides the field order and, if it is a header, is not a record. */
  function* readFormat(final: boolean): Generator<FramedItem> {
    const whole = takeCarry();
    const newline = whole.indexOf(NEWLINE);
    if (newline === -1 && !final) {
      keep(whole);
      return;
    }
    const firstLine = whole.toString('utf8', 0, newline === -1 ? whole.length : newline).replace(/\r$/, '');
    Object.assign(format, flowFormat(firstLine, flowFields));
    formatKnown = true;
    yield { format };
    if (looksLikeHeader(firstLine)) {
      keep(newline === -1 ? Buffer.alloc(0) : whole.subarray(newline + 1));
      line = 2;
      header = Buffer.from(firstLine);
    } else {
      keep(whole);
    }
  }

  function* emit(final: boolean): Generator<FramedItem> {
    if (!formatKnown) yield* readFormat(final);
    if (!formatKnown) return;
    if (!final && carryBytes >= MAX_LINE_BYTES && !lineEnded) {
      // One line this long is no record: its first bytes are quarantined, the rest dropped up to its end.
      const start = takeCarry();
      const text = start.toString('utf8', 0, LONG_LINE_KEPT);
      yield { chunk: { kind: ChunkKind.Lines, firstLine: line, firstIndex: 0, text, broken: LONG_LINE } };
      skipping = true;
      return;
    }
    // A carry without a line end is joined only once a piece brings one: joining it again on every piece
    // would copy a long line over and over.
    if (!final && (carryBytes < CHUNK_TARGET || !lineEnded)) return;
    const whole = takeCarry();
    const end = final ? whole.length : whole.lastIndexOf(NEWLINE);
    if (end <= 0) {
      keep(whole);
      return;
    }
    keep(whole.subarray(end + 1));
    const lines = whole.subarray(0, end);
    if (header) blankCopies(lines, header);
    yield* linesChunk(lines, line, detection.sourceType);
    line += countNewlines(lines) + 1;
  }

  if (formatKnown) yield { format };
  let failure: string | undefined;
  try {
    for await (let piece of pieces) {
      if (skipping) {
        const end = piece.indexOf(NEWLINE);
        if (end === -1) continue;
        skipping = false;
        line++;
        piece = piece.subarray(end + 1);
      }
      carry.push(piece);
      carryBytes += piece.length;
      if (!lineEnded && piece.includes(NEWLINE)) lineEnded = true;
      yield* emit(false);
    }
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    failure = error.message;
  }
  if (!failure) {
    yield* emit(true);
    return;
  }
  // Whole lines before the damage are records; the cut-off line after them is quarantined.
  // The whole lines go without their final newline, so `line` ends up on the cut-off line. That line is
  // framed as a line (no record index), like every other record of the file.
  const whole = takeCarry();
  const lastNewline = whole.lastIndexOf(NEWLINE);
  const partial = whole.toString('utf8', lastNewline + 1).replace(/\r$/, '');
  keep(lastNewline === -1 ? Buffer.alloc(0) : whole.subarray(0, lastNewline));
  yield* emit(true);
  yield { chunk: { kind: ChunkKind.Lines, firstLine: line, firstIndex: 0, text: partial, broken: `${failure}: the file ends inside this record` } };
}

/** Wrapper documents by the source whose records they hold: CloudTrail's `Records`, GuardDuty's `findings`. */
const WRAPPER_KEYS: Partial<Record<SourceType, string[]>> = { cloudtrail: ['"Records"'], guardduty: ['"findings"', '"Findings"'] };

/** A chunk of whole lines; JSON lines that are themselves wrapper documents are expanded. */
function* linesChunk(chunkBytes: Buffer, firstLine: number, sourceType: SourceType): Generator<FramedItem> {
  if (chunkBytes.length === 0) return;
  // The line terminator is not part of a record: CRLF files frame like LF files. The lake reads UTF-8 only,
  // so bytes that are not UTF-8 become U+FFFD, as a text decoder has them.
  const bytes = isUtf8(chunkBytes) && !chunkBytes.includes(CARRIAGE_RETURN)
    ? chunkBytes
    : Buffer.from(chunkBytes.toString('utf8').replaceAll('\r\n', '\n'));
  // Only looked for in the sources that have them: each key is a scan of every byte.
  const mayHoldWrappers = WRAPPER_KEYS[sourceType]?.some((key) => bytes.includes(key)) ?? false;
  if (!mayHoldWrappers) {
    yield { chunk: { kind: ChunkKind.LineBytes, firstLine, bytes } };
    return;
  }
  const lines = bytes.toString('utf8').split('\n');
  let plain: string[] = [];
  let plainStart = firstLine;
  const plainChunk = (): FramedItem => ({ chunk: { kind: ChunkKind.LineBytes, firstLine: plainStart, bytes: Buffer.from(plain.join('\n')) } });
  for (let i = 0; i < lines.length; i++) {
    const lineText = lines[i]!;
    if (!WRAPPED_LINE.test(lineText)) {
      if (plain.length === 0) plainStart = firstLine + i;
      plain.push(lineText);
      continue;
    }
    if (plain.length) yield plainChunk();
    plain = [];
    yield* documentChunks(Buffer.from(lineText), firstLine + i);
  }
  if (plain.length) yield plainChunk();
}

/**
 * A JSON document (array, wrapper object or pretty-printed records), scanned as it is read: each window of
 * about CHUNK_TARGET new bytes yields the records completed in it, and only the record still open is carried
 * into the next, so memory is bounded by the largest record, not by the document.
 */
async function* frameDocument(pending: Buffer[], rest: AsyncIterable<Buffer>, scratch: ScratchBuffer): AsyncGenerator<FramedItem> {
  const scan = new JsonDocumentScan();
  const spans = scan.spans();
  const records = new ElementsFramer(1);
  let last: Window | undefined;
  for await (const window of windows(replayed(pending, rest), scratch, () => scan.keepFrom)) {
    scan.feed(window.bytes, window.dropped, window.final);
    yield* records.frame(window.bytes, spans, window.failure);
    last = window;
  }
  if (last?.failure && records.count === 0) {
    yield { chunk: { kind: ChunkKind.Single, firstLine: 1, firstIndex: 0, text: last.bytes.toString('utf8'), broken: `${last.failure}: no complete record before the damage` } };
  }
}

/** A document that is all in memory (a JSON line holding a wrapper document), starting on line `firstLine`. */
function documentChunks(bytes: Buffer, firstLine: number): Generator<FramedItem> {
  const scan = new JsonDocumentScan();
  scan.feed(bytes, 0, true);
  return new ElementsFramer(firstLine).frame(bytes, scan.spans());
}

/** Turns a document's spans into chunks: whole records as Elements chunks, broken ones one by one. */
class ElementsFramer {
  /** Records (whole or broken) framed so far: the next one's index in the document. */
  count = 0;
  private firstIndex = 0;
  private starts: number[] = [];
  private ends: number[] = [];
  private lines: number[] = [];
  private size = 0;

  constructor(private readonly firstLine: number) {}

  /**
   * The records of `bytes` that `spans` yields until it needs more bytes. Every chunk is yielded before
   * this returns: the next window overwrites these bytes.
   */
  *frame(bytes: Buffer, spans: Generator<ScanItem>, failure?: string): Generator<FramedItem> {
    for (let item = spans.next(); !item.done && item.value !== NEED_MORE; item = spans.next()) {
      const span = item.value;
      if (span.empty) continue;
      const line = span.line + this.firstLine - 1;
      if (span.broken) {
        yield* this.flush(bytes);
        const broken = failure ? `${failure}: the file ends inside this record` : span.broken;
        yield { chunk: { kind: ChunkKind.Single, firstLine: line, firstIndex: this.count++, text: bytes.toString('utf8', span.start, span.end), broken } };
        continue;
      }
      if (this.starts.length === 0) this.firstIndex = this.count;
      this.starts.push(span.start);
      this.ends.push(span.end);
      this.lines.push(line);
      this.size += span.end - span.start;
      this.count++;
      if (this.size >= CHUNK_TARGET) yield* this.flush(bytes);
    }
    yield* this.flush(bytes);
  }

  private *flush(bytes: Buffer): Generator<FramedItem> {
    if (this.starts.length === 0) return;
    yield { chunk: elementsChunk(bytes, this.firstIndex, this.starts, this.ends, this.lines, this.size) };
    this.starts = [];
    this.ends = [];
    this.lines = [];
    this.size = 0;
  }
}

/** The field order of a flow-log file: its header line's, else the one given, else the default order its first line fits. */
function flowFormat(firstLine: string, given: readonly string[] | undefined): FlowFormat {
  if (looksLikeHeader(firstLine)) {
    const { fields, error } = parseHeader(firstLine);
    return { flowFields: fields, formatError: error };
  }
  if (given) return { flowFields: [...given] };
  const tokens = firstLine.trim().split(/\s+/);
  const fields = defaultFieldsFor(tokens);
  if (fields) return { flowFields: fields };
  return {
    flowFields: [],
    formatError: `no header line, and the first line's ${tokens.length} fields match no default flow-log format (v2–v8 or transit gateway); add the header line your flow log's LogFormat names, or give that LogFormat with --flow-format`,
  };
}

/** Overwrites each whole line equal to `line` with spaces: a blank line is not a record, and line numbers stay. */
function blankCopies(bytes: Buffer, line: Buffer): void {
  for (let at = bytes.indexOf(line); at !== -1; at = bytes.indexOf(line, at + line.length)) {
    const end = at + line.length;
    const startsLine = at === 0 || bytes[at - 1] === NEWLINE;
    const endsLine = end === bytes.length || bytes[end] === NEWLINE || (bytes[end] === CARRIAGE_RETURN && (end + 1 === bytes.length || bytes[end + 1] === NEWLINE));
    if (startsLine && endsLine) bytes.fill(SPACE, at, end);
  }
}

const SPACE = 0x20;

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) count++;
  return count;
}
