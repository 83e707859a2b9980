// Splits a client-streaming request body into its top-level JSON values as the
// chunks arrive, so each message can be forwarded before the rest of the body
// exists. A body starting with '[' is one array whose elements are the values;
// any other body is a sequence of values (NDJSON or concatenated JSON).
//
// The splitter only finds where values begin and end — it tracks strings,
// escapes and nesting depth, looking at every byte once — and checks what lies
// between them. A value's own syntax is checked when it is parsed
// (parseJsonText), so its errors name offsets inside that value; the splitter's
// errors name byte offsets into the whole body.
import { proxyErrors } from '../errors/catalogue.js';
import { JsonSyntaxError } from './json-text.js';

const CH_TAB = 0x09;
const CH_LF = 0x0a;
const CH_CR = 0x0d;
const CH_SPACE = 0x20;
const CH_QUOTE = 0x22;
const CH_COMMA = 0x2c;
const CH_LBRACKET = 0x5b;
const CH_BACKSLASH = 0x5c;
const CH_RBRACKET = 0x5d;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

// Where the splitter stands outside a value.
/** Only whitespace (or a byte order mark) so far. */
const BEFORE_BODY = 0;
/** A sequence body, between values. */
const SEQUENCE = 1;
/** Just after the array's '[': an element or ']' follows. */
const ARRAY_OPENED = 2;
/** Just after a ',': an element follows. */
const ARRAY_COMMA = 3;
/** Just after an element: ',' or ']' follows. */
const ARRAY_ELEMENT = 4;
/** After the array's ']': only whitespace may follow. */
const ARRAY_CLOSED = 5;

function isWhitespace(b: number): boolean {
  return b === CH_SPACE || b === CH_LF || b === CH_CR || b === CH_TAB;
}

/** Bytes that may continue a number or a literal; parseJsonText decides whether the token is valid. */
function isScalarByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x2b || b === 0x2d || b === 0x2e;
}

