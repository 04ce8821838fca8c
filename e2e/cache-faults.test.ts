import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import { buildCacheServer, CacheServer, startCacheServer } from './cache-service/cache-server.js';
import { Fault, FaultProxy, ProxyRequest, startFaultProxy } from './cache-service/fault-proxy.js';
import {
  ACTION_RUN_TIMEOUT_MS,
  describeWithDocker,
  docker,
  makeTempDirectory,
  projectRoot,
  removeModuleCache,
} from './support.js';

// Runs the action on examples/go2docker against a real v1 cache server (act's, started by
// e2e/cache-service) behind a proxy that injects one fault per run. Every run starts from
// empty GOMODCACHE and GOCACHE directories, like a fresh runner, so after a failed restore
// the build must go on from a cold cache and nothing partial may be left in those caches.
// The directories keep their paths from run to run, because @actions/cache puts the paths
// into the version of an entry, and a restore finds only entries saved from the same paths.
//
// "After the failed restore" is observed through the action's own record: the main step
// measures each cache directory (restoredBytes, regular files only) right after the restore
// and before `go mod download`, and passes it to the post step in the cache-plan state.

/**
 * How long a stalled request is left open before the test closes the proxy, which ends the
 * stall. GO_BUILDX_FAULTS_STALL_WINDOW_S overrides it, for example 600 to see when
 * @actions/cache gives up by itself.
 */
const STALL_WINDOW_MS = Number(process.env.GO_BUILDX_FAULTS_STALL_WINDOW_S ?? '30') * 1000;

/**
 * Maximum restore time of one cache, in seconds, with a fault that is not a stall.
 * @actions/cache 6.3.0 makes two attempts at a request that failed without an HTTP status
 * and sleeps 5 s after each failed one (retry() in lib/internal/requestUtils.js), so such a
 * failure costs 10 s. The other 5 s are room for the download and tar on a loaded machine.
 */
const FAULT_RESTORE_LIMIT_S = 15;

/**
 * Maximum restore time of one cache, in seconds, when a request stalls: the stall window,
 * then the 10 s of the failed attempts after the proxy closed, and 10 s of room.
 */
const STALL_RESTORE_LIMIT_S = STALL_WINDOW_MS / 1000 + 20;

/**
 * How much longer than the clean cold run a whole run (main and post) may take with a fault,
 * in seconds. Besides the stall window, a fault costs at most 10 s per cache in the main
 * step and per cache in the post step (40 s for two caches). The rest is room for a Docker
 * engine that other tests share.
 */
const RUN_OVERHEAD_LIMIT_S = 90;

const tag = 'go2docker:cache-faults';

/** The cache-plan state that the main step passes to the post step (src/cache/go-caches.ts). */
interface CachePlanState {
  backend: string;
  caches: {
    name: 'modules' | 'build';
    paths: string[];
    primaryKey: string;
    matchedKey?: string;
    restoreSeconds?: number;
    restoredBytes?: number;
  }[];
}

