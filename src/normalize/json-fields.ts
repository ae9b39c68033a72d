/**
 * Helpers for normalizers of JSON records. The lake parses each record once (json_transform into a struct);
 * fields whose JSON type matters are taken as JSON fragments and checked by their first character, so a
 * wrong type is reported without parsing the record again.
 */
export type Envelope = 'detail' | 'event';

/** SQL: the JSON type name of a fragment, from its first character. */
export function jsonTypeOf(fragment: string): string {
  return `CASE left(${fragment}, 1) WHEN '{' THEN 'an object' WHEN '[' THEN 'an array' WHEN '"' THEN 'a string'
    WHEN 't' THEN 'a boolean' WHEN 'f' THEN 'a boolean' WHEN 'n' THEN 'null' ELSE 'a number' END`;
}

/** SQL: a WHEN clause quarantining a fragment that is present but not of the expected JSON type. */
export function expectType(fragment: string, name: string, expected: 'string' | 'object' | 'array'): string {
  const first = { string: '"', object: '{', array: '[' }[expected];
  return `WHEN ${fragment} IS NOT NULL AND ${fragment} <> 'null' AND left(${fragment}, 1) <> '${first}'
    THEN 'field ${name}: expected ${expected === 'object' ? 'an object' : expected === 'array' ? 'an array' : 'a string'}, found ' || ${jsonTypeOf(fragment)}`;
}

/** SQL: the text of a JSON string fragment (NULL for JSON null or a missing field). */
export function jsonString(fragment: string): string {
  return `json_extract_string(${fragment}, '$')`;
}

/** A json_transform structure: field names to DuckDB types, or to nested structures. */
export interface Structure {
  [field: string]: string | Structure;
}

/** Wrappers a record may sit in, in the order they are looked for. */
const ENVELOPES: readonly Envelope[] = ['detail', 'event'];

/**
 * SQL: parse a record into a struct once. NULL when not valid JSON or not a JSON object: json_transform turns
 * an array or a scalar into a struct of NULLs, which would pass for a record missing its fields. (The regular
 * expression only runs for text not starting with '{'.)
 */
export function transformRecord(raw: string, structure: Structure): string {
  const isObject = `CASE WHEN left(${raw}, 1) = '{' THEN true ELSE regexp_matches(${raw}, '^\\s*\\{') END`;
  return `(CASE WHEN ${isObject} THEN TRY(json_transform(${raw}, ${transformSpec(structure)})) END)`;
}

/**
 * SQL: the wrapper a record sits in ('detail', 'event'), or NULL for a bare record. Decided per record, so one
 * file may mix EventBridge events and bare ones. No source's own record has a top-level `detail` or `event`
 * object, so a record holding one is wrapped. Only records whose text names a wrapper are parsed for it
 * (TRY: a malformed record is explained later), which keeps bare records to their one parse; a record that
 * starts as the source writes its own (`bareStart`, e.g. CloudTrail's `{"eventVersion"`) is not searched at all.
 */
export function envelopeOf(raw: string, bareStart?: string): string {
  const named = ENVELOPES.map((e) => `contains(${raw}, '"${e}"')`).join(' OR ');
  const holding = ENVELOPES.map((e) => `WHEN TRY(json_type(${raw}, '$.${e}')) = 'OBJECT' THEN '${e}'`).join(' ');
  const bare = bareStart ? `WHEN starts_with(${raw}, '${bareStart}') THEN NULL ` : '';
  return `CASE ${bare}WHEN ${named} THEN CASE ${holding} END END`;
}

/** SQL: the record's own text: its wrapper's content (see envelopeOf), or the whole record. */
export function unwrappedText(raw: string, envelope: string): string {
  const wrapped = ENVELOPES.map((e) => `WHEN '${e}' THEN json_extract(${raw}, '$.${e}')::VARCHAR`).join(' ');
  return `CASE ${envelope} ${wrapped} ELSE ${raw} END`;
}

/**
 * SQL: an ISO-8601 time as a UTC TIMESTAMP, NULL when not one. RFC 3339 allows a lower-case t and z, which
 * DuckDB's cast refuses: such a time is upper-cased and cast again (only when the first cast fails).
 */
export function parseTime(text: string): string {
  return `coalesce(try_cast(${text} AS TIMESTAMPTZ), try_cast(upper(${text}) AS TIMESTAMPTZ))::TIMESTAMP`;
}

function transformSpec(structure: Structure): string {
  return `'${JSON.stringify(structure).replaceAll("'", "''")}'`;
}


/**
 * Why a record the lake could not parse is not a record: JSON.parse's own words, or its JSON type. Never
 * "malformed JSON" for valid JSON: an object the lake's parser refused holds a string that is not Unicode text
 * (an unpaired surrogate escape such as \ud800, which JSON.parse lets through).
 */
export function explainUnparsed(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `malformed JSON: ${(error as Error).message}`;
  }
  if (value === null || typeof value !== 'object') return `not a JSON object (found ${value === null ? 'null' : typeof value})`;
  if (Array.isArray(value)) return 'not a JSON object (found an array)';
  const field = illFormedField(value, '');
  if (field !== undefined) return `field ${field}: an unpaired UTF-16 surrogate escape, not Unicode text`;
  return "valid JSON, but the lake's JSON parser refused it";
}

/** With the u flag a surrogate pair reads as one code point, so only a lone surrogate is of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The dotted path of the first key or string value holding an unpaired surrogate, if any. */
function illFormedField(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (LONE_SURROGATE.test(key)) return at;
    const found = illFormedField(inner, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
