import type { SourceType } from '../lake/ingest-api.js';
import type { CloudWatchLogsForm } from './cloudwatch-logs.js';
import { scanJsonDocument } from './json-scan.js';
import { defaultFieldsFor, fitsFields, looksLikeHeader } from './vpcflow-fields.js';

/** How a file's records are delimited: lines, a JSON document, or the log events of a CloudWatch Logs form. */
export type Framing = 'lines' | 'document' | CloudWatchLogsForm;

export type Detection =
  | { sourceType: SourceType; framing: Framing }
  | { skip: string };

const WRAPPER_KEYS = ['Records', 'findings', 'Findings'];

/** The source type the S3 key layout AWS delivers to implies, if any. */
export function typeFromPath(uri: string): SourceType | 'digest' | undefined {
  if (/\/CloudTrail-Digest\//.test(uri) || /_CloudTrail-Digest_/.test(uri)) return 'digest';
  if (/\/CloudTrail(-Insight)?\//.test(uri)) return 'cloudtrail';
  if (/\/(aws-service=)?vpcflowlogs\//.test(uri)) return 'vpcflow';
  if (/\/vpcdnsquerylogs\//.test(uri)) return 'route53';
  if (/\/GuardDuty\//.test(uri)) return 'guardduty';
  return undefined;
}

/**
 * How much of the file a head is: all of it, as much as detection reads (the rest unseen), or a part that
 * more can be read after.
 */
export type HeadEnd = 'file' | 'limit' | 'open';

/** Non-blank lines of a JSON-lines head (or records of a CloudWatch Logs file) searched for the first record: those before it may be bad. */
export const SAMPLE_LINES = 20;

const DIGEST_SKIP = { skip: 'CloudTrail digest file (integrity hashes, no events)' };
const ASFF_SKIP = { skip: 'Security Hub ASFF findings, not GuardDuty finding JSON: import findings as GuardDuty writes them' };

/**
 * Decides a file's format from its first bytes (decompressed) and its path. With a head that more can be
 * read after ('open'), returns undefined when the head ends before what decides the format (its first
 * record, or first line); the caller then reads more and asks again. `flowFields` (--flow-format) is the
 * field order of header-less flow logs: a first line that fits it is a flow-log line.
 */
export function detectFormat(uri: string, head: string, forced?: SourceType): Detection;
export function detectFormat(uri: string, head: string, forced: SourceType | undefined, end: HeadEnd, flowFields?: readonly string[]): Detection | undefined;
export function detectFormat(uri: string, head: string, forced?: SourceType, end: HeadEnd = 'file', flowFields?: readonly string[]): Detection | undefined {
  const fromPath = typeFromPath(uri);
  if (fromPath === 'digest' && !forced) return DIGEST_SKIP;
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) {
    const sampled = sampleJson(text, end);
    if (!sampled) return undefined;
    if (sampled.sourceType === 'digest' && !forced) return DIGEST_SKIP;
    if (sampled.sourceType === 'asff' && !forced) return ASFF_SKIP;
    const sourceType = forced ?? pathType(sampled.sourceType) ?? pathType(fromPath);
    if (!sourceType) return { skip: 'JSON that is not CloudTrail, Route 53 Resolver or GuardDuty (use --type to force)' };
    return { sourceType, framing: sampled.framing };
  }
  if (forced) return { sourceType: forced, framing: 'lines' };
  const newline = text.indexOf('\n');
  if (newline === -1 && end === 'open') return undefined;
  const firstLine = text.slice(0, newline === -1 ? text.length : newline).trim();
  if (looksLikeHeader(firstLine) || isFlowLine(firstLine, flowFields)) return { sourceType: 'vpcflow', framing: 'lines' };
  const hinted = pathType(fromPath);
  if (hinted) return { sourceType: hinted, framing: hinted === 'vpcflow' ? 'lines' : 'document' };
  return { skip: 'not a recognised log format (use --type to force)' };
}

/** Whether a line (trimmed) starts like a flow-log record (a version number, then a field), or fits the given field order. */
function isFlowLine(line: string, flowFields?: readonly string[]): boolean {
  return /^\d+\s+\S+/.test(line) || (flowFields !== undefined && fitsFields(line, flowFields));
}

/** A flow log's field order, and why it cannot be used, if so. */
export interface FlowFormat {
  flowFields?: string[];
  formatError?: string;
}

/**
 * The format of records that come one by one rather than as a file's lines (CloudWatch Logs messages): the
 * first of a known kind decides, as among a file's first lines. There is no header line: a flow log's field
 * order is the one `given` (--flow-format), else the default order its first flow-log line fits.
 * Undefined when none is of a known kind and no type is forced.
 */
export function detectRecords(
  records: string[], framing: Framing, forced?: SourceType, given?: readonly string[],
): (Extract<Detection, { sourceType: SourceType }> & FlowFormat) | { skip: string } | undefined {
  const first = records.map((record) => recordType(record.trim(), given)).find((type) => type !== undefined);
  if (!forced && first === 'digest') return DIGEST_SKIP;
  if (!forced && first === 'asff') return ASFF_SKIP;
  const sourceType = forced ?? pathType(first);
  if (sourceType !== 'vpcflow') return sourceType && { sourceType, framing };
  if (given) return { sourceType, framing, flowFields: [...given] };
  const tokens = (records.find((record) => isFlowLine(record.trim())) ?? records[0] ?? '').trim().split(/\s+/);
  const flowFields = defaultFieldsFor(tokens);
  if (flowFields) return { sourceType, framing, flowFields };
  const formatError = `the first message's ${tokens.length} fields match no default flow-log format (v2–v8 or transit gateway), and messages have no header line to name a custom one: give its LogFormat with --flow-format`;
  return { sourceType, framing, flowFields: [], formatError };
}

/** The source type of one record on its own: a JSON record's, or a flow-log line's. */
function recordType(record: string, flowFields?: readonly string[]): SourceType | NotRead | undefined {
  if (record.startsWith('{')) return classifyRecord(tryParse(record));
  return isFlowLine(record, flowFields) ? 'vpcflow' : undefined;
}

/** Records that are recognised but not read: CloudTrail digests, and Security Hub's ASFF findings. */
type NotRead = 'digest' | 'asff';

function pathType(type: SourceType | NotRead | undefined): SourceType | undefined {
  return type === 'digest' || type === 'asff' ? undefined : type;
}

interface JsonSample {
  framing: Framing;
  sourceType?: SourceType | NotRead;
}

function sampleOf(framing: Framing, record: unknown): JsonSample {
  return { framing, sourceType: classifyRecord(record) };
}

/**
 * JSON lines when a line among the first few is a whole record of a known kind; a document when the text is
 * one (an array, a wrapper, a record written over several lines). A bad first line (cut off, `{}`, an
 * export's metadata) does not decide: the records after it do, and framing as lines then quarantines it.
 * Undefined when the head ends before the first record does and more can be read.
 */
function sampleJson(text: string, end: HeadEnd): JsonSample | undefined {
  const lines = leadingLines(text, end === 'file');
  const first = lines.length ? tryParse(lines[0]!) : undefined;
  if (Array.isArray(first)) return sampleOf('document', first[0]);
  let documentCut = false;
  if (isPlainObject(first)) {
    const wrapper = WRAPPER_KEYS.find((key) => Array.isArray(first[key]));
    if (wrapper) return sampleOf('document', (first[wrapper] as unknown[])[0] ?? { [wrapper]: [] });
    if (classifyRecord(first)) return sampleOf('lines', first);
  } else {
    // Line 1 is not JSON on its own: a document written over several lines, or a bad line before good ones.
    const record = firstDocumentRecord(text);
    if (record !== undefined && record !== CUT) return sampleOf('document', record);
    documentCut = record === CUT;
  }
  if (!text.startsWith('[')) {
    const line = firstRecordLine(lines);
    if (line) return sampleOf('lines', line);
  }
  if (end === 'open' && (documentCut || lines.length < SAMPLE_LINES)) return undefined;
  if (end === 'limit') return sampleFromKeys(text);
  return isPlainObject(first) ? sampleOf('lines', first) : { framing: 'document' };
}

/** The first `SAMPLE_LINES` non-blank lines that the text holds whole (`whole`: the text is the whole file). */
function leadingLines(text: string, whole: boolean): string[] {
  const lines: string[] = [];
  for (let start = 0; start < text.length && lines.length < SAMPLE_LINES;) {
    const newline = text.indexOf('\n', start);
    if (newline === -1 && !whole) break;
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end).trim();
    if (line) lines.push(line);
    start = end + 1;
  }
  return lines;
}

/**
 * The first line that parses as a record of a known kind, among lines that all start like JSON-lines
 * records: a pretty-printed document's inner lines (`"key": …`) rule the text out as JSON lines.
 */
function firstRecordLine(lines: string[]): Record<string, unknown> | undefined {
  for (const line of lines) {
    if (!line.startsWith('{')) return undefined;
    const parsed = tryParse(line);
    if (isPlainObject(parsed) && classifyRecord(parsed)) return parsed;
  }
  return undefined;
}

const CUT = Symbol('the text ends inside the first record');

/** The first record of the text read as a JSON document; CUT when the text ends inside it; undefined when it is not JSON. */
function firstDocumentRecord(text: string): unknown {
  const bytes = Buffer.from(text);
  for (const span of scanJsonDocument(bytes)) {
    if (span.empty) continue;
    if (span.broken) return CUT;
    return tryParse(bytes.toString('utf8', span.start, span.end));
  }
  return undefined;
}

/** Keys that name a record's source, looked for when its first record is too long to parse (longer than the head). */
const NAMING_KEYS: [RegExp, SourceType][] = [
  [/"eventSource"\s*:/, 'cloudtrail'],
  [/"query_name"\s*:/, 'route53'],
  [/"[sS]chemaVersion"\s*:/, 'guardduty'],
];

/**
 * A head that ends inside a first record longer than detection reads: JSON.parse needs the record whole, so
 * its type is the first naming key its start holds. Framed and counted like any other, the record is then
 * stored or quarantined, not the file skipped for its size.
 */
function sampleFromKeys(text: string): JsonSample {
  const document = /^(\[|\{\s*"(Records|findings|Findings)"\s*:\s*\[|\{\s*\n)/.test(text);
  const framing: Framing = document ? 'document' : 'lines';
  const named = NAMING_KEYS.map(([key, type]) => ({ at: text.search(key), type })).filter(({ at }) => at >= 0);
  if (named.length === 0) return { framing };
  const { type } = named.reduce((a, b) => (b.at < a.at ? b : a));
  return { framing, sourceType: type };
}

/** The source type one record belongs to, looking inside EventBridge and dataset wrappers. */
export function classifyRecord(value: unknown): SourceType | NotRead | undefined {
  if (!isPlainObject(value)) return undefined;
  if ('ProductArn' in value && 'AwsAccountId' in value) return 'asff';
  if (value['detail-type'] === 'GuardDuty Finding') return 'guardduty';
  if ('digestStartTime' in value || 'digestPublicKeyFingerprint' in value) return 'digest';
  if (isCloudTrailRecord(value)) return 'cloudtrail';
  if ('query_name' in value) return 'route53';
  if (('schemaVersion' in value || 'SchemaVersion' in value) && ('type' in value || 'Type' in value)) return 'guardduty';
  // An empty wrapper document ({"Records":[]}: a trail's file for a quiet interval) still says whose it is.
  if (Array.isArray(value.Records)) return 'cloudtrail';
  if (Array.isArray(value.findings) || Array.isArray(value.Findings)) return 'guardduty';
  for (const key of ['detail', 'event']) {
    const inner = classifyRecord(value[key]);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * A CloudTrail record names its service, or pairs its operation with a time, version or caller. A bare
 * `eventName` is not enough: label and index files keyed by eventID/eventName (e.g. a dataset's
 * labels.jsonl) are not events.
 */
function isCloudTrailRecord(value: Record<string, unknown>): boolean {
  if ('eventSource' in value) return true;
  if ('insightDetails' in value && 'eventTime' in value) return true;
  return 'eventName' in value && ['eventTime', '@timestamp', 'eventVersion', 'userIdentity'].some((key) => key in value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
