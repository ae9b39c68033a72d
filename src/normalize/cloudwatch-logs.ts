import type { SourceType } from '../lake/ingest-api.js';
import { detectRecords, type HeadEnd, SAMPLE_LINES } from './detect.js';
import {
  CARRIAGE_RETURN, CHUNK_TARGET, ChunkKind, elementsChunk, type FileFormat, type FramedItem, LONG_LINE, LONG_LINE_KEPT, MAX_LINE_BYTES, NEWLINE,
  windows,
} from './chunks.js';
import { JsonDocumentScan, NEED_MORE } from './json-scan.js';
import type { ScratchBuffer } from './scratch-buffer.js';

/**
 * Records that went through CloudWatch Logs, in the three forms they reach files in: subscription payloads
 * (a subscription filter's Firehose, Kinesis or Lambda archive: `{"messageType":"DATA_MESSAGE",…,"logEvents":[…]}`
 * one after another), an export task's lines (`<ISO time> <message>`), and the JSON the CLI's
 * filter-log-events and get-log-events print (`{"events":[…],…}`). Each log event's message is the record as
 * its source wrote it (a flow-log line, a Route 53 Resolver query, a CloudTrail event), so it is staged
 * verbatim and is the same record as one delivered to S3.
 */
export type CloudWatchLogsForm = 'cloudwatch-subscription' | 'cloudwatch-export' | 'cloudwatch-events';

/**
 * The keys filter-log-events or get-log-events output starts with: the CLI prints `events` first; an SDK's
 * response written out may put its metadata or tokens first.
 */
