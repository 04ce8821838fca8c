import { describe, expect, test } from '@jest/globals';
import {
  checkBudgets,
  largestLayers,
  parseIncrease,
  parseSize,
  summarizeInstruction,
} from '../src/report/budget.js';
import { Baseline, LayerSize, PlatformSize } from '../src/report/delta.js';
import { InputError } from '../src/inputs.js';

const LAYERS: LayerSize[] = [
  {
    uncompressedBytes: 2_000_000,
    compressedBytes: 800_000,
    createdBy: 'COPY /etc/ssl /etc/ssl # buildkit',
    fromBaseImage: true,
  },
  {
    uncompressedBytes: 30_000_000,
    compressedBytes: 12_000_000,
    createdBy: 'COPY /out/app /app # buildkit',
  },
  {
    uncompressedBytes: 5_000_000,
    compressedBytes: 4_000_000,
    createdBy: 'RUN /bin/sh -c apk add ca-certificates # buildkit',
  },
  { uncompressedBytes: 0, createdBy: 'ENTRYPOINT ["/app"]' },
  {
    uncompressedBytes: 1_000_000,
    compressedBytes: 900_000,
    createdBy: 'COPY config.yaml /etc/app/ # buildkit',
  },
];

function image(
  uncompressedBytes: number,
  compressedBytes?: number,
  name = 'linux/amd64',
): PlatformSize {
  return { platform: name, uncompressedBytes, compressedBytes, layers: LAYERS };
}

function thrownMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('parseSize', () => {
  test.each([
    ['52428800', 52_428_800],
    ['50MB', 50_000_000],
    ['50 MB', 50_000_000],
    ['  50mb \n', 50_000_000],
    ['50Mb', 50_000_000],
    ['1.5GB', 1_500_000_000],
    ['100kB', 100_000],
    ['100KB', 100_000],
    ['100 B', 100],
    ['50MiB', 52_428_800],
    ['50 mib', 52_428_800],
    ['1KiB', 1024],
    ['1.5GiB', 1_610_612_736],
    ['.5kB', 500],
    ['+7', 7],
  ])('%j', (value, bytes) => {
    expect(parseSize('max-size', value)?.bytes).toBe(bytes);
  });

  test('keeps trimmed text', () => {
    expect(parseSize('max-size', ' 50 MiB ')).toEqual({ bytes: 52_428_800, text: '50 MiB' });
  });

  test('empty means unset', () => {
    expect(parseSize('max-size', '')).toBeUndefined();
    expect(parseSize('max-size', '  \n')).toBeUndefined();
  });

  test('empty but required', () => {
    const message = thrownMessage(() => parseSize('baseline-size', ' ', { required: true }));
    expect(message).toContain("Missing value for input 'baseline-size'");
    expect(message).toContain('52428800');
  });

  test('negative rejected', () => {
    const message = thrownMessage(() => parseSize('max-size', '-5MB'));
    expect(message).toContain("input 'max-size'");
    expect(message).toContain("'-5MB' is negative");
  });

  test('unknown unit rejected', () => {
    const message = thrownMessage(() => parseSize('max-size', '50 MX'));
    expect(message).toContain("'50 MX' has the unknown unit 'MX'");
    expect(message).toContain('KiB, MiB, GiB (1024-based)');
  });

  test('ambiguous unit rejected', () => {
    expect(thrownMessage(() => parseSize('max-size', '50M'))).toContain("unknown unit 'M'");
  });

  test.each(['NaN', 'abc', 'Infinity', '1e6', '50,000', '5 0MB', 'MB', '%'])(
    'invalid %j',
    (value) => {
      const message = thrownMessage(() => parseSize('max-size', value));
      expect(message).toContain(`Invalid size for input 'max-size': '${value}'`);
    },
  );

  test('fractional bytes rejected', () => {
    expect(thrownMessage(() => parseSize('max-size', '10.5'))).toContain(
      'not a whole number of bytes',
    );
    expect(thrownMessage(() => parseSize('max-size', '10.5B'))).toContain(
      'not a whole number of bytes',
    );
  });

  test('zero rejected', () => {
    const message = thrownMessage(() => parseSize('max-size', '0MB'));
    expect(message).toContain('is zero');
    expect(message).toContain("leave 'max-size' empty");
  });

  test('too large rejected', () => {
    expect(thrownMessage(() => parseSize('max-size', '99999999999TB'))).toContain('too large');
  });
});

