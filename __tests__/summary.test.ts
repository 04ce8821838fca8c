import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  describePayoff,
  escapeHtml,
  RunReport,
  shortImageId,
  writeJobSummary,
} from '../src/report/summary.js';

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    imageName: 'app:1',
    imageTags: ['app:1'],
    imageId: 'sha256:' + 'a'.repeat(64),
    digest: '',
    imageSize: 1_933_474,
    buildSeconds: 12.3,
    goVersion: 'go1.26.8',
    caches: [
      {
        name: 'build',
        usedBy: 'Docker build',
        paths: ['/x'],
        primaryKey: 'go-buildx-gobuild-docker-1',
        restoreKeys: ['go-buildx-gobuild-docker-'],
        matchedKey: 'go-buildx-gobuild-docker-0',
        restoreSeconds: 1.5,
        restoredBytes: 73_200_000,
        exportedBytes: 70_800_000,
      },
    ],
    cacheBackend: 'local',
    cacheRoutes: ['cache-mounts'],
    cacheAdvice: '',
    transfers: {
      seed: { build: { ok: true, seconds: 2.0, bytes: 73_200_000 } },
      export: { build: { ok: true, seconds: 1.0, bytes: 70_800_000 } },
    },
    ...overrides,
  };
}

describe('describePayoff', () => {
  test('saved against cold build', () => {
    expect(describePayoff(report({ compileSeconds: 2, coldCompileSeconds: 30 }))).toBe(
      'Restore 1.5 s, copy into and out of the build 3.0 s. Go compile 2.0 s against 30.0 s in the last build without a restored build cache: 28.0 s saved.',
    );
  });

  test('slower than cold build', () => {
    expect(describePayoff(report({ compileSeconds: 8, coldCompileSeconds: 0.6 }))).toContain(
      ': no time saved in this run.',
    );
  });

  test('no cold build recorded', () => {
    expect(describePayoff(report({ compileSeconds: 2 }))).toContain(
      'no cold build recorded to compare with',
    );
  });

  test('compile not measured', () => {
    expect(describePayoff(report())).toContain('Go compile time: not measured.');
  });
});

describe('escapeHtml', () => {
  test('markup characters', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
  });
});

describe('shortImageId', () => {
  test('twelve hex digits', () => {
    expect(shortImageId('sha256:0123456789abcdef')).toBe('0123456789ab');
  });

  test('empty id', () => {
    expect(shortImageId('')).toBe('–');
  });
});

describe('writeJobSummary', () => {
  // core.summary remembers the first file it wrote, so all tests share one file.
  const summaryFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'summary-test-')),
    'summary.md',
  );
  const savedSummary = process.env.GITHUB_STEP_SUMMARY;

  beforeAll(() => {
    process.env.GITHUB_STEP_SUMMARY = summaryFile;
  });

  beforeEach(() => {
    fs.writeFileSync(summaryFile, '');
    core.summary.emptyBuffer();
  });

  afterAll(() => {
    process.env.GITHUB_STEP_SUMMARY = savedSummary;
  });

  test('size, keys and routes', async () => {
    await writeJobSummary(report());
    const text = fs.readFileSync(summaryFile, 'utf8');
    expect(text).toContain('<td>1933474</td>');
    expect(text).toContain('<td>1.93MB</td>');
    expect(text).toContain('<td>aaaaaaaaaaaa</td>');
    expect(text).toContain('go-buildx-gobuild-docker-1');
    expect(text).toContain('<td>hit (newest entry)</td>');
    expect(text).toContain('<td>73.2 MB</td>');
    expect(text).toContain('<td>70.8 MB</td>');
    expect(text).toContain('through: cache-mounts');
  });

  test('every tag listed', async () => {
    await writeJobSummary(report({ imageTags: ['r/app:1', 'r/app:latest'] }));
    expect(fs.readFileSync(summaryFile, 'utf8')).toContain('<td>r/app:1<br>r/app:latest</td>');
  });

  test('image name escaped', async () => {
    await writeJobSummary(report({ imageName: '<script>x</script>' }));
    const text = fs.readFileSync(summaryFile, 'utf8');
    expect(text).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(text).not.toContain('<script>');
  });

  test('failure and advice', async () => {
    await writeJobSummary(
      report({ failure: 'docker buildx build failed', cacheRoutes: [], cacheAdvice: 'Add flags' }),
    );
    const text = fs.readFileSync(summaryFile, 'utf8');
    expect(text).toContain('Build failed.');
    expect(text).toContain('docker buildx build failed');
    expect(text).toContain('The caches did not reach the build. Add flags.');
  });
});