const EVENTS_OUTPUT_START = /^\{\s*"(events|nextToken|nextForwardToken|nextBackwardToken|searchedLogStreams|\$metadata)"\s*:/;
const EVENTS_KEY = /^"events"\s*:\s*\[/;
/** An export line's time: UTC as AWS writes it, or with the offset some tools rewrite it to. */
const EXPORT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d) /;
/** What each form's file starts with. A subscription payload names its keys in either order AWS writes them. */
const FORM_STARTS: [RegExp, CloudWatchLogsForm][] = [
  [/^\{\s*"(messageType|owner|logGroup|logStream|subscriptionFilters)"\s*:/, 'cloudwatch-subscription'],
  [EVENTS_OUTPUT_START, 'cloudwatch-events'],
  [EXPORT_TIME, 'cloudwatch-export'],
];
const MESSAGE_TYPE = /"messageType"\s*:\s*"(DATA|CONTROL)_MESSAGE"/;
/** A payload names its messageType before its log events, within its first bytes. */
const MESSAGE_TYPE_WITHIN = 4096;
/** Longest `<time> ` an export line starts with (nanoseconds at most). */
const EXPORT_TIME_BYTES = 40;

/** The CloudWatch Logs form a file's head (decompressed) is in, if any. */
export function cloudWatchLogsForm(head: string): CloudWatchLogsForm | undefined {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  const form = FORM_STARTS.find(([start]) => start.test(text))?.[1];
  if (form === 'cloudwatch-subscription' && !MESSAGE_TYPE.test(text.slice(0, MESSAGE_TYPE_WITHIN))) return undefined;
  return form;
}

export function isCloudWatchLogsForm(framing: string): framing is CloudWatchLogsForm {
  return FORM_STARTS.some(([, form]) => form === framing);
}

/**
 * The format of a CloudWatch Logs file from the messages its head holds whole: the first of a known kind
 * decides (detect.ts); flow-log messages are in the order `flowFields` gives (--flow-format), if given.
 * Undefined while more of the file may hold the message that decides.
 */
export function detectCloudWatchLogs(
  form: CloudWatchLogsForm, head: Buffer, forced: SourceType | undefined, end: HeadEnd, flowFields?: readonly string[],
): FileFormat | { skip: string } | undefined {
  const messages: string[] = [];
  let broken = 0;
  for (const event of eventReader(form).events(head, 0, end === 'file')) {
    if ('broken' in event) broken++;
    else messages.push(event.message.toString());
    if (messages.length >= SAMPLE_LINES) break;
  }
  // Payloads that are all control messages hold no records.
  if (end === 'file' && messages.length === 0 && broken === 0) return { skip: 'empty file' };
  const detection = detectRecords(messages, form, forced, flowFields);
  // Without a message of a known kind (or, forced, any message: a flow log's field order is its first's), more is read.
  const sampled = messages.length >= SAMPLE_LINES || end !== 'open';
  if (detection && (messages.length > 0 || sampled)) return detection;
  if (!sampled) return undefined;
  return detection ?? {
    skip: `CloudWatch Logs ${FORM_NAMES[form]} whose messages are not CloudTrail, VPC flow log, Route 53 Resolver or GuardDuty records (use --type to force)`,
  };
}

const FORM_NAMES: Record<CloudWatchLogsForm, string> = {
  'cloudwatch-subscription': 'subscription payloads',
  'cloudwatch-export': 'export',
  'cloudwatch-events': 'events (filter-log-events / get-log-events output)',
};

/** The log events of a CloudWatch Logs file, each message (or what stands in for a broken one) a record. */
export async function* frameCloudWatchLogs(form: CloudWatchLogsForm, pieces: AsyncIterator<Buffer>, scratch: ScratchBuffer): AsyncGenerator<FramedItem> {
  const reader = eventReader(form);
  const records = new MessageChunks();
  let failure: string | undefined;
  for await (const window of windows(pieces, scratch, () => reader.keepFrom)) {
    failure = window.failure;
    for (const event of reader.events(window.bytes, window.dropped, window.final)) yield* records.add(event, failure);
  }
  yield* records.flush();
  // The damage fell between two log events: what followed it is lost, and counted as one record.
  if (failure && !records.endBroken) yield* records.add({ line: reader.line, text: '', broken: `${failure}: the file ends here` }, undefined);
}

/** One log event; `message` may be a view of the window read. */
type LogEvent =
  | { line: number; message: string | Buffer; atEnd?: boolean }
  | { line: number; text: string; broken: string; atEnd?: boolean };

/** Reads one form's log events from a file's windows (see `windows` in chunks.ts). */
interface EventReader {
  /** Where the bytes the reader still needs start in the last window. */
  readonly keepFrom: number;
  /** The line the reader is on. */
  readonly line: number;
  /** The events of the next window, which starts `dropped` bytes into the last one; ends where more bytes are needed. */
  events(window: Buffer, dropped: number, final: boolean): Generator<LogEvent>;
}

function eventReader(form: CloudWatchLogsForm): EventReader {
  if (form === 'cloudwatch-export') return new ExportLines();
  return form === 'cloudwatch-subscription' ? new SubscriptionPayloads() : new EventList();
}

/**
 * Subscription payloads, one after another (with nothing, whitespace or commas between them). Bytes
 * between two payloads that are not one (a stray line, a cut-off tail pasted in) are quarantined with their
 * start, and reading goes on at the next `{`; a payload longer than any CloudWatch Logs delivers is too. So
 * memory follows the largest payload, however much else the file holds.
 */
class SubscriptionPayloads implements EventReader {
  private scan = new JsonDocumentScan();
  private spans = this.scan.spans();
  private payloads = 0;
  /** Between two payloads: the next is looked for here before the scanner goes on (it is at scan.pos). */
  private between = true;
  /** Passing over bytes that are not a payload (quarantined already), up to the next `{`. */
  private passing = false;

  get keepFrom(): number {
    return this.between ? this.scan.pos : this.scan.keepFrom;
  }

  get line(): number {
    return this.scan.line;
  }

  *events(window: Buffer, dropped: number, final: boolean): Generator<LogEvent> {
    this.scan.feed(window, dropped, final);
    for (;;) {
      if (this.between && !(yield* this.toNextPayload(window))) return;
      this.between = false;
      const item = this.spans.next();
      if (item.done || item.value === NEED_MORE) {
        if (window.length - this.scan.keepFrom > MAX_LINE_BYTES) yield this.oversized(window, final);
        return;
      }
      this.between = true;
      const span = item.value;
      if (span.empty) continue;
      const where = `CloudWatch Logs payload ${++this.payloads}`;
      const text = window.toString('utf8', span.start, span.end);
      // The scanner's broken spans run to the end of the bytes: a payload cut short.
      if (span.broken) yield { line: span.line, text, broken: `${where}: ${span.broken}`, atEnd: true };
      else yield* payloadEvents(text, span.line, where);
    }
  }

  /** Moves scan.pos to the next payload's `{`, quarantining what else stands before it; false when the window ends first. */
  private *toNextPayload(window: Buffer): Generator<LogEvent, boolean> {
    const scan = this.scan;
    while (scan.pos < window.length) {
      const c = window[scan.pos]!;
      if (c === OPEN_BRACE) {
        this.passing = false;
        return true;
      }
      if (this.passing || !(isWhitespace(c) || c === COMMA || isByteOrderMark(window, scan.pos))) {
        const brace = window.indexOf(OPEN_BRACE, scan.pos);
        const end = brace === -1 ? window.length : brace;
        if (!this.passing) {
          yield { line: scan.line, text: window.toString('utf8', scan.pos, Math.min(end, scan.pos + REST_KEPT)), broken: `CloudWatch Logs payload ${++this.payloads}: ${NOT_A_PAYLOAD}` };
          this.passing = true;
        }
        scan.line += countNewlines(window, scan.pos, end);
        scan.pos = end;
      } else {
        if (c === NEWLINE) scan.line++;
        scan.pos += isByteOrderMark(window, scan.pos) ? 3 : 1;
      }
    }
    return false;
  }

  /** A payload open for longer than any is: its start is quarantined, and what follows passed over up to the next `{`. */
  private oversized(window: Buffer, final: boolean): LogEvent {
    const start = this.scan.keepFrom;
    const line = this.scan.line;
    this.scan = new JsonDocumentScan();
    this.spans = this.scan.spans();
    this.scan.feed(window, 0, final);
    this.scan.line = line + countNewlines(window, start, window.length);
    this.scan.pos = window.length;
    this.between = true;
    this.passing = true;
    return { line, text: window.toString('utf8', start, start + REST_KEPT), broken: `CloudWatch Logs payload ${++this.payloads}: ${LONG_PAYLOAD}` };
  }
}

const NOT_A_PAYLOAD = 'not a subscription payload (a JSON object): passed over up to the next payload';
const LONG_PAYLOAD = `longer than ${MAX_LINE_BYTES >> 20} MiB, which no payload is: passed over up to the next payload`;

/** A payload's log events; a control message (CloudWatch checking it can deliver) holds none. */
function* payloadEvents(text: string, line: number, where: string): Generator<LogEvent> {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    yield { line, text, broken: `${where}: malformed JSON (${(error as Error).message})` };
    return;
  }
  const messageType = isObject(payload) ? payload.messageType : undefined;
  if (messageType === 'CONTROL_MESSAGE') return;
  const reason = messageType === undefined
    ? 'not a subscription payload (no messageType)'
    : messageType !== 'DATA_MESSAGE'
      ? `unknown messageType ${JSON.stringify(messageType)}`
      : !Array.isArray((payload as Record<string, unknown>).logEvents) ? 'no logEvents list' : undefined;
  if (reason) {
    yield { line, text, broken: `${where}: ${reason}` };
    return;
  }
  const events = (payload as { logEvents: unknown[] }).logEvents;
  for (let i = 0; i < events.length; i++) yield logEvent(events[i], line, `${where}, log event ${i + 1}`);
}

/** A log event's message, or the event quarantined when it has none. */
function logEvent(event: unknown, line: number, where: string): LogEvent {
  const message = isObject(event) ? event.message : undefined;
  if (typeof message === 'string') return { line, message };
  return { line, text: JSON.stringify(event) ?? String(event), broken: `${where}: no message string` };
}

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Bytes looked at for the start of a document (`{ "events": [`). */
const DOCUMENT_START_BYTES = 256;

/**
 * The `events` lists of filter-log-events or get-log-events output, read element by element with the document
 * scanner set on each list. What stands around a list in its document (searchedLogStreams, tokens, an SDK's
 * metadata) holds no records and is passed over; outputs appended one after another (a script paging with
 * --starting-token) are each read.
 */
class EventList implements EventReader {
  private scan = new JsonDocumentScan();
  private spans = this.scan.spans();
  /** Inside a list (the scanner reads it), or outside, before or after one. */
  private inList = false;
  /** Whether the scanner has moved past the list's `[`. */
  private started = false;
  /** Outside a list: where the reader is in the window, its line, and how deep in a document it is (0: between two). */
  private at = 0;
  private outsideLine = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Something other than an events document came after one: the rest is not read. */
  private stopped = false;
  private count = 0;

  get keepFrom(): number {
    return this.inList ? this.scan.keepFrom : this.at;
  }

  get line(): number {
    return this.inList ? this.scan.line : this.outsideLine;
  }

  *events(window: Buffer, dropped: number, final: boolean): Generator<LogEvent> {
    if (this.inList) this.scan.feed(window, dropped, final);
    else this.at -= dropped;
    for (;;) {
      if (!this.inList && !(yield* this.toNextList(window, final))) return;
      const next = this.nextInList(window);
      if (window[next] === CLOSE_BRACKET) {
        this.outsideLine = this.scan.line + countNewlines(window, this.scan.pos, next);
        this.inList = false;
        this.at = next + 1;
        this.depth = 1;
        continue;
      }
      // A log event is an object: anything else (the list of another document, text pasted in) would be
      // read value by value, each word a record, so the rest is quarantined as one.
      if (next < window.length && window[next] !== OPEN_BRACE) {
        const line = this.scan.line + countNewlines(window, this.scan.pos, next);
        yield { line, text: window.toString('utf8', next, next + REST_KEPT), broken: `CloudWatch Logs event ${++this.count}: not a log event (a JSON object): the rest of the file is not read` };
        this.stopped = true;
        this.inList = false;
        this.outsideLine = line;
        continue;
      }
      const item = this.spans.next();
      this.started = true;
      if (item.done || item.value === NEED_MORE) return;
      const span = item.value;
      const where = `CloudWatch Logs event ${++this.count}`;
      const text = window.toString('utf8', span.start, span.end);
      if (span.broken) {
        yield { line: span.line, text, broken: `${where}: ${span.broken}`, atEnd: true };
        continue;
      }
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch (error) {
        yield { line: span.line, text, broken: `${where}: malformed JSON (${(error as Error).message})` };
        continue;
      }
      yield logEvent(event, span.line, where);
    }
  }

  /**
   * Passes over a document up to its `events` list (other keys and values, before or after it, hold no
   * records) and the whitespace between documents, and sets the scanner on the next list; false when the
   * window ends first. Another value than an output is quarantined with the start of the rest, which is not read.
   */
  private *toNextList(window: Buffer, final: boolean): Generator<LogEvent, boolean> {
    for (; this.at < window.length && !this.stopped; this.at++) {
      const c = window[this.at]!;
      if (c === NEWLINE) this.outsideLine++;
      if (this.depth === 1 && !this.inString && c === QUOTE) {
        // A string at the top of an object that is followed by a colon is a key.
        const key = EVENTS_KEY.exec(window.toString('latin1', this.at, this.at + DOCUMENT_START_BYTES));
        if (!key && !final && this.at + DOCUMENT_START_BYTES > window.length) return false;
        if (key) {
          this.startList(window, final, this.at + key[0].length - 1);
          return true;
        }
      }
      if (this.depth > 0) this.passOver(c);
      else if (isByteOrderMark(window, this.at)) this.at += 2;
      else if (!isWhitespace(c)) {
        const isOutput = EVENTS_OUTPUT_START.test(window.toString('latin1', this.at, this.at + DOCUMENT_START_BYTES));
        if (!isOutput && !final && this.at + DOCUMENT_START_BYTES > window.length) return false;
        if (!isOutput) {
          this.stopped = true;
          yield { line: this.outsideLine, text: window.toString('utf8', this.at, this.at + REST_KEPT), broken: 'CloudWatch Logs events: not an events document (`{"events": [`): the rest of the file is not read' };
          break;
        }
        this.depth = 1;
      }
    }
    if (this.stopped) this.at = window.length;
    return false;
  }

  /** Sets the scanner on the list whose `[` is at `bracket`. */
  private startList(window: Buffer, final: boolean, bracket: number): void {
    this.scan = new JsonDocumentScan();
    this.spans = this.scan.spans();
    this.scan.feed(window, 0, final);
    this.scan.pos = bracket;
    this.scan.line = this.outsideLine + countNewlines(window, this.at, bracket);
    this.started = false;
    this.inList = true;
  }

  /** One byte of a document outside its list: strings and nested values are passed over whole. */
  private passOver(c: number): void {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) this.inString = false;
    } else if (c === QUOTE) this.inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) this.depth--;
  }

  /** Where the list's next element (or its `]`) starts, past commas and whitespace (before the list starts, after its `[`). */
  private nextInList(window: Buffer): number {
    let at = this.scan.pos + (this.started ? 0 : 1);
    while (at < window.length && (window[at] === COMMA || isWhitespace(window[at]!))) at++;
    return at;
  }
}

