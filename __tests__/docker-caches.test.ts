import { describe, expect, test } from '@jest/globals';
import { dockerBuildIdentity, MOUNT_ADVICE, planDockerCaches } from '../src/cache/docker-caches.js';
import { findGoCacheMounts } from '../src/cache/mount-finder.js';
import { parseDockerfile } from '../src/docker/dockerfile.js';

function plan(dockerfileText: string, projectHasVendor = false) {
  const search = findGoCacheMounts(parseDockerfile(dockerfileText));
  return planDockerCaches(
    dockerfileText,
    search,
    '/runner/go/pkg/mod',
    '/runner/.cache/go-build-docker',
    projectHasVendor,
  );
}

describe('planDockerCaches', () => {
  test('cache mounts', () => {
    const result = plan(
      'FROM golang:1.26\nRUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build go build .\n',
    );
    expect(result.routes).toEqual(['cache-mounts']);
    expect(result.mounts.modules?.mount.target).toBe('/go/pkg/mod');
    expect(result.mounts.build?.mount.target).toBe('/root/.cache/go-build');
    expect(result.advice).toBe('');
  });

  test('vendor copied but missing', () => {
    const result = plan('FROM golang:1.26\nCOPY vendor/ vendor/\nRUN go build -mod=vendor .\n');
    expect(result.routes).toEqual(['vendor']);
    expect(result.needsGoModVendor).toBe(true);
  });

  test('vendor present needs nothing', () => {
    const result = plan('FROM golang:1.26\nCOPY ./vendor ./vendor\nRUN go build .\n', true);
    expect(result.routes).toEqual(['vendor']);
    expect(result.needsGoModVendor).toBe(false);
  });

  test('named build contexts', () => {
    const result = plan(
      'FROM golang:1.26\nRUN --mount=type=bind,from=gomodcache,target=/go/pkg/mod --mount=type=bind,from=gocache,target=/root/.cache/go-build,rw go build .\n',
    );
    expect(result.routes).toEqual(['build-contexts']);
    expect(result.buildContexts).toEqual([
      'gomodcache=/runner/go/pkg/mod',
      'gocache=/runner/.cache/go-build-docker',
    ]);
  });

  test('similar context name ignored', () => {
    const result = plan('FROM golang:1.26\nCOPY --from=gocache-old /x /x\n');
    expect(result.buildContexts).toEqual([]);
  });

  test('no route gives advice', () => {
    const result = plan('FROM golang:1.26\nCOPY . .\nRUN go build -o /app .\n');
    expect(result.routes).toEqual([]);
    expect(result.advice).toBe(MOUNT_ADVICE);
  });

  test('untransferable mount skipped', () => {
    const result = plan(
      'FROM golang:1.26\nRUN --mount=type=cache,target=/root/.cache/go-build,from=deps go build .\n',
    );
    expect(result.mounts.build).toBeUndefined();
    expect(result.routes).toEqual([]);
  });
});

describe('dockerBuildIdentity', () => {
  test('changes with image, id and platforms', () => {
    const identity = dockerBuildIdentity('golang:1.26', 'sha256:a', []);
    expect(identity).toMatch(/^[0-9a-f]{16}$/);
    expect(dockerBuildIdentity('golang:1.26', 'sha256:a', [])).toBe(identity);
    expect(dockerBuildIdentity('golang:1.25', 'sha256:a', [])).not.toBe(identity);
    expect(dockerBuildIdentity('golang:1.26', 'sha256:b', [])).not.toBe(identity);
    expect(dockerBuildIdentity('golang:1.26', 'sha256:a', ['linux/arm64'])).not.toBe(identity);
  });
});
