import type { SourceType } from '../lake/ingest-api.js';
import type { Envelope } from './json-fields.js';
import { scanJsonDocument } from './json-scan.js';
import { looksLikeHeader } from './vpcflow-fields.js';

/** How a file's records are delimited. */
export type Framing = 'lines' | 'document';

export type Detection =
  | { sourceType: SourceType; framing: Framing; envelope?: Envelope }
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

/** Decides a file's format from its first bytes (decompressed) and its path. */
export function detectFormat(uri: string, head: string, forced?: SourceType): Detection {
  const fromPath = typeFromPath(uri);
  if (fromPath === 'digest' && !forced) return { skip: 'CloudTrail digest file (integrity hashes, no events)' };
  const text = head.replace(/^\uFEFF/, '').trimStart();
  const firstLine = text.slice(0, indexOrEnd(text, '\n')).trim();
  if (text.startsWith('{') || text.startsWith('[')) {
    const { framing, sample } = sampleJson(text, firstLine);
    const sampled = sample === undefined ? undefined : classifyRecord(sample);
    if (sampled === 'digest' && !forced) return { skip: 'CloudTrail digest file (integrity hashes, no events)' };
    const sourceType = forced ?? (sampled !== 'digest' ? sampled : undefined) ?? pathType(fromPath);
    if (!sourceType) return { skip: 'JSON that is not CloudTrail, Route 53 Resolver or GuardDuty (use --type to force)' };
    return { sourceType, framing, envelope: envelopeOf(sample) };
  }
  if (forced) return { sourceType: forced, framing: 'lines' };
  if (looksLikeHeader(firstLine) || /^\d+\s+\S+/.test(firstLine)) return { sourceType: 'vpcflow', framing: 'lines' };
  const hinted = pathType(fromPath);
  if (hinted) return { sourceType: hinted, framing: hinted === 'vpcflow' ? 'lines' : 'document' };
  return { skip: 'not a recognised log format (use --type to force)' };
}

function pathType(type: SourceType | 'digest' | undefined): SourceType | undefined {
  return type === 'digest' ? undefined : type;
}

/** JSON lines when the first line is a whole record; otherwise a document to scan. */
function sampleJson(text: string, firstLine: string): { framing: Framing; sample?: unknown } {
  const parsed = tryParse(firstLine);
  if (isPlainObject(parsed)) {
    const wrapper = WRAPPER_KEYS.find((key) => Array.isArray(parsed[key]));
    if (!wrapper) return { framing: 'lines', sample: parsed };
    const records = parsed[wrapper] as unknown[];
    return { framing: 'document', sample: records[0] ?? { [wrapper]: [] } };
  }
  if (Array.isArray(parsed)) return { framing: 'document', sample: parsed[0] };
  const bytes = Buffer.from(text);
  for (const span of scanJsonDocument(bytes)) {
    if (span.broken || span.empty) continue;
    return { framing: 'document', sample: tryParse(bytes.toString('utf8', span.start, span.end)) };
  }
  return { framing: 'document' };
}

/** The source type one record belongs to, looking inside EventBridge and dataset wrappers. */
export function classifyRecord(value: unknown): SourceType | 'digest' | undefined {
  if (!isPlainObject(value)) return undefined;
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

/** The wrapper key a record sits under (EventBridge `detail`, a labelled dataset's `event`), if any. */
export function envelopeOf(value: unknown): Envelope | undefined {
  if (!isPlainObject(value)) return undefined;
  if (isBareRecord(value)) return undefined;
  for (const key of ['detail', 'event'] as const) {
    if (isPlainObject(value[key]) && isBareRecord(value[key])) return key;
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

function isBareRecord(value: Record<string, unknown>): boolean {
  return ['eventName', 'eventSource', 'insightDetails', 'query_name', 'schemaVersion', 'SchemaVersion'].some((key) => key in value);
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

function indexOrEnd(text: string, needle: string): number {
  const i = text.indexOf(needle);
  return i === -1 ? text.length : i;
}