/** What a quarantined rest of a file keeps of itself. */
const REST_KEPT = 64 << 10;

function isByteOrderMark(bytes: Buffer, at: number): boolean {
  return bytes[at] === 0xef && bytes[at + 1] === 0xbb && bytes[at + 2] === 0xbf;
}

/** An export task's lines: `<ISO time> <message>`. */
class ExportLines implements EventReader {
  keepFrom = 0;
  line = 1;
  /** Inside a line too long to be a record, passing over its bytes up to its end. */
  private skipping = false;

  *events(window: Buffer, _dropped: number, final: boolean): Generator<LogEvent> {
    // A byte-order mark (Windows editors write one) is not part of the first line's time.
    let start = this.line === 1 && isByteOrderMark(window, 0) ? 3 : 0;
    for (;;) {
      const newline = window.indexOf(NEWLINE, start);
      if (newline === -1 && (this.skipping || (!final && window.length - start >= MAX_LINE_BYTES))) {
        // Its start is quarantined and the rest not kept, as for any other line file (frame.ts).
        if (!this.skipping) yield { line: this.line, text: window.toString('utf8', start, start + LONG_LINE_KEPT), broken: LONG_LINE };
        this.skipping = !final;
        start = window.length;
        break;
      }
      if (newline === -1 && (!final || start >= window.length)) break;
      const end = newline === -1 ? window.length : newline;
      const lineEnd = end > start && window[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
      if (this.skipping) this.skipping = false;
      else if (!isBlank(window, start, lineEnd)) yield exportEvent(window, start, lineEnd, this.line, newline === -1);
      this.line++;
      start = end + 1;
    }
    this.keepFrom = Math.min(start, window.length);
  }
}

function exportEvent(window: Buffer, start: number, end: number, line: number, atEnd: boolean): LogEvent {
  const time = EXPORT_TIME.exec(window.toString('latin1', start, Math.min(end, start + EXPORT_TIME_BYTES)));
  if (time) return { line, message: window.subarray(start + time[0].length, end), atEnd };
  return { line, text: window.toString('utf8', start, end), broken: 'not a CloudWatch Logs export line: no ISO time and space before the message', atEnd };
}

/**
 * Gathers messages into Elements chunks (a buffer of the messages, one after another), and yields broken
 * events as single records. Every event takes the next record index of the file.
 */
class MessageChunks {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private size = 0;
  private starts: number[] = [];
  private ends: number[] = [];
  private lines: number[] = [];
  private index = 0;
  private firstIndex = 0;
  /** Whether the last event was cut off by damage, and quarantined for it. */
  endBroken = false;

