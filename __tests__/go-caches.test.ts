import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalCacheBackend } from '../src/cache/backend.js';
import {
  findExportProblem,
  GoCache,
  MAX_CACHE_ENTRY_BYTES,
  restoreGoCaches,
  saveGoCaches,
} from '../src/cache/go-caches.js';

describe('findExportProblem', () => {
  test('normal export', () => {
    expect(findExportProblem(100, 90)).toBe('');
    expect(findExportProblem(0, 90)).toBe('');
  });

  test('empty export', () => {
    expect(findExportProblem(100, 0)).toBe('the export from the Docker build is empty');
  });

  test('under a quarter', () => {
    expect(findExportProblem(1000, 249)).toContain(
      'under a quarter of what was restored (1000 bytes)',
    );
    expect(findExportProblem(1000, 250)).toBe('');
  });

  test('over the service limit', () => {
    expect(findExportProblem(0, MAX_CACHE_ENTRY_BYTES + 1)).toContain('over the 10 GiB limit');
  });
});

describe('restore and save with local backend', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'go-caches-test-'));
  const backend = new LocalCacheBackend(path.join(work, 'store'));
  const modCache = path.join(work, 'mod');

  function moduleCache(): GoCache {
    return {
      name: 'modules',
      usedBy: 'runner',
      paths: [modCache],
      primaryKey: 'mod-abc',
      restoreKeys: ['mod-'],
    };
  }

  test('empty cache not saved', async () => {
    await saveGoCaches(backend, [moduleCache()]);
    expect(fs.existsSync(path.join(work, 'store'))).toBe(false);
  });

  test('skip reason blocks save', async () => {
    fs.mkdirSync(modCache, { recursive: true });
    fs.writeFileSync(path.join(modCache, 'a.zip'), 'zip');
    await saveGoCaches(backend, [{ ...moduleCache(), skipSaveReason: 'the export is empty' }]);
    expect(fs.existsSync(path.join(work, 'store', 'mod-abc.tar'))).toBe(false);
  });

  test('saved then restored exactly', async () => {
    await saveGoCaches(backend, [moduleCache()]);
    expect(fs.existsSync(path.join(work, 'store', 'mod-abc.tar'))).toBe(true);
    const restored = moduleCache();
    await restoreGoCaches(backend, [restored]);
    expect(restored.matchedKey).toBe('mod-abc');
    expect(restored.restoreSeconds).toBeGreaterThanOrEqual(0);
  });

  test('exact hit not saved again', async () => {
    const archive = path.join(work, 'store', 'mod-abc.tar');
    const before = fs.statSync(archive).mtimeMs;
    await saveGoCaches(backend, [{ ...moduleCache(), matchedKey: 'mod-abc' }]);
    expect(fs.statSync(archive).mtimeMs).toBe(before);
  });

  test('corrupt archive is a miss', async () => {
    fs.writeFileSync(path.join(work, 'store', 'mod-broken.tar'), 'not a tar archive');
    const broken = { ...moduleCache(), primaryKey: 'mod-broken', restoreKeys: [] };
    await restoreGoCaches(backend, [broken]);
    expect(broken.matchedKey).toBeUndefined();
  });
});
