import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalCacheBackend } from '../src/cache/backend.js';

function makeTree(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
}

describe('LocalCacheBackend', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-test-'));
  const store = path.join(work, 'store');
  const modCache = path.join(work, 'mod');

  test('save and restore round trip', async () => {
    makeTree(modCache, { 'cache/download/a/@v/v1.zip': 'zip-a', 'a@v1/a.go': 'package a' });
    const backend = new LocalCacheBackend(store);
    expect(await backend.save([modCache], 'key-1')).toBe('saved');

    fs.rmSync(modCache, { recursive: true });
    expect(await backend.restore([modCache], 'key-1', [])).toBe('key-1');
    expect(fs.readFileSync(path.join(modCache, 'a@v1/a.go'), 'utf8')).toBe('package a');
    expect(fs.readFileSync(path.join(modCache, 'cache/download/a/@v/v1.zip'), 'utf8')).toBe(
      'zip-a',
    );
  });

  test('second save of same key skipped', async () => {
    const backend = new LocalCacheBackend(store);
    expect(await backend.save([modCache], 'key-1')).toBe('exists');
  });

  test('miss returns undefined', async () => {
    const backend = new LocalCacheBackend(store);
    expect(await backend.restore([modCache], 'other', ['other-'])).toBeUndefined();
  });

  test('restore key picks newest match', async () => {
    const backend = new LocalCacheBackend(store);
    await backend.save([modCache], 'build-run-1');
    const older = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(store, 'build-run-1.tar'), older, older);
    await backend.save([modCache], 'build-run-2');
    expect(backend.findKey('build-run-3', ['build-run-'])).toBe('build-run-2');
    expect(backend.findKey('build-run-3', ['nothing-', 'build-'])).toBe('build-run-2');
  });

  test('restore over existing files', async () => {
    const backend = new LocalCacheBackend(store);
    fs.writeFileSync(path.join(modCache, 'a@v1/a.go'), 'changed');
    expect(await backend.restore([modCache], 'key-1', [])).toBe('key-1');
    expect(fs.readFileSync(path.join(modCache, 'a@v1/a.go'), 'utf8')).toBe('package a');
  });

  test('keys with slashes stay one file', async () => {
    const backend = new LocalCacheBackend(store);
    expect(await backend.save([modCache], 'a/b:c')).toBe('saved');
    expect(fs.existsSync(path.join(store, 'a%2Fb%3Ac.tar'))).toBe(true);
    expect(backend.findKey('a/b:c', [])).toBe('a/b:c');
  });

  test('no partial archive left', () => {
    const leftovers = fs.readdirSync(store).filter((name) => name.endsWith('.partial'));
    expect(leftovers).toEqual([]);
  });
});

describe('LocalCacheBackend with a truncated archive', () => {
  test('restore fails and writes nothing', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-truncated-'));
    const source = path.join(work, 'mod');
    makeTree(source, { 'big.bin': 'x'.repeat(200_000), 'small.txt': 'y' });
    const backend = new LocalCacheBackend(path.join(work, 'store'));
    await backend.save([source], 'key');
    const archive = path.join(work, 'store', 'key.tar');
    fs.truncateSync(archive, 100_000);
    fs.rmSync(source, { recursive: true });

    await expect(backend.restore([source], 'key', [])).rejects.toThrow(/is corrupt or truncated/);
    expect(fs.existsSync(path.join(source, 'big.bin'))).toBe(false);
  });
});

describe('LocalCacheBackend exclusions', () => {
  test('toolchain left out of archive', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-exclude-'));
    const modCache = path.join(work, 'mod');
    makeTree(modCache, {
      'example.com/a@v1.0.0/a.go': 'package a',
      'golang.org/toolchain@v0.0.1-go1.27.0.linux-amd64/bin/go': 'binary',
      'cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.linux-amd64.zip': 'zip',
      'cache/download/example.com/a/@v/v1.0.0.zip': 'zip',
    });
    const backend = new LocalCacheBackend(path.join(work, 'store'));
    const paths = [
      modCache,
      `!${modCache}/golang.org/toolchain@*`,
      `!${modCache}/cache/download/golang.org/toolchain`,
    ];
    await backend.save(paths, 'key');
    fs.rmSync(modCache, { recursive: true });
    await backend.restore(paths, 'key', []);

    expect(fs.existsSync(path.join(modCache, 'example.com/a@v1.0.0/a.go'))).toBe(true);
    expect(fs.existsSync(path.join(modCache, 'cache/download/example.com/a/@v/v1.0.0.zip'))).toBe(
      true,
    );
    expect(
      fs.existsSync(path.join(modCache, 'golang.org/toolchain@v0.0.1-go1.27.0.linux-amd64')),
    ).toBe(false);
    expect(fs.existsSync(path.join(modCache, 'cache/download/golang.org/toolchain'))).toBe(false);
  });

  test('restore over read-only module directories', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-readonly-'));
    const modCache = path.join(work, 'mod');
    makeTree(modCache, { 'example.com/a@v1.0.0/a.go': 'package a' });
    const backend = new LocalCacheBackend(path.join(work, 'store'));
    await backend.save([modCache], 'key');
    fs.chmodSync(path.join(modCache, 'example.com/a@v1.0.0'), 0o555);
    fs.chmodSync(path.join(modCache, 'example.com'), 0o555);

    expect(await backend.restore([modCache], 'key', [])).toBe('key');
    expect(fs.statSync(path.join(modCache, 'example.com/a@v1.0.0')).mode & 0o200).toBe(0o200);
  });
});

describe('LocalCacheBackend concurrent saves', () => {
  test('one of two saves of a key wins', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-concurrent-'));
    const first = path.join(work, 'first');
    const second = path.join(work, 'second');
    makeTree(first, { 'a.txt': 'first' });
    makeTree(second, { 'a.txt': 'second' });
    const store = path.join(work, 'store');

    const results = await Promise.all([
      new LocalCacheBackend(store).save([first], 'same-key'),
      new LocalCacheBackend(store).save([second], 'same-key'),
    ]);

    expect(results.filter((result) => result === 'saved')).toHaveLength(1);
    expect(results.filter((result) => result === 'exists')).toHaveLength(1);
    expect(fs.readdirSync(store)).toEqual(['same-key.tar']);
    fs.rmSync(first, { recursive: true });
    fs.rmSync(second, { recursive: true });
    const restored = await new LocalCacheBackend(store).restore([first, second], 'same-key', []);
    expect(restored).toBe('same-key');
    const firstWon = results[0] === 'saved';
    const winner = firstWon ? first : second;
    expect(fs.readFileSync(path.join(winner, 'a.txt'), 'utf8')).toBe(firstWon ? 'first' : 'second');
  });
});
