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

/**
 * SQL: parse a record into a struct once; records inside an envelope are taken from it. NULL when not valid
 * JSON or not a JSON object: json_transform turns an array or a scalar into a struct of NULLs, which would
 * pass for a record missing its fields. (The regular expression only runs for text not starting with '{'.)
 */
export function transformRecord(raw: string, structure: object, envelope?: Envelope): string {
  const spec = envelope ? { [envelope]: structure } : structure;
  const isObject = `CASE WHEN left(${raw}, 1) = '{' THEN true ELSE regexp_matches(${raw}, '^\\s*\\{') END`;
  const transformed = `(CASE WHEN ${isObject} THEN TRY(json_transform(${raw}, '${JSON.stringify(spec).replaceAll("'", "''")}')) END)`;
  return envelope ? `${transformed}.${envelope}` : transformed;
}

/** Why a record the lake could not parse is not a record: JSON.parse's own words, or its JSON type. */
export function explainUnparsed(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `malformed JSON: ${(error as Error).message}`;
  }
  if (value === null || typeof value !== 'object') return `not a JSON object (found ${value === null ? 'null' : typeof value})`;
  if (Array.isArray(value)) return 'not a JSON object (found an array)';
  return 'malformed JSON';
}
