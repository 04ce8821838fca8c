import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GoCacheMount } from '../src/cache/mount-finder.js';
import {
  cacheMountFlag,
  directorySize,
  exportDockerfile,
  findTransferProblem,
  mergeExport,
  SEED_MARKER,
  SEEDED_LIST,
  seedDockerfile,
  touchTimestamp,
  USED_LIST,
} from '../src/cache/mount-transfer.js';
import { parseMount } from '../src/docker/dockerfile.js';

function goCacheMount(
  kind: 'modules' | 'build',
  flag: string,
  baseImage = 'golang:1.26',
): GoCacheMount {
  return { kind, mount: parseMount(flag, new Map()), stageName: 'build', baseImage, line: 7 };
}

describe('cacheMountFlag', () => {
  test('defaults', () => {
    const found = goCacheMount('modules', 'type=cache,target=/go/pkg/mod');
    expect(cacheMountFlag(found)).toBe(
      '--mount=type=cache,id=/go/pkg/mod,target=/go/pkg/mod,sharing=shared',
    );
  });

  test('keeps id, sharing, uid, gid and mode', () => {
    const found = goCacheMount(
      'build',
      'type=cache,id=gobuild,target=/home/app/.cache/go-build,sharing=locked,uid=1000,gid=1001,mode=0700',
    );
    expect(cacheMountFlag(found)).toBe(
      '--mount=type=cache,id=gobuild,target=/home/app/.cache/go-build,sharing=locked,uid=1000,gid=1001,mode=0700',
    );
  });
});

describe('seedDockerfile', () => {
  const now = new Date(Date.UTC(2026, 11, 4, 15, 0, 0));
  const modules = goCacheMount('modules', 'type=cache,target=/go/pkg/mod,uid=1000');
  const build = goCacheMount('build', 'type=cache,target=/root/.cache/go-build');

  test('one build fills every mount', () => {
    const text = seedDockerfile([modules, build], now, 'abc123');
    expect(text).toContain('FROM golang:1.26 AS seed');
    expect(text).toContain('ARG GO_BUILDX_NONCE');
    expect(text).toContain(
      'RUN --mount=type=bind,target=/go-buildx-seed ' +
        '--mount=type=cache,id=/go/pkg/mod,target=/go/pkg/mod,sharing=shared,uid=1000 ' +
        '--mount=type=cache,id=/root/.cache/go-build,target=/root/.cache/go-build,sharing=shared',
    );
    expect(text).toContain("tar -xof /go-buildx-seed/modules.tar -C '/go/pkg/mod'");
    expect(text).toContain("tar -xof /go-buildx-seed/build.tar -C '/root/.cache/go-build'");
    expect(text).toContain("chown -R 1000:0 '/go/pkg/mod'");
    expect(text).not.toContain("chown -R 0:0 '/root/.cache/go-build'");
    expect(text).toContain('echo "go-buildx seed $GO_BUILDX_NONCE"');
    expect(text).toContain('COPY --from=seed /go-buildx-done /');
  });

  test('module cache gets no marker', () => {
    const text = seedDockerfile([modules], now, 'abc123');
    expect(text).not.toContain(SEED_MARKER);
  });

  test('build cache marked two hours back and listed', () => {
    const text = seedDockerfile([build], now, 'abc123');
    expect(text).toContain(`echo abc123 > '/root/.cache/go-build/${SEED_MARKER}'`);
    expect(text).toContain(
      `TZ=UTC0 touch -t 202612041300.00 '/root/.cache/go-build/${SEED_MARKER}'`,
    );
    expect(text).toContain(
      `find '/root/.cache/go-build' -type f -exec touch -r '/root/.cache/go-build/${SEED_MARKER}' {} +`,
    );
    expect(text).toContain(
      `{ echo ./${SEED_MARKER}; tar -tf /go-buildx-seed/build.tar | grep -v '/$' || true; } > '/root/.cache/go-build'/${SEEDED_LIST}`,
    );
  });

  test('quotes target for the shell', () => {
    // The Dockerfile escape keeps the dollar sign, which the shell must not expand.
    const found = goCacheMount('modules', 'type=cache,target=/cache\\$HOME');
    expect(seedDockerfile([found], now, 'abc123')).toContain(
      "tar -xof /go-buildx-seed/modules.tar -C '/cache$HOME'",
    );
  });
});

describe('seedDockerfile from a stream', () => {
  const now = new Date(Date.UTC(2026, 11, 4, 15, 0, 0));
  const build = goCacheMount('build', 'type=cache,target=/root/.cache/go-build');
  const urls = { build: 'http://172.17.0.1:40123/0123abcd/build.tar' };
  const text = seedDockerfile([build], now, 'abc123', { kind: 'stream', urls });

  test('mounts no build context', () => {
    expect(text).not.toContain('type=bind');
    expect(text).toContain(
      'RUN --mount=type=cache,id=/root/.cache/go-build,target=/root/.cache/go-build,sharing=shared',
    );
  });

  test('pipes the download into tar', () => {
    const url = "'http://172.17.0.1:40123/0123abcd/build.tar'";
    const noProxy = 'env -u http_proxy -u HTTP_PROXY -u all_proxy -u ALL_PROXY';
    expect(text).toContain(
      `{ if command -v wget >/dev/null 2>&1; then ${noProxy} wget -q -O- ${url}; ` +
        `elif command -v curl >/dev/null 2>&1; then ${noProxy} curl -fsS --noproxy '*' ` +
        `--connect-timeout 20 ${url}; ` +
        "else echo 'go-buildx: the image has neither wget nor curl' >&2; false; fi " +
        '|| touch /tmp/go-buildx-fetch-failed; } ' +
        "| tar -xovf - -C '/root/.cache/go-build' > /tmp/go-buildx-extracted-build",
    );
  });

  test('runs as root', () => {
    expect(text).toMatch(/^FROM golang:1\.26 AS seed\nUSER 0:0\n/);
  });

  test('fails when the download failed', () => {
    expect(text).toContain('test ! -e /tmp/go-buildx-fetch-failed');
  });

  test('lists seeded files from the extraction', () => {
    expect(text).toContain(
      `{ echo ./${SEED_MARKER}; cat /tmp/go-buildx-extracted-build | grep -v '/$' || true; } > '/root/.cache/go-build'/${SEEDED_LIST}`,
    );
    expect(text).not.toContain('tar -tf');
  });
});