/** One action run through its own fault proxy, with what the test measured around it. */
interface FaultRun {
  name: string;
  run: ActionRun;
  requests: ProxyRequest[];
  plan: CachePlanState;
  /** Wall time of main and post together. */
  seconds: number;
  /** Requests that were stalled, and whether the client gave up on them before the proxy closed. */
  stalls: { request: ProxyRequest; abandonedByClient: boolean }[];
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Returns the `::warning::` lines of a step's output. */
function warningLines(output: string): string[] {
  return output.split('\n').filter((line) => line.startsWith('::warning::'));
}

/** Returns the number in "go mod download added N module archives", or -1 without that line. */
function addedModuleArchives(output: string): number {
  const match = /go mod download added (\d+) module archives/.exec(output);
  return match ? Number(match[1]) : -1;
}

describeWithDocker('cache service faults', () => {
  const work = makeTempDirectory('e2e-cache-faults-');
  const runs = new Map<string, FaultRun>();
  const env = {
    GITHUB_WORKSPACE: projectRoot,
    GOMODCACHE: path.join(work, 'runner', 'gomodcache'),
    GOCACHE: path.join(work, 'runner', 'gocache'),
  };
  let server: CacheServer;
  /** Wall time of the first clean run, which builds from a cold cache. */
  let coldRunSeconds = 0;
  /** Module archives that `go mod download` adds to an empty module cache for the example. */
  let fullModuleCount = 0;

  /**
   * Runs main and post with empty Go caches through a new proxy that injects `fault`. A stall
   * is ended by closing the proxy STALL_WINDOW_MS after it began, unless the run ended first.
   */
  async function runWithFault(
    name: string,
    fault: Fault | undefined,
    cacheKeyPrefix = 'go-buildx-faults',
    freshBuilder = false,
  ): Promise<FaultRun> {
    const directory = path.join(work, name);
    fs.mkdirSync(directory);
    emptyRunnerCaches();
    // The action saves the build cache only when the build compiled, not when BuildKit
    // took the compile steps from its layer cache.
    if (freshBuilder) docker(['buildx', 'prune', '--all', '--force']);
    const proxy: FaultProxy = await startFaultProxy(server.url);
    proxy.setFault(fault);
    const started = Date.now();
    let runEnded = false;
    const pending = runAction({
      inputs: {
        'working-directory': 'examples/go2docker',
        tags: tag,
        'cache-key-prefix': cacheKeyPrefix,
        'cache-save': 'always',
        'local-cache-dir': path.join(directory, 'local-cache'),
      },
      env: {
        ...env,
        ACTIONS_CACHE_URL: proxy.url,
        ACTIONS_RUNTIME_TOKEN: 'e2e-cache-faults',
        // Variables of an enclosing GitHub Actions job would select cache service v2.
        ACTIONS_CACHE_SERVICE_V2: undefined,
        ACTIONS_RESULTS_URL: undefined,
        GITHUB_RUN_ID: `${Date.now()}`,
      },
    }).finally(() => {
      runEnded = true;
    });

    let proxyClosedAt = 0;
    if (fault?.kind === 'stall') {
      const deadline = started + ACTION_RUN_TIMEOUT_MS - 60_000;
      while (!runEnded && Date.now() < deadline) {
        const stalled = proxy.requests.find((request) => request.fault.startsWith('stall'));
        if (stalled && Date.now() >= stalled.startedAt + STALL_WINDOW_MS) break;
        await sleep(250);
      }
      proxyClosedAt = Date.now();
      await proxy.close();
    }
    const run = await pending;
    const seconds = (Date.now() - started) / 1000;
    if (!proxyClosedAt) await proxy.close();

    fs.writeFileSync(path.join(directory, 'proxy.log'), `${proxy.formatLog()}\n`);
    fs.writeFileSync(path.join(directory, 'main.log'), run.main.stdout + run.main.stderr);
    fs.writeFileSync(
      path.join(directory, 'post.log'),
      (run.post?.stdout ?? '') + (run.post?.stderr ?? ''),
    );
    const stalls = proxy.requests
      .filter((request) => request.fault.startsWith('stall'))
      .map((request) => ({
        request,
        abandonedByClient: request.endedAt !== 0 && request.endedAt < proxyClosedAt,
      }));
    const timings = {
      seconds,
      restoreSeconds: Object.fromEntries(
        (JSON.parse(run.state['cache-plan'] ?? '{"caches":[]}') as CachePlanState).caches.map(
          (goCache) => [goCache.name, goCache.restoreSeconds],
        ),
      ),
      stalls: stalls.map(({ request, abandonedByClient }) => ({
        route: request.route,
        openSeconds: ((request.endedAt || Date.now()) - request.startedAt) / 1000,
        abandonedByClient,
      })),
    };
    fs.writeFileSync(path.join(directory, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
    const result: FaultRun = {
      name,
      run,
      requests: [...proxy.requests],
      plan: JSON.parse(run.state['cache-plan'] ?? '{"backend":"","caches":[]}') as CachePlanState,
      seconds,
      stalls,
    };
    runs.set(name, result);
    return result;
  }

  /** Removes the Go caches of the stand-in runner, and the Docker build cache beside GOCACHE. */
  function emptyRunnerCaches(): void {
    removeModuleCache(env.GOMODCACHE);
    removeModuleCache(`${env.GOCACHE}-docker`);
    fs.rmSync(env.GOCACHE, { recursive: true, force: true });
  }

  function runNamed(name: string): FaultRun {
    const run = runs.get(name);
    if (!run) throw new Error(`run '${name}' did not happen; see the beforeAll failure`);
    return run;
  }

  beforeAll(async () => {
    const binary = path.join(work, 'cache-server');
    buildCacheServer(projectRoot, binary);
    server = await startCacheServer(
      binary,
      path.join(work, 'cache-store'),
      path.join(work, 'cache-server.log'),
    );
    const save = await runWithFault('clean-save', undefined, 'go-buildx-faults', true);
    coldRunSeconds = save.seconds;
    fullModuleCount = addedModuleArchives(save.run.main.stdout);
    await runWithFault('clean-restore', undefined);
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(async () => {
    emptyRunnerCaches();
    await server?.stop();
  });

  describe('without faults', () => {
    test('first run saves both caches', () => {
      const { run } = runNamed('clean-save');
      expect(run.main.exitCode).toBe(0);
      expect(run.main.stdout).toMatch(/Go modules cache missed: .* \(actions backend; [^)]*\)\./);
      expect(fullModuleCount).toBeGreaterThan(0);
      expect(run.post?.exitCode).toBe(0);
      expect(run.post?.stdout).toContain('Cache saved successfully');
      expect(run.post?.stdout).toMatch(/Go modules cache saved as go-buildx-faults-gomod-/);
      expect(run.post?.stdout).toMatch(/Go build cache saved as go-buildx-faults-gobuild-/);
    });

    test('second run restores both caches', () => {
      const { run, plan } = runNamed('clean-restore');
      expect(run.main.exitCode).toBe(0);
      expect(run.main.stdout).toMatch(
        /Go modules cache restored from go-buildx-faults-gomod-\S+ \(exact match, [\d.]+ s, actions backend\)\./,
      );
      expect(run.main.stdout).toMatch(/Go build cache restored from go-buildx-faults-gobuild-/);
      expect(addedModuleArchives(run.main.stdout)).toBe(0);
      expect(plan.caches.every((goCache) => (goCache.restoredBytes ?? 0) > 0)).toBe(true);
      expect(run.outputs['cache-hit']).toBe('true');
    });

    test('requests pass the proxy', () => {
      const routes = new Set(runNamed('clean-save').requests.map((request) => request.route));
      expect([...routes].sort()).toEqual(['commit', 'lookup', 'reserve', 'upload']);
      const restoreRoutes = runNamed('clean-restore').requests.map((request) => request.route);
      expect(restoreRoutes).toContain('download');
    });
  });

  /**
   * Restore faults: each row is a run name, the fault, a pattern that the warning of
   * @actions/cache ("Failed to restore: ...") must match.
   *
   * A truncated archive, or one corrupt after its first half, makes tar extract part of it
   * before the error (about 110 MB of the 52 MB build cache archive here). The Actions backend
   * removes that from cache directories that were empty before the restore, which the
   * 'no partial cache after restore' rows check. They need the build cache entry that the
   * first clean run saves.
   */
  const restoreFaults: [string, Fault, RegExp][] = [
    [
      'lookup-500',
      { kind: 'status-500', route: 'lookup' },
      /getCacheEntry failed: Cache service responded with 500/,
    ],
    ['lookup-stall', { kind: 'stall', route: 'lookup' }, /getCacheEntry failed: /],
    ['download-stall', { kind: 'stall', route: 'download' }, /downloadCache failed: /],
    [
      'download-disconnect',
      { kind: 'disconnect', keep: { fraction: 0.5 } },
      /aborted|premature close|ECONNRESET/i,
    ],
    [
      'download-truncated',
      { kind: 'truncated', keep: { fraction: 0.5 } },
      /tar" failed with error: .* exit code 2/,
    ],
    [
      'download-corrupt',
      { kind: 'corrupt', keep: { bytes: 0 } },
      /tar" failed with error: .* exit code 2/,
    ],
    [
      'download-corrupt-second-half',
      { kind: 'corrupt', keep: { fraction: 0.5 } },
      /tar" failed with error: .* exit code 2/,
    ],
  ];

  describe.each(restoreFaults)('restore fault %s', (name, fault, failurePattern) => {
    beforeAll(async () => {
      await runWithFault(name, fault);
    }, ACTION_RUN_TIMEOUT_MS);

    test('fault was injected', () => {
      expect(runNamed(name).requests.filter((request) => request.fault !== '')).not.toEqual([]);
    });

    test('main step exits 0', () => {
      expect(runNamed(name).run.main.exitCode).toBe(0);
    });

    test('warning names the failure', () => {
      const warnings = warningLines(runNamed(name).run.main.stdout);
      expect(warnings.filter((line) => line.startsWith('::warning::Failed to restore: '))).toEqual(
        expect.arrayContaining([expect.stringMatching(failurePattern)]),
      );
    });

    test('module cache not restored', () => {
      const { plan, run } = runNamed(name);
      const modules = plan.caches.find((goCache) => goCache.name === 'modules');
      expect(modules?.matchedKey).toBeUndefined();
      expect(run.outputs['cache-hit']).toBe('false');
    });

    test('no partial cache after restore', () => {
      const { plan } = runNamed(name);
      const failed = plan.caches.filter((goCache) => goCache.matchedKey === undefined);
      expect(failed.map((goCache) => [goCache.name, goCache.restoredBytes])).toEqual(
        failed.map((goCache) => [goCache.name, 0]),
      );
    });

    test('go mod download fetches every module', () => {
      expect(addedModuleArchives(runNamed(name).run.main.stdout)).toBe(fullModuleCount);
    });

    test('restore time bounded', () => {
      const limit = fault.kind === 'stall' ? STALL_RESTORE_LIMIT_S : FAULT_RESTORE_LIMIT_S;
      for (const goCache of runNamed(name).plan.caches) {
        expect([goCache.name, goCache.restoreSeconds]).toEqual([goCache.name, expect.any(Number)]);
        expect(goCache.restoreSeconds).toBeLessThanOrEqual(limit);
      }
    });

    test('run time bounded', () => {
      const stallSeconds = fault.kind === 'stall' ? STALL_WINDOW_MS / 1000 : 0;
      expect(runNamed(name).seconds).toBeLessThanOrEqual(
        coldRunSeconds + stallSeconds + RUN_OVERHEAD_LIMIT_S,
      );
    });

    test('post step exits 0', () => {
      expect(runNamed(name).run.post?.exitCode).toBe(0);
    });
  });

  /**
   * Save faults: a fresh key prefix per run, so both caches miss and the post step saves them.
   * Each row is a run name, the fault, a pattern that the warning of @actions/cache
   * ("Failed to save: ...") must match.
   *
   * @actions/cache 6.3.0 returns the reserved cache id, not -1, when the upload or the commit
   * fails, so the Actions backend confirms each save with a lookup. An upload refused while
   * another chunk of the same archive is still being read makes @actions/cache throw EBADF
   * from a stream handler, which the post step turns into a warning. The 500 that the proxy
   * sends before reading the body triggers this on the 52 MB build cache archive (two 32 MB
   * chunks); it is a race. The plain upload-500 row is limited to the one-chunk module cache.
   */
  const saveFaults: [string, Fault, RegExp][] = [
    [
      'reserve-500',
      { kind: 'status-500', route: 'reserve' },
      /reserveCache failed: Cache service responded with 500/,
    ],
    [
      'upload-500',
      { kind: 'status-500', route: 'upload', cacheKey: '-gomod-' },
      /uploadChunk .* failed: Cache service responded with 500/,
    ],
    [
      'upload-500-early',
      { kind: 'status-500', route: 'upload', early: true },
      /uploadChunk .* failed: Cache service responded with 500/,
    ],
    [
      'commit-500',
      { kind: 'status-500', route: 'commit' },
      /commitCache failed: Cache service responded with 500/,
    ],
  ];

  describe.each(saveFaults)('save fault %s', (name, fault, failurePattern) => {
    beforeAll(async () => {
      await runWithFault(name, fault, `go-buildx-faults-${name}`, true);
    }, ACTION_RUN_TIMEOUT_MS);

    test('fault was injected', () => {
      expect(runNamed(name).requests.filter((request) => request.fault !== '')).not.toEqual([]);
    });

    test('main step exits 0', () => {
      expect(runNamed(name).run.main.exitCode).toBe(0);
    });

    test('post step exits 0', () => {
      expect(runNamed(name).run.post?.exitCode).toBe(0);
    });

    test('warning names the failure', () => {
      const warnings = warningLines(runNamed(name).run.post?.stdout ?? '');
      expect(warnings.filter((line) => line.startsWith('::warning::Failed to save: '))).toEqual(
        expect.arrayContaining([expect.stringMatching(failurePattern)]),
      );
    });

    test('no saved claim after failure', () => {
      const { requests, run } = runNamed(name);
      const faultedKeys = new Set(
        requests.filter((request) => request.fault !== '').map((request) => request.cacheKey),
      );
      for (const key of faultedKeys) {
        expect(run.post?.stdout).not.toContain(`cache saved as ${key} `);
      }
    });

    test('no entry committed', () => {
      const { requests } = runNamed(name);
      const faultedKeys = new Set(
        requests.filter((request) => request.fault !== '').map((request) => request.cacheKey),
      );
      const committed = requests.filter(
        (request) =>
          request.route === 'commit' &&
          faultedKeys.has(request.cacheKey) &&
          request.status >= 200 &&
          request.status < 300,
      );
      expect(committed).toEqual([]);
    });

    test('run time bounded', () => {
      expect(runNamed(name).seconds).toBeLessThanOrEqual(coldRunSeconds + RUN_OVERHEAD_LIMIT_S);
    });
  });
});
