import * as cache from '@actions/cache';
import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWritable } from '../fs-utils.js';

/** A store of cache entries: the GitHub Actions cache service or a local directory. */
export interface CacheBackend {
  readonly name: 'actions' | 'local';
  /** Restores `paths` and returns the key that matched, or undefined on a miss. */
  restore(paths: string[], primaryKey: string, restoreKeys: string[]): Promise<string | undefined>;
  /** Saves `paths` under `key`; returns false when an entry with that key already exists. */
  save(paths: string[], key: string): Promise<boolean>;
}

/** The GitHub Actions cache service, through @actions/cache. */
export class ActionsCacheBackend implements CacheBackend {
  readonly name = 'actions';

  async restore(
    paths: string[],
    primaryKey: string,
    restoreKeys: string[],
  ): Promise<string | undefined> {
    return cache.restoreCache(paths, primaryKey, restoreKeys);
  }

  async save(paths: string[], key: string): Promise<boolean> {
    try {
      // saveCache logs most failures as warnings and returns -1 instead of throwing.
      const cacheId = await cache.saveCache(paths, key);
      if (cacheId === -1)
        throw new Error('the cache service did not accept the entry (see the warning above)');
      return true;
    } catch (error) {
      // Another job saved the same key first; that entry is as good as ours.
      if (error instanceof cache.ReserveCacheError) {
        core.info(`Cache entry ${key} was not saved: ${error.message}`);
        return false;
      }
      throw error;
    }
  }
}

/**
 * Cache entries as uncompressed tar archives in a local directory, for runs outside GitHub
 * Actions and self-hosted runners without the cache service. Archives keep absolute paths
 * (less the leading '/'), so an entry restores to the paths it was saved from.
 */
export class LocalCacheBackend implements CacheBackend {
  readonly name = 'local';

  constructor(readonly directory: string) {}

  async restore(
    paths: string[],
    primaryKey: string,
    restoreKeys: string[],
  ): Promise<string | undefined> {
    const matchedKey = this.findKey(primaryKey, restoreKeys);
    if (matchedKey === undefined) return undefined;
    const archive = this.archivePath(matchedKey);
    // Reading the whole archive first finds a truncated or corrupt one before any file of it
    // lands in the cache paths, so a failed restore leaves no partial cache behind.
    const listing = await exec.getExecOutput('tar', ['-tf', archive], {
      silent: true,
      ignoreReturnCode: true,
    });
    if (listing.exitCode !== 0) {
      throw new Error(`cache archive ${archive} is corrupt or truncated: ${listing.stderr.trim()}`);
    }
    // Go makes module directories read-only, which would stop a restore over an existing
    // module cache for any user but root. tar creates missing directories itself.
    for (const cachePath of includedPaths(paths)) makeWritable(cachePath);
    await exec.exec('tar', ['-xf', archive, '-C', '/'], { silent: true });
    return matchedKey;
  }

  async save(paths: string[], key: string): Promise<boolean> {
    const archive = this.archivePath(key);
    if (fs.existsSync(archive)) return false;
    fs.mkdirSync(this.directory, { recursive: true });
    const members = includedPaths(paths)
      .filter((cachePath) => fs.existsSync(cachePath))
      .map((cachePath) => path.resolve(cachePath).slice(1));
    const excludes = paths
      .filter((cachePath) => cachePath.startsWith('!'))
      .map((cachePath) => `--exclude=${path.resolve(cachePath.slice(1)).slice(1)}`);
    // Write under a temporary name and rename, so that a concurrent reader or a crash never
    // sees half an archive.
    const partial = `${archive}.${process.pid}.partial`;
    try {
      await exec.exec('tar', ['-cf', partial, ...excludes, '-C', '/', ...members], {
        silent: true,
      });
      if (fs.existsSync(archive)) return false;
      fs.renameSync(partial, archive);
    } finally {
      fs.rmSync(partial, { force: true });
    }
    return true;
  }

  /** Returns the primary key if saved, else the newest key that starts with a restore key. */
  findKey(primaryKey: string, restoreKeys: string[]): string | undefined {
    if (fs.existsSync(this.archivePath(primaryKey))) return primaryKey;
    if (!fs.existsSync(this.directory)) return undefined;
    const saved = fs
      .readdirSync(this.directory)
      .filter((name) => name.endsWith('.tar'))
      .map((name) => ({
        key: decodeURIComponent(name.slice(0, -'.tar'.length)),
        modified: fs.statSync(path.join(this.directory, name)).mtimeMs,
      }))
      .sort((a, b) => b.modified - a.modified);
    for (const restoreKey of restoreKeys) {
      const match = saved.find((entry) => entry.key.startsWith(restoreKey));
      if (match) return match.key;
    }
    return undefined;
  }

  private archivePath(key: string): string {
    return path.join(this.directory, `${encodeURIComponent(key)}.tar`);
  }
}

/** Returns the paths to archive, without the `!`-prefixed exclusions that @actions/cache takes. */
export function includedPaths(paths: string[]): string[] {
  return paths.filter((cachePath) => !cachePath.startsWith('!'));
}

/**
 * Chooses the Actions cache service where the runner configures it, and the local directory
 * everywhere else.
 */
export function selectCacheBackend(localCacheDir: string): CacheBackend {
  if (cache.isFeatureAvailable()) return new ActionsCacheBackend();
  return new LocalCacheBackend(localCacheDir);
}
