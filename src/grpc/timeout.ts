/** A malformed timeout header; the message names the header and the offending value. */
export class TimeoutHeaderError extends Error {
  constructor(header: string, value: string, expected: string) {
    super(`invalid ${header} header ${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'TimeoutHeaderError';
  }
}

/** The spec caps a grpc-timeout value at 8 digits. */
const MAX_TIMEOUT_DIGITS_VALUE = 99_999_999;

const NANOS_PER_UNIT: Readonly<Record<string, number>> = {
  H: 3_600_000_000_000,
  M: 60_000_000_000,
  S: 1_000_000_000,
  m: 1_000_000,
  u: 1_000,
  n: 1,
};

// Coarsest first: the first unit that expresses a value exactly gives the fewest digits.
const UNITS_COARSEST_FIRST = Object.keys(NANOS_PER_UNIT);
const UNITS_FINEST_FIRST = [...UNITS_COARSEST_FIRST].reverse();

const GRPC_TIMEOUT_SYNTAX = /^(\d{1,8})([HMSmun])$/;
const REQUEST_TIMEOUT_SYNTAX = /^\d+(\.\d+)?$/;

/** `grpc-timeout` value ("100m", "5S") in milliseconds; fractional for the u and n units. */
export function parseGrpcTimeout(header: string): number {
  const match = GRPC_TIMEOUT_SYNTAX.exec(header);
  if (match === null) {
    throw new TimeoutHeaderError('grpc-timeout', header, '1 to 8 digits followed by a unit (H, M, S, m, u or n)');
  }
  return (Number(match[1]) * NANOS_PER_UNIT[match[2]]) / 1e6;
}

/** `Request-Timeout` value, a non-negative decimal number of seconds ("1", "0.5"), in milliseconds. */
export function parseRequestTimeout(header: string): number {
  if (!REQUEST_TIMEOUT_SYNTAX.test(header)) {
    throw new TimeoutHeaderError('Request-Timeout', header, 'a non-negative decimal number of seconds');
  }
  return Number(header) * 1000;
}

/**
 * Encodes a timeout for the `grpc-timeout` header: the shortest exact encoding when one fits in
 * 8 digits, otherwise the finest unit that fits, rounded up (the server then gives up no earlier
 * than we do; we enforce the exact deadline locally anyway). Saturates at the largest encodable
 * value. Precision below a nanosecond is dropped.
 */
export function formatGrpcTimeout(ms: number): string {
  if (Number.isNaN(ms)) throw new RangeError('timeout must be a number of milliseconds, got NaN');
  const nanos = Math.max(0, Math.round(ms * 1e6));
  for (const unit of UNITS_COARSEST_FIRST) {
    const size = NANOS_PER_UNIT[unit];
    if (nanos % size === 0 && nanos / size <= MAX_TIMEOUT_DIGITS_VALUE) return `${nanos / size}${unit}`;
  }
  for (const unit of UNITS_FINEST_FIRST) {
    const value = Math.ceil(nanos / NANOS_PER_UNIT[unit]);
    if (value <= MAX_TIMEOUT_DIGITS_VALUE) return `${value}${unit}`;
  }
  return `${MAX_TIMEOUT_DIGITS_VALUE}H`;
}