describe('parseIncrease', () => {
  test('percent', () => {
    expect(parseIncrease('max-increase', '10%')).toEqual({
      kind: 'percent',
      percent: 10,
      text: '10%',
    });
    expect(parseIncrease('max-increase', ' 2.5 % ')).toEqual({
      kind: 'percent',
      percent: 2.5,
      text: '2.5 %',
    });
  });

  test('zero percent allowed', () => {
    expect(parseIncrease('max-increase', '0%')).toEqual({
      kind: 'percent',
      percent: 0,
      text: '0%',
    });
  });

  test('bytes and units', () => {
    expect(parseIncrease('max-increase', '5MB')).toEqual({
      kind: 'bytes',
      bytes: 5_000_000,
      text: '5MB',
    });
    expect(parseIncrease('max-increase', '0')).toEqual({ kind: 'bytes', bytes: 0, text: '0' });
  });

  test('empty means unset', () => {
    expect(parseIncrease('max-increase', '')).toBeUndefined();
  });

  test('negative percent rejected', () => {
    const message = thrownMessage(() => parseIncrease('max-increase', '-10%'));
    expect(message).toContain("input 'max-increase': '-10%' is negative");
  });

  test('bad percent rejected', () => {
    expect(thrownMessage(() => parseIncrease('max-increase', 'ten%'))).toContain(
      "Invalid percentage for input 'max-increase': 'ten%'",
    );
  });

  test('bad size rejected', () => {
    expect(thrownMessage(() => parseIncrease('max-increase', '5 parsecs'))).toContain(
      "Invalid size for input 'max-increase'",
    );
  });
});

describe('largestLayers', () => {
  test('top three uncompressed', () => {
    expect(largestLayers(LAYERS, 'uncompressed').map((layer) => layer.uncompressedBytes)).toEqual([
      30_000_000, 5_000_000, 2_000_000,
    ]);
  });

  test('top three compressed', () => {
    expect(largestLayers(LAYERS, 'compressed').map((layer) => layer.compressedBytes)).toEqual([
      12_000_000, 4_000_000, 900_000,
    ]);
  });
});

describe('summarizeInstruction', () => {
  test('classic builder prefix', () => {
    expect(summarizeInstruction('/bin/sh -c #(nop)  CMD ["/app"]')).toBe('CMD ["/app"]');
  });

  test('buildkit suffix and newlines', () => {
    expect(summarizeInstruction('RUN /bin/sh -c go build \\\n   -o /app . # buildkit')).toBe(
      'RUN /bin/sh -c go build \\ -o /app .',
    );
  });

  test('long text cut', () => {
    const text = summarizeInstruction(`RUN ${'x'.repeat(300)}`, 20);
    expect(text).toHaveLength(20);
    expect(text.endsWith('…')).toBe(true);
  });

  test('empty instruction', () => {
    expect(summarizeInstruction('   ')).toBe('(no instruction recorded)');
  });
});

describe('checkBudgets max-size', () => {
  const limit = { maxSize: { bytes: 50_000_000, text: '50MB' } };

  test('at limit passes', () => {
    expect(checkBudgets([image(50_000_000)], null, limit)).toEqual({ violations: [], skipped: [] });
  });

  test('one byte over fails', () => {
    const { violations } = checkBudgets([image(50_000_001)], null, limit);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      budget: 'max-size',
      platform: 'linux/amd64',
      sizeKind: 'uncompressed',
      actualBytes: 50_000_001,
      limitBytes: 50_000_000,
    });
  });

  test('message names size, limit, layers', () => {
    const [violation] = checkBudgets([image(52_000_000)], null, limit).violations;
    expect(violation.message).toBe(
      'linux/amd64: the uncompressed image size 52 MB (52000000 bytes) is over max-size 50MB ' +
        '(50000000 bytes) by 2000000 bytes. Largest layers: 30 MB (30000000 bytes) COPY /out/app /app; ' +
        '5 MB (5000000 bytes) RUN /bin/sh -c apk add ca-certificates; ' +
        '2 MB (2000000 bytes) COPY /etc/ssl /etc/ssl.',
    );
    expect(violation.largestLayers).toHaveLength(3);
  });

  test('message without platform', () => {
    const [violation] = checkBudgets([image(52_000_000, undefined, '')], null, limit).violations;
    expect(violation.message.startsWith('The uncompressed image size')).toBe(true);
  });

  test('each platform checked', () => {
    const { violations } = checkBudgets(
      [image(40_000_000, undefined, 'linux/amd64'), image(60_000_000, undefined, 'linux/arm64')],
      null,
      limit,
    );
    expect(violations.map((violation) => violation.platform)).toEqual(['linux/arm64']);
  });

  test('compressed size kind', () => {
    const limits = {
      maxSize: { bytes: 10_000_000, text: '10MB' },
      sizeKind: 'compressed' as const,
    };
    expect(checkBudgets([image(60_000_000, 10_000_000)], null, limits).violations).toEqual([]);
    const [violation] = checkBudgets([image(60_000_000, 10_000_001)], null, limits).violations;
    expect(violation.sizeKind).toBe('compressed');
    expect(violation.message).toContain('the compressed image size');
    expect(violation.message).toContain(
      'Largest layers: 12 MB (12000000 bytes) COPY /out/app /app',
    );
  });

  test('compressed size unmeasured skipped', () => {
    const limits = {
      maxSize: { bytes: 10_000_000, text: '10MB' },
      sizeKind: 'compressed' as const,
    };
    const result = checkBudgets([image(60_000_000)], null, limits);
    expect(result.violations).toEqual([]);
    expect(result.skipped).toEqual([
      'linux/amd64: the max-size budget was not checked: the compressed size was not measured.',
    ]);
  });

  test('image without layers', () => {
    const platform: PlatformSize = {
      platform: 'linux/amd64',
      uncompressedBytes: 60_000_000,
      layers: [],
    };
    const [violation] = checkBudgets([platform], null, limit).violations;
    expect(violation.message).toContain('The image has no layer records.');
  });
});

