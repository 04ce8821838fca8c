import { describe, expect, test } from '@jest/globals';
import { formatDockerSize, formatSeconds, formatSizeWithBytes } from '../src/report/format.js';

describe('formatDockerSize', () => {
  test.each([
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [2_048_000, '2.05MB'],
    [12_000_000, '12MB'],
    [123_456_789, '123MB'],
    [1_500_000_000, '1.5GB'],
  ])('%d bytes', (bytes, expected) => {
    expect(formatDockerSize(bytes)).toBe(expected);
  });
});

describe('formatSizeWithBytes', () => {
  test('unit and bytes', () => {
    expect(formatSizeWithBytes(2_048_000)).toBe('2.05 MB (2048000 bytes)');
  });
});

describe('formatSeconds', () => {
  test('one decimal', () => {
    expect(formatSeconds(3.14159)).toBe('3.1 s');
  });

  test('unknown', () => {
    expect(formatSeconds(undefined)).toBe('–');
  });
});
