// A validating JSON parser for request bodies.
//
// JSON.parse cannot serve here: it turns numbers into doubles (an unquoted
// int64 such as 9223372036854775807 would lose precision), silently keeps
// the last of duplicated keys, and its errors do not say where the input
// went wrong in a form we control. This parser keeps every number as its
// source text, rejects duplicate keys and follows RFC 8259 strictly; it
// also rejects unpaired surrogates, which no protobuf string can carry.

/** A JSON number kept as its exact source text (e.g. "9223372036854775807", "1e2", "-0.5"). */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

/**
 * A parsed JSON object: a null-prototype object whose keys follow document
 * order, except that JS lists integer-like keys ("1", "20") first.
 */
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonSyntaxError extends Error {
  /** Position of the problem: a UTF-16 index into the text, or a byte index for invalid UTF-8. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.offset = offset;
  }
}

// Deep enough for any sane document, shallow enough that recursion cannot
// exhaust the stack on hostile input like 100k nested '['.
const MAX_NESTING_DEPTH = 1000;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses exactly one JSON value; whitespace may surround it, anything else is an error. */
export function parseJsonText(input: Uint8Array | string): JsonValue {
  const parser = new Parser(decodeInput(input));
  parser.skipWhitespace();
  const value = parser.parseValue(0);
  parser.skipWhitespace();
  if (!parser.atEnd()) parser.failUnexpected();
  return value;
}

/** Converts to ordinary JS values: JsonNumber becomes a JS number (precision may be lost). */
export function jsonValueToPlain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (Array.isArray(value)) return value.map(jsonValueToPlain);
  if (value !== null && typeof value === 'object') {
    const plain: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value)) plain[key] = jsonValueToPlain(value[key]!);
    return plain;
  }
  return value;
}

function decodeInput(input: Uint8Array | string): string {
  if (typeof input === 'string') return input;
  try {
    // The default (ignoreBOM: false) drops a leading byte order mark, which RFC 8259 lets parsers ignore.
    return utf8Decoder.decode(input);
  } catch {
    const offset = firstInvalidUtf8Byte(input);
    throw new JsonSyntaxError(`invalid UTF-8 at byte ${offset}`, offset);
  }
}

/** Index of the first byte that starts an invalid UTF-8 sequence (only called once decoding has failed). */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      length = 2;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + length > bytes.length) return i;
    let codePoint = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k]!;
      if ((next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += length;
  }
  return bytes.length;
}

