// Text forms of google.protobuf.Timestamp, Duration and FieldMask as the
// proto3 JSON mapping defines them. Parsers throw ValueError; formatters
// throw ValueError for values outside the types' documented ranges.
import { ValueError } from './scalar-text.js';

/** Full names of the well-known types with a JSON form of their own. */
export const WKT = {
  timestamp: '.google.protobuf.Timestamp',
  duration: '.google.protobuf.Duration',
  fieldMask: '.google.protobuf.FieldMask',
  struct: '.google.protobuf.Struct',
  value: '.google.protobuf.Value',
  listValue: '.google.protobuf.ListValue',
  nullValue: '.google.protobuf.NullValue',
  any: '.google.protobuf.Any',
  empty: '.google.protobuf.Empty',
  bytesValue: '.google.protobuf.BytesValue',
} as const;

/** Wrapper message -> the scalar type its `value` field (number 1) holds. */
export const WRAPPED_SCALAR_TYPES: ReadonlyMap<string, string> = new Map([
  ['.google.protobuf.DoubleValue', 'double'],
  ['.google.protobuf.FloatValue', 'float'],
  ['.google.protobuf.Int64Value', 'int64'],
  ['.google.protobuf.UInt64Value', 'uint64'],
  ['.google.protobuf.Int32Value', 'int32'],
  ['.google.protobuf.UInt32Value', 'uint32'],
  ['.google.protobuf.BoolValue', 'bool'],
  ['.google.protobuf.StringValue', 'string'],
  ['.google.protobuf.BytesValue', 'bytes'],
]);

/** Seconds and nanoseconds of a Timestamp or Duration (nanos carries the sign of a negative Duration). */
export interface SecondsAndNanos {
  seconds: number;
  nanos: number;
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the Timestamp range.
const MIN_TIMESTAMP_SECONDS = -62135596800;
const MAX_TIMESTAMP_SECONDS = 253402300799;
// About 10,000 years, the Duration range.
const MAX_DURATION_SECONDS = 315576000000;

const TIMESTAMP_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Nanoseconds from 1-9 fractional digits ("5" is 500000000). */
function nanosFromFraction(digits: string | undefined): number {
  return digits ? Number(digits.padEnd(9, '0')) : 0;
}

/** Fractional seconds with 0, 3, 6 or 9 digits, as canonical proto3 JSON prints them. */
function fractionFromNanos(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return '.' + String(nanos / 1_000_000).padStart(3, '0');
  if (nanos % 1_000 === 0) return '.' + String(nanos / 1_000).padStart(6, '0');
  return '.' + String(nanos).padStart(9, '0');
}

/** An RFC 3339 timestamp ('Z' or a numeric offset, up to 9 fractional digits) as seconds since the epoch. */
export function parseTimestamp(text: string): SecondsAndNanos {
  const match = TIMESTAMP_PATTERN.exec(text);
  if (!match) throw new ValueError('not an RFC 3339 timestamp like "2006-01-02T15:04:05Z"');
  const [, year, month, day, hour, minute, second, fraction, offsetSign, offsetHour, offsetMinute] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    throw new ValueError('not a valid date and time');
  }
  let offsetSeconds = 0;
  if (offsetSign) {
    const oh = Number(offsetHour);
    const om = Number(offsetMinute);
    if (oh > 23 || om > 59) throw new ValueError('not a valid UTC offset');
    offsetSeconds = (offsetSign === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  const seconds = date.getTime() / 1000 - offsetSeconds;
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) {
    throw new ValueError('out of range (years 0001 to 9999)');
  }
  return { seconds, nanos: nanosFromFraction(fraction) };
}

/** "2016-12-15T12:23:32.000000049Z": UTC, 0, 3, 6 or 9 fractional digits. */
export function formatTimestamp({ seconds, nanos }: SecondsAndNanos): string {
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS || nanos < 0 || nanos > 999_999_999) {
    throw new ValueError('out of range (years 0001 to 9999)');
  }
  // toISOString prints years 0001-9999 as four digits; drop its milliseconds.
  return new Date(seconds * 1000).toISOString().slice(0, 19) + fractionFromNanos(nanos) + 'Z';
}

const DURATION_PATTERN = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * A Duration in its JSON form: decimal seconds with up to 9 fractional
 * digits and a trailing 's' ("1.5s", "-0.000000001s").
 */
export function parseDuration(text: string): SecondsAndNanos {
  const match = DURATION_PATTERN.exec(text);
  if (!match) throw new ValueError('not a duration like "1.5s"');
  const [, minus, wholeSeconds, fraction] = match;
  const seconds = Number(wholeSeconds);
  if (seconds > MAX_DURATION_SECONDS) throw new ValueError(`out of range (at most ${MAX_DURATION_SECONDS} seconds)`);
  const nanos = nanosFromFraction(fraction);
  // Both parts carry the sign; `|| 0` keeps -0 out of the message.
  return minus ? { seconds: -seconds || 0, nanos: -nanos || 0 } : { seconds, nanos };
}

/** "1.500s", "-0.000000001s": 0, 3, 6 or 9 fractional digits. */
export function formatDuration({ seconds, nanos }: SecondsAndNanos): string {
  if (
    Math.abs(seconds) > MAX_DURATION_SECONDS ||
    Math.abs(nanos) > 999_999_999 ||
    (seconds > 0 && nanos < 0) ||
    (seconds < 0 && nanos > 0)
  ) {
    throw new ValueError('not a valid Duration');
  }
  const sign = seconds < 0 || nanos < 0 ? '-' : '';
  return sign + String(Math.abs(seconds)) + fractionFromNanos(Math.abs(nanos)) + 's';
}

const FIELD_PATH_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * FieldMask paths from their JSON form "displayName,sub.childField". Each
 * lowerCamel segment becomes snake_case; snake_case segments are accepted
 * as they are, since that is how many clients write masks in a query.
 */
export function fieldMaskPathsFromText(text: string): string[] {
  if (text === '') return [];
  return text.split(',').map((path) =>
    path
      .split('.')
      .map((segment) => {
        if (!FIELD_PATH_SEGMENT.test(segment)) {
          throw new ValueError(`not a field mask (bad path ${JSON.stringify(path)})`);
        }
        return segment.replace(/[A-Z]/g, (upper) => '_' + upper.toLowerCase());
      })
      .join('.'),
  );
}

/** The JSON form of FieldMask paths: lowerCamel segments joined by commas. */
export function fieldMaskPathsToText(paths: readonly string[]): string {
  return paths.map((path) => path.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())).join(',');
}
