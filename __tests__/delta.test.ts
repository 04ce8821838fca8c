import { describe, expect, test } from '@jest/globals';
import {
  Baseline,
  computeDelta,
  formatBytesOneDecimal,
  formatSizeDelta,
  noBaseline,
  PlatformSize,
  roundedPercent,
  sizeChange,
} from '../src/report/delta.js';

function platform(name: string, uncompressedBytes: number, compressedBytes?: number): PlatformSize {
  return { platform: name, uncompressedBytes, compressedBytes, layers: [] };
}

describe('roundedPercent', () => {
  test.each([
    [34, 1000, 3.4],
    [-34, 1000, -3.4],
    [1, 3, 33.3],
    [5, 10_000, 0.1],
    [-5, 10_000, -0.1],
    [4, 10_000, 0],
    [-4, 10_000, 0],
    [0, 10_000, 0],
    [1000, 1000, 100],
  ])('%d of %d bytes', (change, baseline, expected) => {
    expect(roundedPercent(change, baseline)).toBe(expected);
  });

  test('no negative zero', () => {
    expect(Object.is(roundedPercent(-4, 10_000), -0)).toBe(false);
  });

  test('baseline of zero', () => {
    expect(roundedPercent(100, 0)).toBeNull();
  });
});

describe('sizeChange', () => {
  test('growth', () => {
    expect(sizeChange(1_000_000, 1_034_000)).toEqual({
      baselineBytes: 1_000_000,
      currentBytes: 1_034_000,
      bytes: 34_000,
      percent: 3.4,
    });
  });

  test('shrink', () => {
    expect(sizeChange(2_000_000, 1_500_000).bytes).toBe(-500_000);
    expect(sizeChange(2_000_000, 1_500_000).percent).toBe(-25);
  });
});

