import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildCacheKeys,
  CacheKeyInputs,
  currentRunId,
  hashLockFiles,
  moduleCacheKeys,
} from '../src/cache/keys.js';

const keyInputs: CacheKeyInputs = {
  prefix: 'go-buildx',
  os: 'linux',
  arch: 'x64',
  goVersion: 'go1.26.8',
  lockHash: 'abc123',
  runId: '42-1',
};

describe('cache keys', () => {
  test('module cache key', () => {
    expect(moduleCacheKeys(keyInputs)).toEqual({
      primaryKey: 'go-buildx-gomod-linux-x64-go1.26.8-abc123',
      restoreKeys: ['go-buildx-gomod-linux-x64-go1.26.8-'],
    });
  });

  test('build cache key rotates with run', () => {
    expect(buildCacheKeys(keyInputs)).toEqual({
      primaryKey: 'go-buildx-gobuild-linux-x64-go1.26.8-abc123-42-1',
      restoreKeys: [
        'go-buildx-gobuild-linux-x64-go1.26.8-abc123-',
        'go-buildx-gobuild-linux-x64-go1.26.8-',
      ],
    });
  });

  test('restore keys are prefixes of the primary key', () => {
    for (const keys of [moduleCacheKeys(keyInputs), buildCacheKeys(keyInputs)]) {
      for (const restoreKey of keys.restoreKeys) {
        expect(keys.primaryKey.startsWith(restoreKey)).toBe(true);
      }
    }
  });

  test('run id from GITHUB_RUN_ID and attempt', () => {
    expect(currentRunId({ GITHUB_RUN_ID: '99', GITHUB_RUN_ATTEMPT: '2' })).toBe('99-2');
    expect(currentRunId({})).toMatch(/^local\d+$/);
  });
});

describe('hashLockFiles', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-test-'));
  fs.mkdirSync(path.join(root, 'tools'));
  fs.writeFileSync(path.join(root, 'go.sum'), 'example.com/a v1.0.0 h1:x\n');
  fs.writeFileSync(path.join(root, 'tools', 'go.sum'), 'example.com/b v1.0.0 h1:y\n');

  test('no lock files', () => {
    expect(hashLockFiles(root, [])).toBe('nolock');
  });

  test('order of paths does not matter', () => {
    const forward = hashLockFiles(root, ['go.sum', 'tools/go.sum']);
    expect(forward).toMatch(/^[0-9a-f]{64}$/);
    expect(hashLockFiles(root, ['tools/go.sum', 'go.sum'])).toBe(forward);
  });

  test('content change changes hash', () => {
    const before = hashLockFiles(root, ['go.sum']);
    fs.appendFileSync(path.join(root, 'go.sum'), 'example.com/c v1.0.0 h1:z\n');
    expect(hashLockFiles(root, ['go.sum'])).not.toBe(before);
  });

  test('same content at another path differs', () => {
    fs.writeFileSync(
      path.join(root, 'tools', 'go.sum'),
      fs.readFileSync(path.join(root, 'go.sum')),
    );
    expect(hashLockFiles(root, ['go.sum'])).not.toBe(hashLockFiles(root, ['tools/go.sum']));
  });
});
