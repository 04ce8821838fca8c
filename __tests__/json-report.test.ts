import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageMeasurement, PlatformImage } from '../src/docker/image-size.js';
import {
  baselineFromReport,
  buildJsonReport,
  JsonReport,
  platformSizeFromMeasurement,
  readJsonReport,
  ReportFileError,
  validateJsonReport,
  writeJsonReport,
} from '../src/report/json-report.js';
import { PlatformSize } from '../src/report/delta.js';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'json-report-test-'));

const PLATFORMS: PlatformSize[] = [
  {
    platform: 'linux/amd64',
    uncompressedBytes: 12_000_000,
    compressedBytes: 5_000_000,
    layers: [
      {
        uncompressedBytes: 2_000_000,
        compressedBytes: 900_000,
        createdBy: 'ADD rootfs.tar.gz /',
        fromBaseImage: true,
      },
      {
        uncompressedBytes: 10_000_000,
        compressedBytes: 4_100_000,
        createdBy: 'COPY /out/app /app # buildkit',
      },
    ],
    baseImage: { reference: 'alpine:3.20', uncompressedBytes: 2_000_000, compressedBytes: 900_000 },
  },
];

function sampleReport(): JsonReport {
  return buildJsonReport({
    image: {
      name: 'ghcr.io/acme/api',
      tags: ['ghcr.io/acme/api:1.4.0', 'ghcr.io/acme/api:latest'],
      imageId: 'sha256:' + 'ab'.repeat(32),
      digest: '',
    },
    platforms: PLATFORMS,
    caches: [{ name: 'modules', result: 'hit', restoredBytes: 73_200_000 }],
    timings: { build: 12.3, restore: 1.5 },
    baseline: {
      kind: 'number',
      source: 'baseline-size',
      uncompressedBytes: 11_000_000,
    },
    limits: {
      maxSize: { bytes: 10_000_000, text: '10MB' },
      maxIncrease: { kind: 'percent', percent: 5, text: '5%' },
    },
    run: { repository: 'acme/api', sha: 'a'.repeat(40), ref: 'refs/pull/7/merge' },
    createdAt: new Date('2026-01-02T03:04:05Z'),
  });
}

function writeRaw(name: string, content: string): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, content);
  return file;
}

function readError(file: string): string {
  try {
    readJsonReport(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ReportFileError);
    return (error as Error).message;
  }
  throw new Error('expected a ReportFileError');
}

describe('buildJsonReport', () => {
  test('schema fields', () => {
    const report = sampleReport();
    expect(report.schemaVersion).toBe(1);
    expect(report.tool).toBe('go-buildx-action');
    expect(report.createdAt).toBe('2026-01-02T03:04:05.000Z');
  });

  test('delta computed', () => {
    const [delta] = sampleReport().delta;
    expect(delta.uncompressed).toMatchObject({ bytes: 1_000_000, percent: 9.1 });
    expect(delta.compressed.bytes).toBeNull();
  });

  test('budgets computed', () => {
    const { budgets } = sampleReport();
    expect(budgets.passed).toBe(false);
    expect(budgets.sizeKind).toBe('uncompressed');
    expect(budgets.violations.map((violation) => violation.budget)).toEqual([
      'max-size',
      'max-increase',
    ]);
    expect(budgets.skipped).toEqual([]);
  });

  test('defaults without baseline', () => {
    const report = buildJsonReport({
      image: { name: 'api', tags: [], imageId: '', digest: '' },
      platforms: PLATFORMS,
    });
    expect(report.baseline).toEqual({ kind: 'none', reason: 'no baseline was given' });
    expect(report.budgets).toMatchObject({ passed: true, violations: [], skipped: [] });
    expect(report.caches).toEqual([]);
    expect(report.timings).toEqual({});
  });
});

