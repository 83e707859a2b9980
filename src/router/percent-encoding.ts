// Percent-decoding of request path text. The router validates a whole path once (so a malformed
// escape is a 400 wherever it sits) and only then decodes bound values, which therefore never throw.

import type { UnescapeMode } from './router.js';

const PERCENT = 0x25;

/** The byte a `%XX` escape at `offset` stands for, or -1 when the two characters are not hex digits. */
function escapedByte(text: string, offset: number): number {
  const high = hexDigitValue(text.charCodeAt(offset + 1));
  const low = hexDigitValue(text.charCodeAt(offset + 2));
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

function hexDigitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** What a UTF-8 lead byte announces: how many continuation bytes follow and the range the first one must be in. */
interface Utf8Lead {
  continuationBytes: number;
  firstMin: number;
  firstMax: number;
}

// RFC 3629 §4: the narrower ranges after E0, ED, F0 and F4 exclude overlong forms, UTF-16
// surrogates and code points above U+10FFFF; bytes C0, C1 and F5..FF never start a character.
function utf8Lead(byte: number): Utf8Lead | undefined {
  if (byte >= 0xc2 && byte <= 0xdf) return { continuationBytes: 1, firstMin: 0x80, firstMax: 0xbf };
  if (byte === 0xe0) return { continuationBytes: 2, firstMin: 0xa0, firstMax: 0xbf };
  if (byte === 0xed) return { continuationBytes: 2, firstMin: 0x80, firstMax: 0x9f };
  if (byte >= 0xe1 && byte <= 0xef) return { continuationBytes: 2, firstMin: 0x80, firstMax: 0xbf };
  if (byte === 0xf0) return { continuationBytes: 3, firstMin: 0x90, firstMax: 0xbf };
  if (byte === 0xf4) return { continuationBytes: 3, firstMin: 0x80, firstMax: 0x8f };
  if (byte >= 0xf1 && byte <= 0xf3) return { continuationBytes: 3, firstMin: 0x80, firstMax: 0xbf };
  return undefined;
}

// Built once so that validating a path allocates nothing.
const UTF8_LEADS: ReadonlyArray<Utf8Lead | undefined> = Array.from({ length: 256 }, (_, byte) => utf8Lead(byte));

/**
 * Why `path` cannot be percent-decoded (a `%` not followed by two hex digits, or escaped bytes that
 * are not UTF-8), or undefined when it can. Characters sent unescaped are taken as they are.
 */
export function findPercentEncodingProblem(path: string): string | undefined {
  let pendingContinuations = 0;
  let continuationMin = 0x80;
  let continuationMax = 0xbf;
  let sequenceOffset = 0;
  for (let offset = 0; offset < path.length; ) {
    if (path.charCodeAt(offset) !== PERCENT) {
      if (pendingContinuations > 0) return notUtf8(sequenceOffset);
      const nextEscape = path.indexOf('%', offset);
      if (nextEscape === -1) break;
      offset = nextEscape;
      continue;
    }
    const byte = escapedByte(path, offset);
    if (byte < 0) {
      const escape = path.slice(offset, offset + 3);
      return offset + 3 > path.length
        ? `incomplete percent-encoding ${JSON.stringify(escape)} at offset ${offset}`
        : `malformed percent-encoding ${JSON.stringify(escape)} at offset ${offset}`;
    }
    if (pendingContinuations > 0) {
      if (byte < continuationMin || byte > continuationMax) return notUtf8(sequenceOffset);
      pendingContinuations--;
      continuationMin = 0x80;
      continuationMax = 0xbf;
    } else if (byte >= 0x80) {
      const lead = UTF8_LEADS[byte];
      if (lead === undefined) return notUtf8(offset);
      pendingContinuations = lead.continuationBytes;
      continuationMin = lead.firstMin;
      continuationMax = lead.firstMax;
      sequenceOffset = offset;
    }
    offset += 3;
  }
  return pendingContinuations > 0 ? notUtf8(sequenceOffset) : undefined;
}

function notUtf8(offset: number): string {
  return `percent-encoded bytes at offset ${offset} are not valid UTF-8`;
}

// RFC 6570 reserved characters: ALL_CHARACTERS_EXCEPT_RESERVED leaves them encoded so that a
// multi-segment value keeps the distinction between "a/b" sent as a path and "a%2Fb" sent as data.
const RESERVED_BYTES = new Set(Array.from("!#$&'()*+,/:;=?@[]", (char) => char.charCodeAt(0)));
const SLASH_BYTE = 0x2f;

/** Fully decodes text that passed findPercentEncodingProblem; '+' stays '+'. */
export function decodeAll(text: string): string {
  return text.includes('%') ? decodeURIComponent(text) : text;
}

/**
 * Decodes the text a multi-segment variable covers as `mode` says. Escapes that stay encoded are
 * copied as sent. Input must have passed findPercentEncodingProblem.
 */
export function decodeMultiSegment(text: string, mode: UnescapeMode): string {
  if (mode === 'ALL_CHARACTERS' || !text.includes('%')) return decodeAll(text);
  const keepsEncoded = mode === 'ALL_CHARACTERS_EXCEPT_SLASH' ? isSlash : isReserved;
  let decoded = '';
  let pieceStart = 0;
  for (let offset = text.indexOf('%'); offset !== -1; offset = text.indexOf('%', offset + 3)) {
    if (!keepsEncoded(escapedByte(text, offset))) continue;
    // Kept bytes are ASCII, and a valid path never has an ASCII byte inside a multi-byte sequence,
    // so the pieces around them decode on their own.
    decoded += decodeAll(text.slice(pieceStart, offset)) + text.slice(offset, offset + 3);
    pieceStart = offset + 3;
  }
  return decoded + decodeAll(text.slice(pieceStart));
}

function isSlash(byte: number): boolean {
  return byte === SLASH_BYTE;
}

function isReserved(byte: number): boolean {
  return RESERVED_BYTES.has(byte);
}