function describeByte(b: number): string {
  if (b > CH_SPACE && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).toUpperCase().padStart(2, '0')}`;
}

function unexpected(b: number, offset: number): JsonSyntaxError {
  return new JsonSyntaxError(`unexpected character ${describeByte(b)} at offset ${offset}`, offset);
}

function invalidUtf8(offset: number): JsonSyntaxError {
  return new JsonSyntaxError(`invalid UTF-8 at byte ${offset}`, offset);
}

/**
 * Feed it the body with push(), chunk by chunk, then call end(); each returns the values it
 * completed, as their UTF-8 text. Throws JsonSyntaxError for a malformed body and a
 * body_too_large ProxyError once the body passes `limit` bytes.
 */
export class JsonStreamSplitter {
  private state = BEFORE_BODY;
  /** Bytes received so far; also the body offset of the next chunk's first byte. */
  private received = 0;

  private inValue = false;
  /** The value is a number or literal: it ends at the first byte that cannot continue it. */
  private scalar = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Earlier chunks' pieces of the value in progress. */
  private pieces: Uint8Array[] = [];

  /** Continuation bytes the current UTF-8 sequence still needs, and the range its next one must fall in. */
  private utf8Needed = 0;
  private utf8Low = 0x80;
  private utf8High = 0xbf;
  private utf8Start = 0;

  constructor(private readonly limit: number) {}

  /** Bytes of body received so far. */
  get bytes(): number {
    return this.received;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const base = this.received;
    this.received += chunk.length;
    if (this.received > this.limit) throw proxyErrors.bodyTooLarge(this.limit);
    const values: Uint8Array[] = [];
    // Where the value in progress starts in this chunk.
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b >= 0x80 || this.utf8Needed > 0) this.checkUtf8(b, base + i);
      if (this.inValue) {
        if (!this.scalar) {
          if (this.scanStructured(b)) values.push(this.finishValue(chunk.subarray(start, i + 1)));
          continue;
        }
        if (isScalarByte(b)) continue;
        // The byte after a number or literal ends it and is itself read as what follows the value.
        values.push(this.finishValue(chunk.subarray(start, i)));
      }
      if (this.between(b, base + i)) {
        this.inValue = true;
        start = i;
      }
    }
    if (this.inValue) this.pieces.push(chunk.subarray(start));
    return values;
  }

  /** The body is complete: returns a last number or literal still open, or throws when the body was cut short. */
  end(): Uint8Array[] {
    if (this.utf8Needed > 0) throw invalidUtf8(this.utf8Start);
    const values: Uint8Array[] = [];
    if (this.inValue) {
      if (!this.scalar || this.state !== SEQUENCE) throw new JsonSyntaxError(`unexpected end of input at offset ${this.received}`, this.received);
      values.push(this.finishValue(new Uint8Array(0)));
    }
    if (this.state !== BEFORE_BODY && this.state !== SEQUENCE && this.state !== ARRAY_CLOSED) {
      throw new JsonSyntaxError(`unexpected end of input: the array is missing its ']'`, this.received);
    }
    return values;
  }

  /** Follows a byte of an object, array or string value; true when it closes the value. */
  private scanStructured(b: number): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (b === CH_BACKSLASH) this.escaped = true;
      else if (b === CH_QUOTE) {
        this.inString = false;
        return this.depth === 0;
      }
      return false;
    }
    if (b === CH_QUOTE) this.inString = true;
    else if (b === CH_LBRACE || b === CH_LBRACKET) this.depth++;
    else if (b === CH_RBRACE || b === CH_RBRACKET) return --this.depth === 0;
    return false;
  }

  /** Handles a byte outside any value; true when it starts one. */
  private between(b: number, offset: number): boolean {
    if (isWhitespace(b)) return false;
    switch (this.state) {
      case BEFORE_BODY:
        // UTF-8 checking has already refused any other bytes before a partial mark.
        if (offset < UTF8_BOM.length && b === UTF8_BOM[offset]) return false;
        if (b === CH_LBRACKET) {
          this.state = ARRAY_OPENED;
          return false;
        }
        this.state = SEQUENCE;
        return this.startValue(b, offset);
      case SEQUENCE:
      case ARRAY_COMMA:
        return this.startValue(b, offset);
      case ARRAY_OPENED:
        if (b === CH_RBRACKET) {
          this.state = ARRAY_CLOSED;
          return false;
        }
        return this.startValue(b, offset);
      case ARRAY_ELEMENT:
        if (b === CH_COMMA) this.state = ARRAY_COMMA;
        else if (b === CH_RBRACKET) this.state = ARRAY_CLOSED;
        else throw unexpected(b, offset);
        return false;
      default:
        throw unexpected(b, offset);
    }
  }

  private startValue(b: number, offset: number): boolean {
    const structured = b === CH_LBRACE || b === CH_LBRACKET;
    this.scalar = isScalarByte(b);
    if (!structured && !this.scalar && b !== CH_QUOTE) throw unexpected(b, offset);
    this.depth = structured ? 1 : 0;
    this.inString = b === CH_QUOTE;
    this.escaped = false;
    return true;
  }

  /** Joins the value's last piece to any earlier ones and moves past it. */
  private finishValue(last: Uint8Array): Uint8Array {
    const pieces = this.pieces;
    this.pieces = [];
    this.inValue = false;
    if (this.state !== SEQUENCE) this.state = ARRAY_ELEMENT;
    return pieces.length === 0 ? last : Buffer.concat([...pieces, last]);
  }

  /** Validates UTF-8 as it streams: a sequence may be split across chunks. */
  private checkUtf8(b: number, offset: number): void {
    if (this.utf8Needed > 0) {
      if (b < this.utf8Low || b > this.utf8High) throw invalidUtf8(this.utf8Start);
      this.utf8Needed--;
      this.utf8Low = 0x80;
      this.utf8High = 0xbf;
      return;
    }
    // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
    if (b >= 0xc2 && b <= 0xdf) this.utf8Needed = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      this.utf8Needed = 2;
      if (b === 0xe0) this.utf8Low = 0xa0;
      if (b === 0xed) this.utf8High = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.utf8Needed = 3;
      if (b === 0xf0) this.utf8Low = 0x90;
      if (b === 0xf4) this.utf8High = 0x8f;
    } else throw invalidUtf8(offset);
    this.utf8Start = offset;
  }
}