describe('writeJsonReport and readJsonReport', () => {
  test('round trip', () => {
    const file = path.join(directory, 'nested', 'dir', 'report.json');
    const report = sampleReport();
    writeJsonReport(file, report);
    expect(readJsonReport(file)).toEqual(report);
  });

  test('indented with newline', () => {
    const file = path.join(directory, 'pretty.json');
    writeJsonReport(file, sampleReport());
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith('{\n  "schemaVersion": 1,')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('no temporary file left', () => {
    const file = path.join(directory, 'clean', 'report.json');
    writeJsonReport(file, sampleReport());
    expect(fs.readdirSync(path.dirname(file))).toEqual(['report.json']);
  });

  test('invalid report not written', () => {
    const file = path.join(directory, 'nan.json');
    const report = sampleReport();
    report.platforms = [{ ...PLATFORMS[0], uncompressedBytes: Number.NaN }];
    expect(() => writeJsonReport(file, report)).toThrow(ReportFileError);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('baseline from report', () => {
    const file = path.join(directory, 'baseline.json');
    writeJsonReport(file, sampleReport());
    expect(baselineFromReport(readJsonReport(file), file)).toEqual({
      kind: 'report',
      source: file,
      platforms: [
        { platform: 'linux/amd64', uncompressedBytes: 12_000_000, compressedBytes: 5_000_000 },
      ],
    });
  });

  test('null optional sizes dropped', () => {
    const data = JSON.parse(JSON.stringify(sampleReport()));
    data.platforms[0].compressedBytes = null;
    data.platforms[0].layers[0].compressedBytes = null;
    data.platforms[0].baseImage = null;
    const report = validateJsonReport(data, 'report.json');
    expect(report.platforms[0]).not.toHaveProperty('compressedBytes');
    expect(report.platforms[0].layers[0]).not.toHaveProperty('compressedBytes');
    expect(report.platforms[0]).not.toHaveProperty('baseImage');
  });
});

describe('readJsonReport rejects', () => {
  test('missing file', () => {
    const message = readError(path.join(directory, 'absent.json'));
    expect(message).toContain('absent.json is not found');
    expect(message).toContain('Check the path');
  });

  test('invalid JSON', () => {
    const message = readError(writeRaw('broken.json', '{"schemaVersion": 1,'));
    expect(message).toContain('broken.json is not valid JSON');
  });

  test.each([
    ['null', 'null'],
    ['array', '[]'],
    ['string', '"report"'],
    ['other tool', '{"tool": "size-action", "schemaVersion": 1}'],
    ['no tool', '{"schemaVersion": 1, "platforms": []}'],
  ])('foreign file: %s', (name, content) => {
    const message = readError(writeRaw(`foreign-${name}.json`, content));
    expect(message).toContain('is not a go-buildx-action size report');
  });

  test('newer schema', () => {
    const message = readError(
      writeRaw('newer.json', '{"tool": "go-buildx-action", "schemaVersion": 2}'),
    );
    expect(message).toContain('has schema version 2, newer than the version 1 this action reads');
    expect(message).toContain('Update the action');
  });

  test('older schema', () => {
    const message = readError(
      writeRaw('older.json', '{"tool": "go-buildx-action", "schemaVersion": 0}'),
    );
    expect(message).toContain('has schema version 0, but this action reads version 1');
  });

  test('missing schema version', () => {
    const message = readError(writeRaw('unversioned.json', '{"tool": "go-buildx-action"}'));
    expect(message).toContain('has no schemaVersion field, but this action reads version 1');
  });

  test.each([
    ['image', (data: any) => delete data.image, 'field image must be an object, but is missing'],
    [
      'platform size',
      (data: any) => (data.platforms[0].uncompressedBytes = '12MB'),
      'field platforms[0].uncompressedBytes must be a whole number, but is "12MB"',
    ],
    [
      'negative size',
      (data: any) => (data.platforms[0].uncompressedBytes = -1),
      'field platforms[0].uncompressedBytes must be a byte count of 0 or more, but is -1',
    ],
    [
      'fractional size',
      (data: any) => (data.platforms[0].layers[1].uncompressedBytes = 1.5),
      'field platforms[0].layers[1].uncompressedBytes must be a whole number',
    ],
    [
      'layer instruction',
      (data: any) => (data.platforms[0].layers[0].createdBy = 7),
      'field platforms[0].layers[0].createdBy must be a string, but is 7',
    ],
    ['tags', (data: any) => (data.image.tags = 'api:1'), 'field image.tags must be an array'],
    [
      'timing',
      (data: any) => (data.timings.build = 'slow'),
      'field timings.build must be a number',
    ],
    ['cache', (data: any) => (data.caches = [1]), 'field caches[0] must be an object'],
    [
      'baseline kind',
      (data: any) => (data.baseline = { kind: 'guess' }),
      'field baseline.kind must be one of report, image, number, none, but is "guess"',
    ],
    [
      'delta',
      (data: any) => (data.delta[0].uncompressed = { bytes: 'many' }),
      'field delta[0].uncompressed.baselineBytes must be a whole number',
    ],
    [
      'violation budget',
      (data: any) => (data.budgets.violations[0].budget = 'max-layers'),
      'field budgets.violations[0].budget must be max-size or max-increase',
    ],
    [
      'size kind',
      (data: any) => (data.budgets.sizeKind = 'gzip'),
      'field budgets.sizeKind must be uncompressed or compressed',
    ],
    [
      'increase kind',
      (data: any) => (data.budgets.limits.maxIncrease.kind = 'ratio'),
      'field budgets.limits.maxIncrease.kind must be bytes or percent',
    ],
    ['run', (data: any) => (data.run.sha = 42), 'field run.sha must be a string'],
  ])('invalid field: %s', (name, change, expected) => {
    const data = JSON.parse(JSON.stringify(sampleReport()));
    change(data);
    const message = readError(
      writeRaw(`field-${name.replace(/ /g, '-')}.json`, JSON.stringify(data)),
    );
    expect(message).toContain(expected);
    expect(message).toContain('Use a file that this action wrote with report-file.');
  });
});

describe('platformSizeFromMeasurement', () => {
  const local: ImageMeasurement = {
    imageRef: 'api:dev',
    imageId: 'sha256:' + 'c'.repeat(64),
    platform: 'linux/amd64',
    size: 12_000_000,
    compressedSize: 5_100_000,
    configSize: 1_500,
    layers: [
      {
        diffId: 'sha256:1',
        size: 2_000_000,
        tarSize: 2_010_000,
        compressedSize: 900_000,
        createdBy: 'ADD rootfs /',
        fromBase: true,
      },
      {
        diffId: 'sha256:2',
        size: undefined,
        tarSize: 10_010_000,
        compressedSize: 4_200_000,
        createdBy: '',
        fromBase: false,
      },
    ],
    history: [],
    base: {
      kind: 'found',
      imageRef: 'alpine:3.20',
      imageId: 'sha256:' + 'd'.repeat(64),
      baseLayerCount: 1,
      layerCount: 1,
      size: 2_000_000,
      compressedSize: 900_000,
    },
    added: { layerCount: 1, size: 10_000_000, compressedSize: 4_200_000 },
  };

  test('local estimate', () => {
    expect(platformSizeFromMeasurement(local)).toEqual({
      platform: 'linux/amd64',
      uncompressedBytes: 12_000_000,
      compressedBytes: 5_100_000,
      compressedIsEstimate: true,
      layers: [
        {
          uncompressedBytes: 2_000_000,
          compressedBytes: 900_000,
          createdBy: 'ADD rootfs /',
          fromBaseImage: true,
        },
        { uncompressedBytes: 0, compressedBytes: 4_200_000, createdBy: '', fromBaseImage: false },
      ],
      baseImage: {
        reference: 'alpine:3.20',
        uncompressedBytes: 2_000_000,
        compressedBytes: 900_000,
      },
    });
  });

  test('registry sizes replace estimates', () => {
    const pushed: PlatformImage = {
      platform: 'linux/amd64',
      digest: 'sha256:' + 'e'.repeat(64),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      manifestSize: 700,
      configSize: 1_500,
      compressedSize: 5_150_000,
      layers: [
        {
          digest: 'sha256:a',
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          size: 905_000,
        },
        {
          digest: 'sha256:b',
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          size: 4_245_000,
        },
      ],
    };
    const platform = platformSizeFromMeasurement(local, pushed);
    expect(platform.compressedBytes).toBe(5_150_000);
    expect(platform.compressedIsEstimate).toBe(false);
    expect(platform.layers.map((layer) => layer.compressedBytes)).toEqual([905_000, 4_245_000]);
  });

  test('layer count mismatch keeps estimates', () => {
    const pushed = { compressedSize: 5_000_000, layers: [] } as unknown as PlatformImage;
    const platform = platformSizeFromMeasurement(local, pushed);
    expect(platform.compressedBytes).toBe(5_000_000);
    expect(platform.layers.map((layer) => layer.compressedBytes)).toEqual([900_000, 4_200_000]);
  });

  test('base not found', () => {
    const platform = platformSizeFromMeasurement({
      ...local,
      base: { kind: 'not-found', imageRef: 'alpine:3.20' },
    });
    expect(platform).not.toHaveProperty('baseImage');
  });

  test('estimate flag round trip', () => {
    const file = path.join(directory, 'estimate.json');
    const report = buildJsonReport({
      image: { name: 'api', tags: ['api:dev'], imageId: local.imageId, digest: '' },
      platforms: [platformSizeFromMeasurement(local)],
    });
    writeJsonReport(file, report);
    expect(readJsonReport(file).platforms[0].compressedIsEstimate).toBe(true);
  });
});
