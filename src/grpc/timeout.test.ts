import { describe, expect, it } from 'vitest';
import { TimeoutHeaderError, formatGrpcTimeout, parseGrpcTimeout, parseRequestTimeout } from './timeout.js';

describe('parseGrpcTimeout', () => {
  it.each([
    ['1S', 1000],
    ['5m', 5],
    ['5M', 300_000],
    ['2H', 7_200_000],
    ['1500u', 1.5],
    ['2000000n', 2],
    ['0m', 0],
    ['99999999S', 99_999_999_000],
    ['00000001m', 1],
  ])('%s is %d ms', (header, ms) => {
    expect(parseGrpcTimeout(header)).toBe(ms);
  });

  it.each(['1x', '123456789S', 'S', '', '1s', '1 S', ' 1S', '-1S', '1.5S', '1SS', '1h'])('rejects %j', (header) => {
    expect(() => parseGrpcTimeout(header)).toThrow(TimeoutHeaderError);
  });

  it('names the header and the value in the error', () => {
    expect(() => parseGrpcTimeout('1x')).toThrow(/grpc-timeout.*"1x"/);
  });
});

describe('parseRequestTimeout', () => {
  it.each([
    ['1', 1000],
    ['0.5', 500],
    ['0', 0],
    ['30', 30_000],
    ['0.001', 1],
  ])('%s s is %d ms', (header, ms) => {
    expect(parseRequestTimeout(header)).toBeCloseTo(ms, 9);
  });

  it.each(['', '-1', '.5', '1.', '1e3', 'abc', '1 ', '1s', 'Infinity', '0x10'])('rejects %j', (header) => {
    expect(() => parseRequestTimeout(header)).toThrow(TimeoutHeaderError);
  });

  it('names the header and the value in the error', () => {
    expect(() => parseRequestTimeout('soon')).toThrow(/Request-Timeout.*"soon"/);
  });
});

describe('formatGrpcTimeout', () => {
  it.each([
    [1000, '1S'],
    [5, '5m'],
    [300_000, '5M'],
    [7_200_000, '2H'],
    [1500, '1500m'],
    [4987, '4987m'],
    [0.5, '500u'],
    [1.0005, '1000500n'],
    [99_999_999, '99999999m'],
    // Not exact within 8 digits: the finest unit that fits, rounded up.
    [123_456_789, '123457S'],
    [100_000_000.5, '100001S'],
    [1e20, '99999999H'],
    [Infinity, '99999999H'],
    [-5, '0H'],
  ])('%d ms is %s', (ms, header) => {
    expect(formatGrpcTimeout(ms)).toBe(header);
  });

  it('never encodes more than 8 digits and never less time than asked (to the nanosecond)', () => {
    for (let ms = 0.000123; ms < 1e13; ms = ms * 3.7 + 0.001) {
      const header = formatGrpcTimeout(ms);
      expect(header).toMatch(/^\d{1,8}[HMSmun]$/);
      expect(parseGrpcTimeout(header)).toBeGreaterThanOrEqual(ms - 1e-6);
    }
  });

  it('rejects NaN', () => {
    expect(() => formatGrpcTimeout(NaN)).toThrow(RangeError);
  });
});