const CH_TAB = 0x09;
const CH_LF = 0x0a;
const CH_CR = 0x0d;
const CH_SPACE = 0x20;
const CH_QUOTE = 0x22;
const CH_PLUS = 0x2b;
const CH_COMMA = 0x2c;
const CH_MINUS = 0x2d;
const CH_DOT = 0x2e;
const CH_SLASH = 0x2f;
const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_COLON = 0x3a;
const CH_LBRACKET = 0x5b;
const CH_BACKSLASH = 0x5c;
const CH_RBRACKET = 0x5d;
const CH_LOWER_E = 0x65;
const CH_UPPER_E = 0x45;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function describeChar(c: number): string {
  if (c > CH_SPACE && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== CH_SPACE && c !== CH_LF && c !== CH_CR && c !== CH_TAB) break;
      pos++;
    }
    this.pos = pos;
  }

  failUnexpected(): never {
    if (this.atEnd()) throw new JsonSyntaxError('unexpected end of input', this.pos);
    throw new JsonSyntaxError(`unexpected character ${describeChar(this.peek())} at offset ${this.pos}`, this.pos);
  }

  parseValue(depth: number): JsonValue {
    const c = this.peek();
    switch (c) {
      case CH_LBRACE:
        return this.parseObject(depth + 1);
      case CH_LBRACKET:
        return this.parseArray(depth + 1);
      case CH_QUOTE:
        return this.parseString();
      case 0x74: // t
        return this.parseLiteral('true', true);
      case 0x66: // f
        return this.parseLiteral('false', false);
      case 0x6e: // n
        return this.parseLiteral('null', null);
      default:
        if (c === CH_MINUS || isDigit(c)) return this.parseNumber();
        return this.failUnexpected();
    }
  }

  private enter(depth: number): void {
    if (depth > MAX_NESTING_DEPTH) {
      throw new JsonSyntaxError(`nesting deeper than ${MAX_NESTING_DEPTH} levels at offset ${this.pos}`, this.pos);
    }
    this.pos++; // the opening bracket or brace
    this.skipWhitespace();
  }

  private parseObject(depth: number): JsonObject {
    this.enter(depth);
    const object: JsonObject = Object.create(null);
    if (this.peek() === CH_RBRACE) {
      this.pos++;
      return object;
    }
    for (;;) {
      if (this.peek() !== CH_QUOTE) this.failUnexpected();
      const keyOffset = this.pos;
      const key = this.parseString();
      // Values are never undefined, so a defined slot means the key was seen.
      if (object[key] !== undefined) {
        throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)} at offset ${keyOffset}`, keyOffset);
      }
      this.skipWhitespace();
      if (this.peek() !== CH_COLON) this.failUnexpected();
      this.pos++;
      this.skipWhitespace();
      object[key] = this.parseValue(depth);
      this.skipWhitespace();
      const c = this.peek();
      if (c === CH_RBRACE) {
        this.pos++;
        return object;
      }
      if (c !== CH_COMMA) this.failUnexpected();
      this.pos++;
      this.skipWhitespace();
    }
  }

  private parseArray(depth: number): JsonValue[] {
    this.enter(depth);
    const array: JsonValue[] = [];
    if (this.peek() === CH_RBRACKET) {
      this.pos++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.peek();
      if (c === CH_RBRACKET) {
        this.pos++;
        return array;
      }
      if (c !== CH_COMMA) this.failUnexpected();
      this.pos++;
      this.skipWhitespace();
    }
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) {
      // Point at the first character that differs from the literal.
      let i = 0;
      while (i < word.length && this.text.charCodeAt(this.pos + i) === word.charCodeAt(i)) i++;
      this.pos += i;
      this.failUnexpected();
    }
    this.pos += word.length;
    return value;
  }

  private parseNumber(): JsonNumber {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === CH_MINUS) pos++;
    const firstDigit = text.charCodeAt(pos);
    if (firstDigit === CH_0) {
      pos++;
    } else if (isDigit(firstDigit)) {
      while (isDigit(text.charCodeAt(pos))) pos++;
    } else {
      this.pos = pos;
      this.failUnexpected();
    }
    if (text.charCodeAt(pos) === CH_DOT) {
      pos++;
      pos = this.requireDigits(pos);
    }
    const e = text.charCodeAt(pos);
    if (e === CH_LOWER_E || e === CH_UPPER_E) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === CH_PLUS || sign === CH_MINUS) pos++;
      pos = this.requireDigits(pos);
    }
    this.pos = pos;
    return new JsonNumber(text.slice(start, pos));
  }

  private requireDigits(pos: number): number {
    if (!isDigit(this.text.charCodeAt(pos))) {
      this.pos = pos;
      this.failUnexpected();
    }
    while (isDigit(this.text.charCodeAt(pos))) pos++;
    return pos;
  }

  private parseString(): string {
    const text = this.text;
    const start = this.pos + 1;
    let pos = start;
    // Fast path: no escapes, so the result is a slice of the input.
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === CH_QUOTE) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c === CH_BACKSLASH) break;
      // `!(c >= CH_SPACE)` also catches NaN, the end of the input.
      if (!(c >= CH_SPACE) || (c & 0xf800) === 0xd800) pos = this.checkSpecialChar(pos, c);
      else pos++;
    }
    return this.parseEscapedString(start, pos);
  }

  private parseEscapedString(start: number, firstEscape: number): string {
    const text = this.text;
    let result = text.slice(start, firstEscape);
    let pos = firstEscape;
    let chunkStart = pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === CH_QUOTE) {
        this.pos = pos + 1;
        return result + text.slice(chunkStart, pos);
      }
      if (c === CH_BACKSLASH) {
        result += text.slice(chunkStart, pos) + this.readEscape(pos);
        pos = this.pos;
        chunkStart = pos;
      } else if (!(c >= CH_SPACE) || (c & 0xf800) === 0xd800) {
        pos = this.checkSpecialChar(pos, c);
      } else {
        pos++;
      }
    }
  }

  /** Handles end of input, raw control characters and raw surrogates inside a string; returns the next position. */
  private checkSpecialChar(pos: number, c: number): number {
    if (Number.isNaN(c)) {
      this.pos = pos;
      this.failUnexpected();
    }
    if (c < CH_SPACE) {
      throw new JsonSyntaxError(`unescaped control character ${describeChar(c)} in string at offset ${pos}`, pos);
    }
    // A raw surrogate can only come from a JS string input; it must be a proper pair.
    const next = this.text.charCodeAt(pos + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return pos + 2;
    throw new JsonSyntaxError(`unpaired surrogate ${describeChar(c)} in string at offset ${pos}`, pos);
  }

  /** Decodes the escape sequence at `pos` (a backslash) and leaves `this.pos` just after it. */
  private readEscape(pos: number): string {
    const c = this.text.charCodeAt(pos + 1);
    this.pos = pos + 2;
    switch (c) {
      case CH_QUOTE:
        return '"';
      case CH_BACKSLASH:
        return '\\';
      case CH_SLASH:
        return '/';
      case 0x62: // b
        return '\b';
      case 0x66: // f
        return '\f';
      case 0x6e: // n
        return '\n';
      case 0x72: // r
        return '\r';
      case 0x74: // t
        return '\t';
      case 0x75: // u
        return this.readUnicodeEscape(pos);
      default:
        this.pos = pos + 1;
        if (Number.isNaN(c)) this.failUnexpected();
        throw new JsonSyntaxError(`invalid escape '\\${String.fromCharCode(c)}' at offset ${pos}`, pos);
    }
  }

  private readUnicodeEscape(pos: number): string {
    const unit = this.readHex4(pos + 2);
    this.pos = pos + 6;
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    // A high surrogate must be followed by an escaped low surrogate; a lone
    // surrogate cannot be encoded as UTF-8 for a protobuf string.
    const text = this.text;
    if (unit <= 0xdbff && text.charCodeAt(pos + 6) === CH_BACKSLASH && text.charCodeAt(pos + 7) === 0x75) {
      const low = this.readHex4(pos + 8);
      if (low >= 0xdc00 && low <= 0xdfff) {
        this.pos = pos + 12;
        return String.fromCharCode(unit, low);
      }
    }
    throw new JsonSyntaxError(`unpaired surrogate escape at offset ${pos}`, pos);
  }

  private readHex4(pos: number): number {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.text.charCodeAt(pos + i);
      let digit: number;
      if (c >= CH_0 && c <= CH_9) digit = c - CH_0;
      else if (c >= 0x61 && c <= 0x66) digit = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) digit = c - 0x41 + 10;
      else {
        this.pos = pos + i;
        this.failUnexpected();
      }
      value = (value << 4) | digit;
    }
    return value;
  }
}
