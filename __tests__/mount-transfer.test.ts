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
  SEED_MARKER,
  seedDockerfile,
  touchTimestamp,
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

  test('module cache copied and owned', () => {
    const text = seedDockerfile(
      goCacheMount('modules', 'type=cache,target=/go/pkg/mod,uid=1000'),
      now,
    );
    expect(text).toContain('FROM golang:1.26 AS seed');
    expect(text).toContain('ARG GO_BUILDX_NONCE');
    expect(text).toContain(
      'RUN --mount=type=bind,target=/go-buildx-seed --mount=type=cache,id=/go/pkg/mod,target=/go/pkg/mod,sharing=shared,uid=1000',
    );
    expect(text).toContain("cp -a /go-buildx-seed/. '/go/pkg/mod'/");
    expect(text).toContain("chown -R 1000:0 '/go/pkg/mod'");
    expect(text).toContain('echo "go-buildx seed $GO_BUILDX_NONCE"');
    expect(text).not.toContain(SEED_MARKER);
    expect(text).toContain('COPY --from=seed /go-buildx-done /');
  });

  test('build cache marked two hours back', () => {
    const text = seedDockerfile(
      goCacheMount('build', 'type=cache,target=/root/.cache/go-build'),
      now,
    );
    expect(text).toContain(`touch -t 202612041300.00 '/root/.cache/go-build/${SEED_MARKER}'`);
    expect(text).toContain(
      `find '/root/.cache/go-build' -type f -exec touch -r '/root/.cache/go-build/${SEED_MARKER}' {} +`,
    );
  });

  test('quotes target for the shell', () => {
    // The Dockerfile escape keeps the dollar sign, which the shell must not expand.
    const found = goCacheMount('modules', 'type=cache,target=/cache\\$HOME');
    expect(seedDockerfile(found, now)).toContain("cp -a /go-buildx-seed/. '/cache$HOME'/");
  });
});

describe('exportDockerfile', () => {
  test('build cache keeps used entries only', () => {
    const text = exportDockerfile(goCacheMount('build', 'type=cache,target=/root/.cache/go-build'));
    expect(text).toContain('RUN --mount=type=cache,id=/root/.cache/go-build');
    expect(text).toContain("cp -a '/root/.cache/go-build'/. /go-buildx-export/");
    expect(text).toContain(
      `if [ -f ${SEED_MARKER} ]; then find . -type f ! -newer ${SEED_MARKER} -exec rm -f {} +; fi`,
    );
    expect(text).toContain(`rm -f trim.txt ${SEED_MARKER}`);
    expect(text).toContain('COPY --from=export /go-buildx-export/ /');
  });

  test('module cache exported whole', () => {
    const text = exportDockerfile(goCacheMount('modules', 'type=cache,target=/go/pkg/mod'));
    expect(text).not.toContain('-newer');
    expect(text).toContain("cp -a '/go/pkg/mod'/. /go-buildx-export/");
  });

  test('nonce read by RUN', () => {
    const text = exportDockerfile(goCacheMount('build', 'type=cache,target=/root/.cache/go-build'));
    expect(text).toContain('echo "go-buildx export $GO_BUILDX_NONCE"');
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
