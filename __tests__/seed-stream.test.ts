import { afterEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  archiveMembers,
  SeedStreamServer,
  startSeedStreamServer,
} from '../src/cache/seed-stream.js';

// The server runs for real on 127.0.0.1 and sends real `tar -c` output. The tests download it
// with Node's HTTP client in place of the seed step's wget.

/** Downloads `url` and returns the status and body, or stops after `abortAfterBytes`. */
function download(
  url: string,
  abortAfterBytes = Infinity,
): Promise<{ status: number; body: Buffer; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, (response) => {
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= abortAfterBytes) {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), aborted: true });
        }
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), aborted: false }),
      );
      response.on('error', () => undefined);
    });
    request.on('error', (error) => {
      if (!request.destroyed || abortAfterBytes === Infinity) reject(error);
    });
  });
}

function makeCacheDirectory(files: Record<string, string | Buffer>): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-stream-test-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(directory, name)), { recursive: true });
    fs.writeFileSync(path.join(directory, name), content);
  }
  return directory;
}

/** Lists the regular files of a tar archive given as bytes, with GNU or busybox tar. */
function listArchive(archive: Buffer): string[] {
  return execFileSync('tar', ['-tf', '-'], { input: archive, encoding: 'utf8' })
    .split('\n')
    .filter((name) => name !== '' && !name.endsWith('/'));
}

describe('startSeedStreamServer', () => {
  let server: SeedStreamServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('sends each directory as tar', async () => {
    const modules = makeCacheDirectory({ 'cache/download/a/@v/v1.0.0.mod': 'module a\n' });
    const build = makeCacheDirectory({ '0a/0a12-d': 'compiled', '1b/1b34-a': 'action' });
    server = await startSeedStreamServer('127.0.0.1', { modules, build });

    const modulesDownload = await download(server.urls.modules);
    const buildDownload = await download(server.urls.build);

    expect(modulesDownload.status).toBe(200);
    expect(listArchive(modulesDownload.body)).toEqual(['./cache/download/a/@v/v1.0.0.mod']);
    expect(listArchive(buildDownload.body).sort()).toEqual(['./0a/0a12-d', './1b/1b34-a']);
    expect(server.problem()).toBe('');
    expect(server.requested()).toBe(true);
  });

  test('reports archives never requested', async () => {
    const modules = makeCacheDirectory({ 'a.txt': 'a' });
    const build = makeCacheDirectory({ 'b.txt': 'b' });
    server = await startSeedStreamServer('127.0.0.1', { modules, build });

    expect(server.requested()).toBe(false);
    await download(server.urls.build);

    expect(server.problem()).toBe('modules archive: never requested');
  });

  test('rejects wrong token and names', async () => {
    const build = makeCacheDirectory({ 'b.txt': 'b' });
    server = await startSeedStreamServer('127.0.0.1', { build });
    const url = new URL(server.urls.build);

    const wrongToken = await download(`${url.origin}/00000000000000000000000000000000/build.tar`);
    const unknownKind = await download(server.urls.build.replace('build.tar', 'other.tar'));

    expect(wrongToken.status).toBe(404);
    expect(unknownKind.status).toBe(404);
    expect(server.requested()).toBe(false);
  });

  test('download cut short is a problem', async () => {
    // 8 MB outlasts the socket buffers, so the client closes the connection before tar has
    // written everything.
    const build = makeCacheDirectory({ 'big.bin': Buffer.alloc(8 * 1024 * 1024, 7) });
    server = await startSeedStreamServer('127.0.0.1', { build });

    const cut = await download(server.urls.build, 64 * 1024);
    // The server detects the closed connection on its next write.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(cut.aborted).toBe(true);
    expect(server.problem()).toMatch(/^build archive: /);
  });

  test('tar failure is a problem', async () => {
    server = await startSeedStreamServer('127.0.0.1', {
      build: path.join(os.tmpdir(), 'seed-stream-test-missing-directory'),
    });

    const failed = await download(server.urls.build).catch(() => undefined);

    expect(failed?.aborted ?? false).toBe(false);
    expect(server.problem()).toMatch(/^build archive: tar -c exited with 2: /);
  });
});

describe('archiveMembers', () => {
  test('module download cache last', () => {
    const modules = makeCacheDirectory({
      'cache/download/a/@v/v1.0.0.ziphash': 'h1:abc',
      'golang.org/x/text@v0.1.0/go.mod': 'module golang.org/x/text\n',
      'github.com/a/b@v1.0.0/b.go': 'package b\n',
    });
    expect(archiveMembers(modules)).toEqual(['./github.com', './golang.org', './cache']);
  });

  test('empty directory archives itself', () => {
    const empty = makeCacheDirectory({});
    expect(archiveMembers(empty)).toEqual(['.']);
  });

  test('streamed archive keeps the order', async () => {
    const modules = makeCacheDirectory({
      'cache/download/a/@v/v1.0.0.ziphash': 'h1:abc',
      'zzz.example/m@v1.0.0/m.go': 'package m\n',
    });
    const server = await startSeedStreamServer('127.0.0.1', { modules });
    try {
      const names = listArchive((await download(server.urls.modules)).body);
      expect(names).toEqual([
        './zzz.example/m@v1.0.0/m.go',
        './cache/download/a/@v/v1.0.0.ziphash',
      ]);
    } finally {
      await server.close();
    }
  });
});