describe('computeDelta', () => {
  const current = [platform('linux/amd64', 12_000_000, 5_000_000)];

  test('report baseline, both sizes', () => {
    const baseline: Baseline = {
      kind: 'report',
      source: 'main/size-report.json',
      platforms: [
        { platform: 'linux/amd64', uncompressedBytes: 11_000_000, compressedBytes: 4_500_000 },
      ],
    };
    const [delta] = computeDelta(current, baseline);
    expect(delta.platform).toBe('linux/amd64');
    expect(delta.uncompressed).toEqual({
      baselineBytes: 11_000_000,
      currentBytes: 12_000_000,
      bytes: 1_000_000,
      percent: 9.1,
    });
    expect(delta.compressed.bytes).toBe(500_000);
    expect(delta.compressed.percent).toBe(11.1);
  });

  test('image baseline without compressed size', () => {
    const baseline: Baseline = {
      kind: 'image',
      source: 'ghcr.io/acme/api:main',
      platforms: [{ platform: 'linux/amd64', uncompressedBytes: 12_000_000 }],
    };
    const [delta] = computeDelta(current, baseline);
    expect(delta.uncompressed).toMatchObject({ bytes: 0, percent: 0 });
    expect(delta.compressed).toEqual({
      bytes: null,
      percent: null,
      reason: 'the compressed size of baseline image ghcr.io/acme/api:main is not known',
    });
  });

  test('current compressed size unknown', () => {
    const baseline: Baseline = {
      kind: 'image',
      source: 'api:main',
      platforms: [{ platform: 'linux/amd64', uncompressedBytes: 1, compressedBytes: 1 }],
    };
    const [delta] = computeDelta([platform('linux/amd64', 2)], baseline);
    expect(delta.compressed.bytes).toBeNull();
    expect(delta.compressed).toHaveProperty(
      'reason',
      'the compressed size of this image was not measured',
    );
  });

  test('number baseline', () => {
    const baseline: Baseline = {
      kind: 'number',
      source: 'baseline-size',
      uncompressedBytes: 10_000_000,
    };
    const [delta] = computeDelta(current, baseline);
    expect(delta.uncompressed).toMatchObject({ bytes: 2_000_000, percent: 20 });
    expect(delta.compressed).toHaveProperty(
      'reason',
      'baseline-size gives the uncompressed size only',
    );
  });

  test('number baseline of zero', () => {
    const baseline: Baseline = { kind: 'number', source: 'baseline-size', uncompressedBytes: 0 };
    const [delta] = computeDelta(current, baseline);
    expect(delta.uncompressed).toMatchObject({ bytes: 12_000_000, percent: null });
  });

  test('absent baseline', () => {
    for (const baseline of [null, undefined]) {
      const [delta] = computeDelta(current, baseline);
      expect(delta.uncompressed).toEqual({
        bytes: null,
        percent: null,
        reason: 'no baseline was given',
      });
      expect(delta.compressed).toEqual({
        bytes: null,
        percent: null,
        reason: 'no baseline was given',
      });
    }
  });

  test('none baseline keeps reason', () => {
    const [delta] = computeDelta(current, noBaseline('the baseline report main.json is not found'));
    expect(delta.uncompressed).toHaveProperty(
      'reason',
      'the baseline report main.json is not found',
    );
  });

  test('platforms matched by name', () => {
    const baseline: Baseline = {
      kind: 'report',
      source: 'base.json',
      platforms: [
        { platform: 'linux/arm64', uncompressedBytes: 9_000_000 },
        { platform: 'linux/amd64', uncompressedBytes: 10_000_000 },
      ],
    };
    const deltas = computeDelta(
      [
        platform('linux/amd64', 10_500_000),
        platform('linux/arm64', 9_000_000),
        platform('linux/s390x', 1),
      ],
      baseline,
    );
    expect(deltas.map((delta) => delta.uncompressed.bytes)).toEqual([500_000, 0, null]);
    expect(deltas[2].uncompressed).toHaveProperty(
      'reason',
      'baseline report base.json has no linux/s390x platform',
    );
  });

  test('single platforms pair up', () => {
    const baseline: Baseline = {
      kind: 'image',
      source: 'api:main',
      platforms: [{ platform: '', uncompressedBytes: 1_000 }],
    };
    const [delta] = computeDelta([platform('linux/amd64', 1_100)], baseline);
    expect(delta.uncompressed).toMatchObject({ bytes: 100, percent: 10 });
  });
});

describe('formatBytesOneDecimal', () => {
  test.each([
    [0, '0 B'],
    [512, '512 B'],
    [999, '999 B'],
    [1_000, '1.0 kB'],
    [1_234, '1.2 kB'],
    [999_949, '999.9 kB'],
    [999_950, '1.0 MB'],
    [1_234_567, '1.2 MB'],
    [12_345_678_901, '12.3 GB'],
  ])('%d bytes', (bytes, expected) => {
    expect(formatBytesOneDecimal(bytes)).toBe(expected);
  });
});

describe('formatSizeDelta', () => {
  test('growth', () => {
    expect(formatSizeDelta(sizeChange(35_294_118, 36_494_118))).toBe('+1.2 MB (+3.4 %)');
  });

  test('shrink uses minus sign', () => {
    expect(formatSizeDelta(sizeChange(1_000_000, 988_000))).toBe('\u221212.0 kB (\u22121.2 %)');
  });

  test('no change', () => {
    expect(formatSizeDelta(sizeChange(1_000, 1_000))).toBe('no change');
  });

  test('below rounding', () => {
    expect(formatSizeDelta(sizeChange(10_000_000, 10_000_005))).toBe('+5 B (+<0.1 %)');
    expect(formatSizeDelta(sizeChange(10_000_000, 9_999_995))).toBe('\u22125 B (\u2212<0.1 %)');
  });

  test('baseline of zero', () => {
    expect(formatSizeDelta(sizeChange(0, 2_000))).toBe('+2.0 kB (baseline 0 B)');
  });

  test('missing change', () => {
    expect(formatSizeDelta({ bytes: null, percent: null, reason: 'no baseline' })).toBe('–');
  });
});