describe('exportDockerfile', () => {
  test('build cache copies new files and lists used ones', () => {
    const text = exportDockerfile(
      goCacheMount('build', 'type=cache,target=/root/.cache/go-build'),
      'abc123',
    );
    expect(text).toContain('RUN --mount=type=cache,id=/root/.cache/go-build');
    expect(text).toContain(
      `if [ -n 'abc123' ] && [ "$(cat ${SEED_MARKER} 2>/dev/null)" = 'abc123' ] && [ -f ${SEEDED_LIST} ]; then`,
    );
    expect(text).toContain(
      `find . -type f -newer ${SEED_MARKER} ! -name ${SEED_MARKER} ! -name ${SEEDED_LIST} ! -name trim.txt`,
    );
    expect(text).toContain(
      `grep -Fx -f ${SEEDED_LIST} /tmp/go-buildx-newer > /go-buildx-export/${USED_LIST}`,
    );
    expect(text).toContain(`grep -Fxv -f ${SEEDED_LIST} /tmp/go-buildx-newer > /tmp/go-buildx-new`);
    expect(text).toContain('COPY --from=export /go-buildx-export/ /');
  });

  test('unseeded build cache copied whole without trim.txt', () => {
    const text = exportDockerfile(
      goCacheMount('build', 'type=cache,target=/root/.cache/go-build'),
      'abc123',
    );
    expect(text).toContain(
      'else cp -a . /go-buildx-export/files/ && rm -f /go-buildx-export/files/trim.txt',
    );
  });

  test('marker of an earlier run ignored', () => {
    const text = exportDockerfile(
      goCacheMount('build', 'type=cache,target=/root/.cache/go-build'),
      '',
    );
    expect(text).toContain("if [ -n '' ]");
  });

  test('module cache exported whole', () => {
    const text = exportDockerfile(goCacheMount('modules', 'type=cache,target=/go/pkg/mod'), '');
    expect(text).not.toContain('-newer');
    expect(text).toContain("cd '/go/pkg/mod'");
    expect(text).toContain('cp -a . /go-buildx-export/files/');
  });

  test('nonce read by RUN', () => {
    const text = exportDockerfile(
      goCacheMount('build', 'type=cache,target=/root/.cache/go-build'),
      'abc123',
    );
    expect(text).toContain('echo "go-buildx export $GO_BUILDX_NONCE"');
  });
});

describe('mergeExport', () => {
  test('keeps used, drops unused, adds new', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-test-'));
    const host = path.join(root, 'host');
    const exported = path.join(root, 'export');
    for (const [file, content] of [
      ['ab/used-d', 'used'],
      ['cd/unused-d', 'unused'],
    ]) {
      fs.mkdirSync(path.dirname(path.join(host, file)), { recursive: true });
      fs.writeFileSync(path.join(host, file), content);
    }
    fs.mkdirSync(path.join(exported, 'ef'), { recursive: true });
    fs.writeFileSync(path.join(exported, 'ef', 'new-d'), 'new');

    mergeExport(host, exported, './ab/used-d\n');

    expect(fs.readFileSync(path.join(host, 'ab/used-d'), 'utf8')).toBe('used');
    expect(fs.existsSync(path.join(host, 'cd/unused-d'))).toBe(false);
    expect(fs.readFileSync(path.join(host, 'ef/new-d'), 'utf8')).toBe('new');
  });
});

describe('findTransferProblem', () => {
  test('plain mount has none', () => {
    expect(
      findTransferProblem(goCacheMount('build', 'type=cache,target=/root/.cache/go-build')),
    ).toBe('');
  });

  test('space in target', () => {
    const found = goCacheMount('build', 'type=cache,target="/cache dir"');
    expect(findTransferProblem(found)).toBe(
      'the mount at line 7 has a comma, quote or space in its id or options',
    );
  });

  test('mount from another stage', () => {
    const found = goCacheMount('build', 'type=cache,target=/root/.cache/go-build,from=deps');
    expect(findTransferProblem(found)).toBe('the mount at line 7 uses from=deps');
  });

  test('scratch stage', () => {
    const found = goCacheMount('build', 'type=cache,target=/root/.cache/go-build', 'scratch');
    expect(findTransferProblem(found)).toBe('the stage of line 7 starts FROM scratch');
  });
});

describe('touchTimestamp', () => {
  test('UTC with seconds', () => {
    expect(touchTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('202601020304.05');
  });
});

describe('directorySize', () => {
  test('sums nested files', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'size-test-'));
    fs.mkdirSync(path.join(root, 'ab'));
    fs.writeFileSync(path.join(root, 'ab', 'one'), 'x'.repeat(100));
    fs.writeFileSync(path.join(root, 'two'), 'y'.repeat(23));
    expect(directorySize(root)).toBe(123);
  });

  test('missing directory is zero', () => {
    expect(directorySize('/nonexistent/size-test')).toBe(0);
  });
});
