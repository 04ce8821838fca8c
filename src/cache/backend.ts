import * as cache from '@actions/cache';
import * as exec from '@actions/exec';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWritable } from '../fs-utils.js';

/**
 * Outcome of a save: `saved`, `exists` when the store already has an entry with that key, or
 * `not-saved` when @actions/cache stored nothing and has logged the reason itself.
 */
export type SaveResult = 'saved' | 'exists' | 'not-saved';

/** A store of cache entries: the GitHub Actions cache service or a local directory. */
export interface CacheBackend {
  readonly name: 'actions' | 'local';
  /** Restores `paths` and returns the key that matched, or undefined on a miss. */
  restore(paths: string[], primaryKey: string, restoreKeys: string[]): Promise<string | undefined>;
  /** Saves `paths` under `key`. */
  save(paths: string[], key: string): Promise<SaveResult>;
}

/** The GitHub Actions cache service, through @actions/cache. */
export class ActionsCacheBackend implements CacheBackend {
  readonly name = 'actions';

  /** `timeoutMs` limits each restore; @actions/cache's own limit is 3 minutes per request try. */
  constructor(readonly timeoutMs = 600_000) {}

  /**
   * Restores through @actions/cache. The library reports a failed lookup, download or
   * extraction only as a warning and a miss, and a failed extraction can leave part of the
   * archive on disk. Paths that were empty before are therefore emptied again when nothing was
   * restored, so no partial cache reaches the build.
   */
  async restore(
    paths: string[],
    primaryKey: string,
    restoreKeys: string[],
  ): Promise<string | undefined> {
    const emptyBefore = includedPaths(paths).filter((cachePath) => !hasContent(cachePath));
    let matchedKey: string | undefined;
    let failure: unknown;
    try {
      matchedKey = await withTimeout(
        cache.restoreCache(paths, primaryKey, restoreKeys),
        this.timeoutMs,
        'the restore',
      );
    } catch (error) {
      failure = error;
    }
    if (matchedKey === undefined) {
      const partial = emptyBefore.filter((cachePath) => hasContent(cachePath));
      for (const cachePath of partial) {
        makeWritable(cachePath);
        fs.rmSync(cachePath, { recursive: true, force: true });
      }
      if (partial.length > 0) {
        throw new Error(
          'the download or extraction of the cache entry failed; the partly restored files in ' +
            `${partial.join(', ')} were removed`,
        );
      }
    }
    if (failure !== undefined) throw failure;
    return matchedKey;
  }

  /**
   * Saves through @actions/cache. The library returns -1 when it stored nothing, having logged
   * the reason itself: a ReserveCacheError (another job reserved the key first) with core.info,
   * any other failure as a warning or an error. It also returns a cache id when the upload or
   * the commit failed, so a saved entry is confirmed with a lookup.
   */
  async save(paths: string[], key: string): Promise<SaveResult> {
    const cacheId = await cache.saveCache(paths, key);
    if (cacheId === -1) return 'not-saved';
    const found = await cache.restoreCache([...paths], key, [], { lookupOnly: true });
    if (found !== key) {
      throw new Error('the cache service did not store the entry (see the warning above)');
    }
    return 'saved';
  }
}

/**
 * Rejects when `promise` takes longer than `timeoutMs`. NOTE: @actions/cache cannot be
 * cancelled, so a restore that times out goes on in the background and may still extract
 * files until the main step ends the process.
 */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${what} timed out after ${Math.round(timeoutMs / 1000)} s (input 'cache-timeout')`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function hasContent(cachePath: string): boolean {
  try {
    const stat = fs.statSync(cachePath);
    return stat.isDirectory() ? fs.readdirSync(cachePath).length > 0 : true;
  } catch {
    return false;
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

  async save(paths: string[], key: string): Promise<SaveResult> {
    const archive = this.archivePath(key);
    if (fs.existsSync(archive)) return 'exists';
    fs.mkdirSync(this.directory, { recursive: true });
    const members = includedPaths(paths)
      .filter((cachePath) => fs.existsSync(cachePath))
      .map((cachePath) => path.resolve(cachePath).slice(1));
    const excludes = paths
      .filter((cachePath) => cachePath.startsWith('!'))
      .map((cachePath) => `--exclude=${path.resolve(cachePath.slice(1)).slice(1)}`);
    // Write under a temporary name and rename, so that a concurrent reader or a crash never
    // finds half an archive.
    const partial = `${archive}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.partial`;
    try {
      await exec.exec('tar', ['-cf', partial, ...excludes, '-C', '/', ...members], {
        silent: true,
      });
      // link fails when the archive exists, so of two runs saving one key at once exactly
      // one wins, where rename would let the later one replace the earlier entry.
      try {
        fs.linkSync(partial, archive);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw error;
      }
    } finally {
      fs.rmSync(partial, { force: true });
    }
    return 'saved';
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
export function selectCacheBackend(localCacheDir: string, timeoutMs?: number): CacheBackend {
  if (cache.isFeatureAvailable()) return new ActionsCacheBackend(timeoutMs);
  return new LocalCacheBackend(localCacheDir);
}
