import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  countModuleArchives,
  detectDependencyMode,
  fetchDependencies,
  findLockFiles,
} from '../src/go/dependencies.js';

function projectWith(files: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deps-test-'));
  for (const name of files) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    if (name.endsWith('/')) fs.mkdirSync(path.join(root, name), { recursive: true });
    else fs.writeFileSync(path.join(root, name), '');
  }
  return root;
}

describe('detectDependencyMode', () => {
  test.each<[string[], string]>([
    [['go.mod', 'go.sum'], 'modules'],
    [['go.mod', 'vendor/'], 'modules'],
    [['Gopkg.toml', 'Gopkg.lock'], 'dep'],
    [['vendor/'], 'vendor'],
  ])('%p is %s', (files, mode) => {
    expect(detectDependencyMode(projectWith(files))).toBe(mode);
  });

  test('empty folder rejected with fix', () => {
    const root = projectWith(['main.go']);
    expect(() => detectDependencyMode(root)).toThrow(
      `Input 'working-directory' is '${root}', which has no go.mod, Gopkg.toml or vendor/`,
    );
  });
});

describe('findLockFiles', () => {
  test('every go.sum outside vendor and testdata', () => {
    const root = projectWith(['go.sum', 'tools/go.sum', 'vendor/x/go.sum', 'a/testdata/go.sum']);
    expect(findLockFiles(root, 'modules')).toEqual(['go.sum', 'tools/go.sum']);
  });

  test('Gopkg.lock for dep', () => {
    expect(findLockFiles(projectWith(['Gopkg.toml', 'Gopkg.lock']), 'dep')).toEqual(['Gopkg.lock']);
  });
});

describe('countModuleArchives', () => {
  test('counts zips only', () => {
    const root = projectWith([
      'cache/download/a/@v/v1.0.0.zip',
      'cache/download/a/@v/v1.0.0.mod',
      'cache/download/b/c/@v/v2.0.0.zip',
    ]);
    expect(countModuleArchives(root)).toBe(2);
  });

  test('missing cache is zero', () => {
    expect(countModuleArchives('/nonexistent/mod')).toBe(0);
  });
});

describe('fetchDependencies', () => {
  test('dep missing names the fix', async () => {
    const root = projectWith(['Gopkg.toml']);
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(fetchDependencies(root, 'dep', '/tmp/mod', true)).rejects.toThrow(
        /needs dep, but dep was not found on PATH\. Install dep v0\.5\.4/,
      );
    } finally {
      process.env.PATH = savedPath;
    }
  });

  test('vendor fetches nothing', async () => {
    const result = await fetchDependencies(projectWith(['vendor/']), 'vendor', '/tmp/mod', true);
    expect(result).toEqual({ mode: 'vendor', downloadedModules: 0, seconds: 0 });
  });
});
