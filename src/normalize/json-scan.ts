/**
 * Splits a JSON document (UTF-8 bytes) into its records without parsing or decoding them, so each record
 * keeps its exact bytes and the lake stages them as they are.
 * Understands the shapes AWS delivers: a top-level array of records, an object wrapping its records in
 * `Records` (CloudTrail) or `findings`/`Findings` (GuardDuty), a single object, or several of these
 * concatenated. Validity of each record is checked later (in the lake); what the scanner cannot place
 * (a truncated tail) comes back as a broken span, so no byte is dropped.
 */
export interface JsonSpan {
  /** Byte offsets. */
  start: number;
  end: number;
  /** 1-based line where the span starts. */
  line: number;
  /** Why the span cannot be a record (truncated document), if so. */
  broken?: string;
  /** True for a wrapper object found to hold no records (e.g. `{"findings":[]}`). */
  empty?: boolean;
}

const WRAPPER_KEYS = new Set(['Records', 'findings', 'Findings']);
/** Longer keys cannot be wrapper keys, so they are not decoded. */
const MAX_WRAPPER_KEY = 8;

const QUOTE = 34;
const BACKSLASH = 92;
const NEWLINE = 10;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

export function* scanJsonDocument(text: Uint8Array): Generator<JsonSpan> {
  const scanner = new Scanner(text);
  scanner.skipWhitespace();
  while (scanner.pos < text.length) {
    const c = text[scanner.pos];
    if (c === OPEN_BRACKET) {
      yield* scanner.arrayElements();
    } else if (c === OPEN_BRACE) {
      yield* scanner.objectOrWrappedRecords();
    } else {
      // Not JSON at this point: hand the rest to the lake as one broken record.
      yield { start: scanner.pos, end: text.length, line: scanner.line, broken: 'not a JSON value' };
      return;
    }
    scanner.skipWhitespace();
  }
}

class Scanner {
  pos = 0;
  line = 1;
  private nextNewline = -1;

  constructor(private readonly text: Uint8Array) {}

  skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === NEWLINE) this.line++;
      else if (c === 0xef && t[this.pos + 1] === 0xbb && t[this.pos + 2] === 0xbf) this.pos += 2; // a byte-order mark
      else if (c !== 32 && c !== 9 && c !== 13) break;
      this.pos++;
    }
  }

  /** Moves past one JSON value starting at pos; returns false when the text ends first. */
  skipValue(): boolean {
    const t = this.text;
    const start = this.pos;
    let depth = 0;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === QUOTE) {
        if (!this.skipString()) return false;
        if (depth === 0) return true;
        continue;
      }
      if (depth === 0 && (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 32 || c === 9 || c === 13 || c === NEWLINE)) {
        // The end of a scalar: what ends it belongs to the enclosing container. Where no value
        // stands at all (malformed text such as `{"a":]`), the stray character is passed over.
        if (this.pos === start) this.pos++;
        return true;
      }
      if (c === NEWLINE) this.line++;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          this.pos++;
          return true;
        }
      }
      this.pos++;
    }
    return depth === 0;
  }

  /** pos is on an opening quote; moves past the closing one. Jumps between quotes with indexOf: most of a record is strings. */
  skipString(): boolean {
    const t = this.text;
    let from = this.pos + 1;
    for (;;) {
      const quote = t.indexOf(QUOTE, from);
      if (quote === -1) {
        this.countNewlines(t.length);
        this.pos = t.length;
        return false;
      }
      let backslashes = 0;
      while (t[quote - 1 - backslashes] === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) {
        this.countNewlines(quote);
        this.pos = quote + 1;
        return true;
      }
      from = quote + 1;
    }
  }

  /** Valid JSON has no raw newline inside a string, but malformed input may: keep line numbers true. */
  private countNewlines(end: number): void {
    if (this.nextNewline < this.pos) this.nextNewline = this.findNewline(this.pos);
    while (this.nextNewline < end) {
      this.line++;
      this.nextNewline = this.findNewline(this.nextNewline + 1);
    }
  }

  private findNewline(from: number): number {
    const i = this.text.indexOf(NEWLINE, from);
    return i === -1 ? Infinity : i;
  }

  *arrayElements(): Generator<JsonSpan> {
    const t = this.text;
    this.pos++; // [
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= t.length) return;
      const c = t[this.pos];
      if (c === CLOSE_BRACKET) {
        this.pos++;
        return;
      }
      if (c === COMMA) {
        this.pos++;
        continue;
      }
      const start = this.pos;
      const line = this.line;
      if (!this.skipValue()) {
        yield { start, end: t.length, line, broken: 'truncated JSON document: the file ends inside this record' };
        return;
      }
      yield { start, end: this.pos, line };
    }
  }

  /** An object: either a wrapper whose record array is yielded element by element, or one record. */
  *objectOrWrappedRecords(): Generator<JsonSpan> {
    const t = this.text;
    const start = this.pos;
    const line = this.line;
    const spans: JsonSpan[] = [];
    let wrapped = false;
    this.pos++; // {
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= t.length) break;
      const c = t[this.pos];
      if (c === CLOSE_BRACE) {
        this.pos++;
        if (!wrapped) yield { start, end: this.pos, line };
        else if (spans.length === 0) yield { start, end: this.pos, line, empty: true };
        else yield* spans;
        return;
      }
      if (c === COMMA || c === COLON) {
        this.pos++;
        continue;
      }
      if (c !== QUOTE) {
        if (!this.skipValue()) break;
        continue;
      }
      const keyStart = this.pos + 1;
      if (!this.skipString()) break;
      const key = this.pos - 1 - keyStart <= MAX_WRAPPER_KEY ? String.fromCharCode(...t.subarray(keyStart, this.pos - 1)) : '';
      this.skipWhitespace();
      if (t[this.pos] === COLON) this.pos++;
      this.skipWhitespace();
      if (WRAPPER_KEYS.has(key) && t[this.pos] === OPEN_BRACKET) {
        wrapped = true;
        for (const span of this.arrayElements()) {
          if (span.broken) {
            yield* spans;
            yield span;
            return;
          }
          spans.push(span);
        }
      } else if (!this.skipValue()) {
        break;
      }
    }
    // The text ended inside the object.
    if (wrapped) {
      yield* spans;
      yield { start: this.pos, end: t.length, line: this.line, broken: 'truncated JSON document: the file ends before its closing brace' };
    } else {
      yield { start, end: t.length, line, broken: 'truncated JSON document: the file ends inside this record' };
    }
  }
}