  *add(event: LogEvent, failure: string | undefined): Generator<FramedItem> {
    if ('broken' in event) {
      yield* this.single(event.line, event.text, failure && event.atEnd ? `${failure}: the file ends inside this record` : event.broken);
      this.endBroken = Boolean(failure && event.atEnd);
      return;
    }
    const { message, line } = event;
    if (failure && event.atEnd) {
      yield* this.single(line, message.toString(), `${failure}: the file ends inside this record`);
      this.endBroken = true;
      return;
    }
    const start = this.size;
    const bytes = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    this.reserve(bytes);
    if (typeof message === 'string') this.buffer.write(message, start);
    else message.copy(this.buffer, start);
    if (isBlank(this.buffer, start, start + bytes)) {
      yield* this.single(line, message.toString(), 'CloudWatch Logs log event with a blank message');
      return;
    }
    if (this.starts.length === 0) this.firstIndex = this.index;
    this.starts.push(start);
    this.ends.push(start + bytes);
    this.lines.push(line);
    this.size += bytes;
    this.index++;
    if (this.size >= CHUNK_TARGET) yield* this.flush();
  }

  /** Yields the messages gathered; their buffer is reused once the chunk has been taken. */
  *flush(): Generator<FramedItem> {
    if (this.starts.length === 0) return;
    yield { chunk: elementsChunk(this.buffer, this.firstIndex, this.starts, this.ends, this.lines, this.size) };
    this.starts = [];
    this.ends = [];
    this.lines = [];
    this.size = 0;
  }

  private *single(line: number, text: string, broken: string): Generator<FramedItem> {
    yield* this.flush();
    yield { chunk: { kind: ChunkKind.Single, firstLine: line, firstIndex: this.index++, text, broken } };
  }

  private reserve(bytes: number): void {
    if (this.size + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.size + bytes));
    this.buffer.copy(grown, 0, 0, this.size);
    this.buffer = grown;
  }
}

function isWhitespace(byte: number): boolean {
  return byte === 32 || byte === 9 || byte === 10 || byte === 13;
}

/** Whether bytes `[start, end)` are spaces, tabs and line breaks only (or none). */
function isBlank(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isWhitespace(bytes[i]!)) return false;
  return true;
}

function countNewlines(bytes: Buffer, start: number, end: number): number {
  let count = 0;
  for (let i = bytes.indexOf(NEWLINE, start); i !== -1 && i < end; i = bytes.indexOf(NEWLINE, i + 1)) count++;
  return count;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
