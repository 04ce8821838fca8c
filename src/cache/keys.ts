import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Everything a cache key is made from. */
export interface CacheKeyInputs {
  prefix: string;
  /** `process.platform`, for example linux. */
  os: string;
  /** `process.arch`, for example x64. */
  arch: string;
  /** `go1.26.8`, or `unknown` without Go on the runner. */
  goVersion: string;
  /** Hex SHA-256 of the lock files, see hashLockFiles. */
  lockHash: string;
  /** Identifies this run, so each run saves a fresh build cache. */
  runId: string;
}

/** A cache to restore in the main step and save in the post step. */
export interface CacheKeys {
  primaryKey: string;
  /** Prefixes tried in order when the primary key has no entry. */
  restoreKeys: string[];
}

/**
 * Hashes the lock files (relative to `root`) into one hex SHA-256, over both each path and its
 * content so that moving a go.sum changes the key. Returns `nolock` when there are none.
 */
export function hashLockFiles(root: string, relativePaths: string[]): string {
  if (relativePaths.length === 0) return 'nolock';
  const hash = crypto.createHash('sha256');
  for (const relativePath of [...relativePaths].sort()) {
    hash.update(relativePath.split(path.sep).join('/'));
    hash.update('\0');
    hash.update(fs.readFileSync(path.join(root, relativePath)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Keys the module cache by lock files, OS, architecture and Go version. A lock file change
 * falls back to the newest entry of the same platform and Go version, which still has most of
 * the modules.
 */
export function moduleCacheKeys(inputs: CacheKeyInputs): CacheKeys {
  const base = `${inputs.prefix}-gomod-${inputs.os}-${inputs.arch}-${inputs.goVersion}-`;
  return { primaryKey: base + inputs.lockHash, restoreKeys: [base] };
}

/**
 * Keys the build cache like the module cache plus the run. Go's build cache changes with every
 * source change, not only with go.sum, so a key fixed by go.sum would keep the first run's
 * entries forever. Each run saves a new entry and restores the newest one by prefix.
 */
export function buildCacheKeys(inputs: CacheKeyInputs): CacheKeys {
  const base = `${inputs.prefix}-gobuild-${inputs.os}-${inputs.arch}-${inputs.goVersion}-`;
  const withLock = `${base}${inputs.lockHash}-`;
  return { primaryKey: withLock + inputs.runId, restoreKeys: [withLock, base] };
}

/**
 * Returns an id unique to this workflow run attempt, or to this process outside GitHub Actions.
 */
export function currentRunId(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_RUN_ID) return `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || '1'}`;
  return `local${Date.now()}`;
}

/**
 * Keys the Docker build's Go build cache. Its entries depend on the Go toolchain and target
 * of the builder stage, so `buildIdentity` (a hash of the stage's base image and the target
 * platforms) takes the place of the runner's Go version. It rotates with each run like the
 * runner's build cache.
 */
export function dockerBuildCacheKeys(inputs: CacheKeyInputs, buildIdentity: string): CacheKeys {
  const base = `${inputs.prefix}-gobuild-docker-${inputs.os}-${inputs.arch}-${buildIdentity}-`;
  const withLock = `${base}${inputs.lockHash}-`;
  return { primaryKey: withLock + inputs.runId, restoreKeys: [withLock, base] };
}
