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
/** What the broken span of text that is not JSON keeps of it. */
const REST_KEPT = 64 << 10;
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

/** Yielded by an incremental scan when the bytes given so far end before the next span does. */
export const NEED_MORE = Symbol('need more bytes');
export type ScanItem = JsonSpan | typeof NEED_MORE;

/** The spans of a whole document. */
export function* scanJsonDocument(text: Uint8Array): Generator<JsonSpan> {
  const scan = new JsonDocumentScan();
  scan.feed(text, 0, true);
  for (const item of scan.spans()) if (item !== NEED_MORE) yield item;
}

/**
 * Scans a document that arrives in windows: `spans()` yields NEED_MORE when the window ends inside what it
 * scans; the caller then feeds the next window, which must start at `keepFrom` of this one. A record cut by
 * a window's end is scanned again from its start in the next, so only the record still open is carried, and
 * offsets are those of the current window.
 */
export class JsonDocumentScan {
  pos = 0;
  line = 1;
  private text: Uint8Array = new Uint8Array(0);
  /** No bytes come after this window: what it cuts short is truncated. */
  private final = false;
  private nextNewline = -1;
  /** Start of the top-level object being scanned, which is a record (so kept whole) until it is found to be a wrapper; else -1. */
  private objectStart = -1;

  /** The next window: the bytes of the last one from `dropped` (its keepFrom) on, and what follows them. */
  feed(text: Uint8Array, dropped: number, final: boolean): void {
    this.text = text;
    this.final = final;
    this.pos -= dropped;
    if (this.objectStart >= 0) this.objectStart -= dropped;
    this.nextNewline = -1;
  }

  /** Where the bytes the scan still needs start: what comes before it may be dropped. */
  get keepFrom(): number {
    return this.objectStart >= 0 ? this.objectStart : this.pos;
  }

  *spans(): Generator<ScanItem> {
    for (;;) {
      if (yield* this.awaitValue()) return;
      const c = this.text[this.pos];
      if (c === OPEN_BRACKET) {
        yield* this.arrayElements();
      } else if (c === OPEN_BRACE) {
        yield* this.objectOrWrappedRecords();
      } else {
        // Not JSON at this point: hand the rest to the lake as one broken record.
        yield* this.restOfFile('not a JSON value');
        return;
      }
    }
  }

  /** Whether the window ends at pos (or inside a byte-order mark there, which the next window completes). */
  private atWindowEnd(): boolean {
    const t = this.text;
    return this.pos >= t.length || (!this.final && t[this.pos] === 0xef && this.pos + 3 > t.length);
  }

  /** Skips whitespace, asking for more bytes while the window ends there; true when the input is over. */
  private *awaitValue(): Generator<ScanItem, boolean> {
    for (;;) {
      this.skipWhitespace();
      if (!this.atWindowEnd()) return false;
      if (this.final) return true;
      yield NEED_MORE;
    }
  }

  /** Rewinds to `pos` (a step the window cut short) and asks for more bytes. */
  private *retryFrom(pos: number, line: number): Generator<ScanItem> {
    this.pos = pos;
    this.line = line;
    this.nextNewline = -1;
    yield NEED_MORE;
  }

  /**
   * What is left of the text is not JSON: one broken span of its first REST_KEPT bytes, and the rest passed
   * over unread (junk after a document may be of any size; memory stays bounded).
   */
  private *restOfFile(reason: string): Generator<ScanItem> {
    this.objectStart = this.pos;
    while (!this.final && this.text.length - this.objectStart < REST_KEPT) yield NEED_MORE;
    const start = this.objectStart;
    const end = Math.min(this.text.length, start + REST_KEPT);
    const cut = end < this.text.length || !this.final;
    this.objectStart = -1;
    this.pos = this.text.length;
    yield { start, end, line: this.line, broken: cut ? `${reason}: the rest of the file is not read` : reason };
    while (!this.final) {
      yield NEED_MORE;
      this.pos = this.text.length;
    }
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === NEWLINE) this.line++;
      else if (c === 0xef && t[this.pos + 1] === 0xbb && t[this.pos + 2] === 0xbf) this.pos += 2; // a byte-order mark
      else if (c !== 32 && c !== 9 && c !== 13) break;
      this.pos++;
    }
  }

  /**
   * Moves past one JSON value starting at pos; returns false when the text ends first. When more bytes may
   * come, a scalar the window ends on may go on in them, so it is not whole either.
   */
  private skipValue(): boolean {
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
    return depth === 0 && this.final;
  }

  /** pos is on an opening quote; moves past the closing one. Jumps between quotes with indexOf: most of a record is strings. */
  private skipString(): boolean {
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

  private *arrayElements(): Generator<ScanItem> {
    this.pos++; // [
    for (;;) {
      if (yield* this.awaitValue()) return;
      const c = this.text[this.pos];
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
      if (this.skipValue()) {
        yield { start, end: this.pos, line };
      } else if (this.final) {
        yield { start, end: this.text.length, line, broken: 'truncated JSON document: the file ends inside this record' };
        return;
      } else {
        yield* this.retryFrom(start, line);
      }
    }
  }

  /**
   * An object: either a wrapper whose record array is yielded element by element, or one record. Until it is
   * known to be a wrapper, the object is kept whole (objectStart), since it may be the record.
   */
  private *objectOrWrappedRecords(): Generator<ScanItem> {
    const line = this.line;
    this.objectStart = this.pos;
    let wrapped = false;
    let records = 0;
    this.pos++; // {
    for (;;) {
      if (yield* this.awaitValue()) break;
      const stepStart = this.pos;
      const stepLine = this.line;
      const t = this.text;
      const c = t[this.pos];
      if (c === CLOSE_BRACE) {
        this.pos++;
        if (!wrapped) yield { start: this.objectStart, end: this.pos, line };
        else if (records === 0) yield { start: this.objectStart, end: this.pos, line, empty: true };
        this.objectStart = -1;
        return;
      }
      if (c === COMMA || c === COLON) {
        this.pos++;
        continue;
      }
      if (c !== QUOTE) {
        if (this.skipValue()) continue;
        if (this.final) break;
        yield* this.retryFrom(stepStart, stepLine);
        continue;
      }
      const keyStart = this.pos + 1;
      if (!this.skipString()) {
        if (this.final) break;
        yield* this.retryFrom(stepStart, stepLine);
        continue;
      }
      const key = this.pos - 1 - keyStart <= MAX_WRAPPER_KEY ? String.fromCharCode(...t.subarray(keyStart, this.pos - 1)) : '';
      this.skipWhitespace();
      if (t[this.pos] === COLON) this.pos++;
      this.skipWhitespace();
      if (WRAPPER_KEYS.has(key) && t[this.pos] === OPEN_BRACKET) {
        wrapped = true;
        for (const item of this.arrayElements()) {
          if (item !== NEED_MORE && !item.broken) {
            records++;
            // Its records are what is kept now, not the wrapper.
            this.objectStart = -1;
          }
          yield item;
          if (item !== NEED_MORE && item.broken) {
            this.objectStart = -1;
            return;
          }
        }
      } else if (!this.skipValue()) {
        if (this.final) break;
        yield* this.retryFrom(stepStart, stepLine);
      }
    }
    // The text ended inside the object.
    const start = this.objectStart;
    this.objectStart = -1;
    if (wrapped) {
      yield { start: this.pos, end: this.text.length, line: this.line, broken: 'truncated JSON document: the file ends before its closing brace' };
    } else {
      yield { start, end: this.text.length, line, broken: 'truncated JSON document: the file ends inside this record' };
    }
  }
}
