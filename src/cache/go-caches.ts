import * as core from '@actions/core';
import * as fs from 'node:fs';
import { ActionsCacheBackend, CacheBackend, includedPaths, LocalCacheBackend } from './backend.js';
import { CacheKeys } from './keys.js';

/** One Go cache: what it contains, where, and under which keys. */
export interface GoCache extends CacheKeys {
  /** `modules` (GOMODCACHE and dep sources) or `build` (GOCACHE). */
  name: 'modules' | 'build';
  paths: string[];
  /** User of the cache, for logs and the summary: `runner` or `Docker build`. */
  usedBy: 'runner' | 'Docker build';
  /** The key that restored it, or undefined on a miss or before restore. */
  matchedKey?: string;
  restoreSeconds?: number;
  /** Bytes on disk after restore, and after the build's export where there was one. */
  restoredBytes?: number;
  exportedBytes?: number;
  /** Reason the post step must not save this cache, when there is one. */
  skipSaveReason?: string;
}

/** Restored caches and save decision, stored as state for the post step that saves them. */
export interface CachePlan {
  backend: 'actions' | 'local';
  /** Whether this run saves caches at all, and why. */
  save: boolean;
  saveReason: string;
  localCacheDir: string;
  caches: GoCache[];
}

export function isExactKeyMatch(goCache: GoCache): boolean {
  return goCache.matchedKey === goCache.primaryKey;
}

/** Rebuilds the backend that a plan was made with, in the post step. */
export function backendForPlan(plan: CachePlan): CacheBackend {
  return plan.backend === 'actions'
    ? new ActionsCacheBackend()
    : new LocalCacheBackend(plan.localCacheDir);
}

/**
 * Restores each cache in order, records the matched key in it and calls `onRestored` once the
 * cache's directory is final. A failed restore is logged as a warning and counts as a miss,
 * because the build works without a cache, only slower.
 */
export async function restoreGoCaches(
  backend: CacheBackend,
  caches: GoCache[],
  onRestored: (goCache: GoCache) => void = () => {},
): Promise<void> {
  for (const goCache of caches) {
    const started = Date.now();
    try {
      goCache.matchedKey = await backend.restore(
        goCache.paths,
        goCache.primaryKey,
        goCache.restoreKeys,
      );
    } catch (error) {
      core.warning(
        `Restoring the Go ${goCache.name} cache failed, so the build goes on without it: ${errorMessage(error)}`,
      );
      goCache.matchedKey = undefined;
    }
    goCache.restoreSeconds = (Date.now() - started) / 1000;
    if (goCache.matchedKey) {
      const kind = isExactKeyMatch(goCache) ? 'exact match' : 'restore-key match';
      core.info(
        `Go ${goCache.name} cache restored from ${goCache.matchedKey} (${kind}, ` +
          `${goCache.restoreSeconds.toFixed(1)} s, ${backend.name} backend).`,
      );
    } else {
      // @actions/cache turns a failed lookup or download into a warning and a miss.
      const hint =
        backend.name === 'actions'
          ? "; a 'Failed to restore' warning above means the cache service failed"
          : '';
      core.info(
        `Go ${goCache.name} cache missed: no entry for ${goCache.primaryKey} ` +
          `or the prefixes ${goCache.restoreKeys.join(', ')} (${backend.name} backend${hint}).`,
      );
    }
    onRestored(goCache);
  }
}

/**
 * Saves each cache that did not restore from its exact key and has content on disk. Failures
 * become warnings: a cache that could not be saved never fails the job.
 */
export async function saveGoCaches(backend: CacheBackend, caches: GoCache[]): Promise<void> {
  for (const goCache of caches) {
    if (goCache.skipSaveReason) {
      core.info(`Go ${goCache.name} cache not saved: ${goCache.skipSaveReason}.`);
      continue;
    }
    if (isExactKeyMatch(goCache)) {
      core.info(
        `Go ${goCache.name} cache: restored from its exact key ${goCache.primaryKey}, not saved again.`,
      );
      continue;
    }
    const present = includedPaths(goCache.paths).filter((cachePath) => hasFiles(cachePath));
    if (present.length === 0) {
      core.info(`Go ${goCache.name} cache: nothing in ${goCache.paths.join(', ')}, not saved.`);
      continue;
    }
    const started = Date.now();
    try {
      const exclusions = goCache.paths.filter((cachePath) => cachePath.startsWith('!'));
      const result = await backend.save([...present, ...exclusions], goCache.primaryKey);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (result === 'saved') {
        core.info(`Go ${goCache.name} cache saved as ${goCache.primaryKey} in ${seconds} s.`);
      } else if (result === 'exists') {
        core.info(
          `Go ${goCache.name} cache: ${goCache.primaryKey} already exists, not saved again.`,
        );
      } else {
        core.info(
          `Go ${goCache.name} cache: ${goCache.primaryKey} not saved. @actions/cache logged the reason above.`,
        );
      }
    } catch (error) {
      core.warning(
        `Saving the Go ${goCache.name} cache as ${goCache.primaryKey} failed: ${errorMessage(error)}`,
      );
    }
  }
}

function hasFiles(directory: string): boolean {
  try {
    return fs.readdirSync(directory).length > 0;
  } catch {
    return false;
  }
}

/** Largest cache entry the GitHub Actions cache service accepts: 10 GiB. */
export const MAX_CACHE_ENTRY_BYTES = 10 * 1024 ** 3;

/**
 * Returns why an exported cache must not replace the restored one, or '' when it may: an
 * empty export, one under a quarter of what was restored (a sign of a broken export rather
 * than of pruning), or one over the cache service's size limit.
 */
export function findExportProblem(restoredBytes: number, exportedBytes: number): string {
  if (exportedBytes === 0) return 'the export from the Docker build is empty';
  if (restoredBytes > 0 && exportedBytes < restoredBytes / 4) {
    return (
      `the export (${exportedBytes} bytes) is under a quarter of what was restored ` +
      `(${restoredBytes} bytes). That points to a failed copy, or to a build that used few of ` +
      'the restored entries (go build -a), so the restored entry is kept'
    );
  }
  if (exportedBytes > MAX_CACHE_ENTRY_BYTES) {
    return `the export (${exportedBytes} bytes) is over the 10 GiB limit of the cache service`;
  }
  return '';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
