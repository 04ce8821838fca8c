import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultGoEnvironment, readGoEnvironment } from '../src/go/env.js';

describe('defaultGoEnvironment', () => {
  test('documented defaults from HOME', () => {
    expect(defaultGoEnvironment({ HOME: '/home/runner' })).toEqual({
      version: 'unknown',
      modCache: '/home/runner/go/pkg/mod',
      buildCache: '/home/runner/.cache/go-build',
      gopath: '/home/runner/go',
      isDefault: true,
    });
  });

  test('respects GOPATH list and XDG_CACHE_HOME', () => {
    const env = defaultGoEnvironment({ HOME: '/h', GOPATH: '/a:/b', XDG_CACHE_HOME: '/xdg' });
    expect(env.modCache).toBe('/a/pkg/mod');
    expect(env.buildCache).toBe('/xdg/go-build');
  });

  test('respects GOMODCACHE and GOCACHE', () => {
    const env = defaultGoEnvironment({ HOME: '/h', GOMODCACHE: '/m', GOCACHE: '/c' });
    expect(env.modCache).toBe('/m');
    expect(env.buildCache).toBe('/c');
  });
});

describe('readGoEnvironment', () => {
  test('real go env', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'go-env-test-'));
    const env = await readGoEnvironment(directory);
    expect(env.isDefault).toBe(false);
    expect(env.version).toMatch(/^go\d+\.\d+/);
    expect(path.isAbsolute(env.modCache)).toBe(true);
    expect(path.isAbsolute(env.buildCache)).toBe(true);
  });

  test('falls back without go on PATH', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const env = await readGoEnvironment(os.tmpdir());
      expect(env.isDefault).toBe(true);
      expect(env.version).toBe('unknown');
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