describe('checkBudgets max-increase', () => {
  const baseline: Baseline = {
    kind: 'report',
    source: 'main.json',
    platforms: [{ platform: 'linux/amd64', uncompressedBytes: 40_000_000 }],
  };

  test('percent at limit passes', () => {
    const limits = { maxIncrease: { kind: 'percent' as const, percent: 10, text: '10%' } };
    expect(checkBudgets([image(44_000_000)], baseline, limits).violations).toEqual([]);
  });

  test('percent one byte over fails', () => {
    const limits = { maxIncrease: { kind: 'percent' as const, percent: 10, text: '10%' } };
    const [violation] = checkBudgets([image(44_000_001)], baseline, limits).violations;
    expect(violation).toMatchObject({
      budget: 'max-increase',
      actualBytes: 4_000_001,
      limitBytes: 4_000_000,
    });
    expect(violation.message).toContain(
      'linux/amd64: the uncompressed size grew by 4 MB (4000001 bytes), from 40000000 to 44000001 bytes, ' +
        '10.0 %, over max-increase 10% (4000000 bytes of this baseline).',
    );
    expect(violation.message).toContain(
      'Largest layers: 30 MB (30000000 bytes) COPY /out/app /app',
    );
  });

  test('fractional percent boundary', () => {
    const limits = { maxIncrease: { kind: 'percent' as const, percent: 0.1, text: '0.1%' } };
    const small: Baseline = { kind: 'number', source: 'baseline-size', uncompressedBytes: 1_000 };
    expect(checkBudgets([image(1_001)], small, limits).violations).toEqual([]);
    expect(checkBudgets([image(1_002)], small, limits).violations).toHaveLength(1);
  });

  test('bytes at limit passes', () => {
    const limits = { maxIncrease: { kind: 'bytes' as const, bytes: 1_000_000, text: '1MB' } };
    expect(checkBudgets([image(41_000_000)], baseline, limits).violations).toEqual([]);
    const [violation] = checkBudgets([image(41_000_001)], baseline, limits).violations;
    expect(violation.message).toContain('over max-increase 1MB (1000000 bytes)');
  });

  test('zero increase allows shrinking', () => {
    const limits = { maxIncrease: { kind: 'bytes' as const, bytes: 0, text: '0' } };
    expect(checkBudgets([image(39_000_000)], baseline, limits).violations).toEqual([]);
    expect(checkBudgets([image(40_000_000)], baseline, limits).violations).toEqual([]);
    expect(checkBudgets([image(40_000_001)], baseline, limits).violations).toHaveLength(1);
  });

  test('missing baseline skipped', () => {
    const limits = { maxIncrease: { kind: 'percent' as const, percent: 10, text: '10%' } };
    const result = checkBudgets([image(90_000_000)], null, limits);
    expect(result.violations).toEqual([]);
    expect(result.skipped).toEqual([
      'linux/amd64: the max-increase budget was not checked: no baseline was given.',
    ]);
  });

  test('baseline of zero fails percent', () => {
    const limits = { maxIncrease: { kind: 'percent' as const, percent: 10, text: '10%' } };
    const zero: Baseline = { kind: 'number', source: 'baseline-size', uncompressedBytes: 0 };
    const [violation] = checkBudgets([image(1)], zero, limits).violations;
    expect(violation.limitBytes).toBe(0);
    expect(violation.message).toContain(
      'over max-increase 10%, which allows no growth from a baseline of 0 bytes. ' +
        'Set max-increase in bytes, or use a baseline above 0.',
    );
  });

  test('baseline of zero, no growth passes', () => {
    const limits = { maxIncrease: { kind: 'percent' as const, percent: 10, text: '10%' } };
    const zero: Baseline = { kind: 'number', source: 'baseline-size', uncompressedBytes: 0 };
    const empty: PlatformSize = { platform: 'linux/amd64', uncompressedBytes: 0, layers: [] };
    expect(checkBudgets([empty], zero, limits).violations).toEqual([]);
  });

  test('both budgets reported', () => {
    const limits = {
      maxSize: { bytes: 42_000_000, text: '42MB' },
      maxIncrease: { kind: 'bytes' as const, bytes: 1_000_000, text: '1MB' },
    };
    const { violations } = checkBudgets([image(45_000_000)], baseline, limits);
    expect(violations.map((violation) => violation.budget)).toEqual(['max-size', 'max-increase']);
  });
});
