import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import { buildCacheServer, CacheServer, startCacheServer } from './cache-service/cache-server.js';
import {
  classifyRequest,
  FaultProxy,
  readBody,
  startFaultProxy,
} from './cache-service/fault-proxy.js';
import {
  ACTION_RUN_TIMEOUT_MS,
  describeWithDocker,
  makeTempDirectory,
  projectRoot,
  removeModuleCache,
} from './support.js';

// Two runs of the action on examples/go2docker compute the same cache keys, as two jobs of one
// workflow run do: same go.sum, same cache paths, same GITHUB_RUN_ID. Their main steps run one
// after the other, and then their post steps start together and save the same keys to a real
// cache server (act's, started by e2e/cache-service) at the same moment.
//
// act's server (nektos/act v0.2.89, pkg/artifactcache) gives every reserve request a new cache
// id, even for a key and version that another request reserved already. There both saves
// succeed and the server keeps both entries. GitHub's cache service rejects the second reserve
// with the message "Cache already exists. Scope: <ref>, Key: <key>, Version: <version>", which
// @actions/cache 6.3.0 turns into a ReserveCacheError. The same two post steps therefore run
// twice: against act's server as it is, and against a second server behind a gate that adds
// GitHub's rule. The gate rejects only those reserve requests, and every other request reaches
// the server unchanged.
//
// The saves overlap by construction, because the gate delays the first reserve request of the
// module cache key until the second arrives. The test also checks that both were open at once.

/** Maximum time the gate delays a reserve request while it waits for the other one. */
const MAX_RESERVE_DELAY_MS = 30_000;

/** Time limit of one post step. */
const POST_TIMEOUT_MS = 120_000;

/** GITHUB_REF of both runs, which GitHub's conflict message names as the scope. */
const REF = 'refs/heads/main';

/** One reserve request that reached the gate. */
interface ReserveRecord {
  key: string;
  version: string;
  /** HTTP status sent to the client. */
  status: number;
  /** Times in milliseconds since the epoch. */
  arrivedAt: number;
  respondedAt: number;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a FaultProxy (without a fault) and the cache server
 * behind it. It delays the reserve requests of `delayedKey` until `expectedReserves` of them
 * have arrived. With `rejectDuplicates` it rejects a reserve of a key and version that were
 * reserved before, with HTTP 409 and GitHub's message.
 *
 * NOTE: GitHub does not document the status of that rejection. @actions/cache 6.3.0 raises a
 * ReserveCacheError for any reserve response without a cache id, unless the status is 400 or
 * 5xx or the message starts with "cache write denied:". The exact status therefore does not
 * change what the client does. 409 Conflict is what cache service v2 returns for the same case.
 */
class ReserveGate {
  readonly reserves: ReserveRecord[] = [];
  readonly url: string;
  private readonly reserved = new Set<string>();
  private delayed = 0;
  private release: () => void = () => {};
  private readonly released: Promise<void>;

  constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
    private readonly delayedKey: string,
    private readonly expectedReserves: number,
    private readonly rejectDuplicates: boolean,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    this.released = new Promise((resolve) => {
      this.release = resolve;
    });
    server.on('request', (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  /** Returns the reserve requests of `key`. */
  reservesOf(key: string): ReserveRecord[] {
    return this.reserves.filter((record) => record.key === key);
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const pathname = new URL(request.url ?? '/', this.url).pathname;
    if (classifyRequest(request.method ?? 'GET', pathname) !== 'reserve') {
      const upstreamResponse = await this.forward(request, undefined);
      response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(response);
      return;
    }

    const body = await readBody(request);
    const { key, version } = JSON.parse(body.toString('utf8')) as { key: string; version: string };
    const record: ReserveRecord = {
      key,
      version,
      status: 0,
      arrivedAt: Date.now(),
      respondedAt: 0,
    };
    this.reserves.push(record);
    if (key === this.delayedKey) {
      this.delayed += 1;
      if (this.delayed >= this.expectedReserves) this.release();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.released,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, MAX_RESERVE_DELAY_MS);
        }),
      ]);
      clearTimeout(timer);
    }

    const reservation = `${key}\n${version}`;
    if (this.rejectDuplicates && this.reserved.has(reservation)) {
      const message = `Cache already exists. Scope: ${REF}, Key: ${key}, Version: ${version}`;
      const responseBody = Buffer.from(JSON.stringify({ message }));
      response.writeHead(409, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': responseBody.length,
      });
      response.end(responseBody);
    } else {
      this.reserved.add(reservation);
      const upstreamResponse = await this.forward(request, body);
      const responseBody = await readBody(upstreamResponse);
      response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      response.end(responseBody);
    }
    record.status = response.statusCode;
    record.respondedAt = Date.now();
  }

  private forward(
    request: http.IncomingMessage,
    body: Buffer | undefined,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const upstreamRequest = http.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: this.upstream.host },
        },
        resolve,
      );
      upstreamRequest.on('error', reject);
      if (body) upstreamRequest.end(body);
      else request.pipe(upstreamRequest);
    });
  }
}

async function startReserveGate(
  upstreamUrl: string,
  delayedKey: string,
  expectedReserves: number,
  rejectDuplicates: boolean,
): Promise<ReserveGate> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return new ReserveGate(
    server,
    new URL(upstreamUrl),
    delayedKey,
    expectedReserves,
    rejectDuplicates,
  );
}

/** A cache server with a recording FaultProxy and a ReserveGate in front of it. */
interface CacheService {
  server: CacheServer;
  proxy: FaultProxy;
  gate: ReserveGate;
}

/** The outcome of one post step that the test started itself. */
interface PostStep {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Times in milliseconds since the epoch. */
  startedAt: number;
  endedAt: number;
}

/**
 * Starts the post step of `run` the way scripts/local-runner.mjs does, with the main step's
 * state as STATE_* variables, and resolves when it exits.
 */
function startPostStep(
  run: ActionRun,
  inputs: Record<string, string>,
  env: Record<string, string | undefined>,
): Promise<PostStep> {
  const stepEnv: Record<string, string | undefined> = {
    ...process.env,
    GITHUB_OUTPUT: path.join(run.runDirectory, 'output'),
    GITHUB_STATE: path.join(run.runDirectory, 'state'),
    GITHUB_STEP_SUMMARY: path.join(run.runDirectory, 'summary.md'),
    RUNNER_TEMP: run.runDirectory,
  };
  for (const name of Object.keys(stepEnv)) {
    if (name.startsWith('INPUT_') || name.startsWith('STATE_')) delete stepEnv[name];
  }
  for (const [name, value] of Object.entries(inputs)) {
    stepEnv[`INPUT_${name.toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(env)) stepEnv[name] = value;
  for (const [name, value] of Object.entries(run.state)) stepEnv[`STATE_${name}`] = value;

  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [path.join(projectRoot, 'dist/post/index.js')], {
      env: stepEnv,
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), POST_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr, startedAt, endedAt: Date.now() });
    });
  });
}

/** Returns the `::warning::` and `::error::` lines of a step's output. */
function annotationLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('::warning::') || line.startsWith('::error::'));
}

/** Returns the primary key of one Go cache from the cache-plan state of a main step. */
function primaryKeyOf(run: ActionRun, name: 'modules' | 'build'): string {
  const plan = JSON.parse(run.state['cache-plan'] ?? '{"caches":[]}') as {
    caches: { name: string; primaryKey: string }[];
  };
  return plan.caches.find((goCache) => goCache.name === name)?.primaryKey ?? '';
}

/**
 * Returns whether the time windows [start, end] of every item were all open at one moment. The
 * ends count as open, because a rejected second reserve can arrive and get its response within
 * the same millisecond, while the first one is still held.
 */
function allOverlap(windows: { start: number; end: number }[]): boolean {
  const latestStart = Math.max(...windows.map((window) => window.start));
  const earliestEnd = Math.min(...windows.map((window) => window.end));
  return windows.length > 1 && latestStart <= earliestEnd;
}

describeWithDocker('two runs saving the same key at once', () => {
  let work = '';
  let modulesKey = '';
  let firstRun: ActionRun | undefined;
  let secondRun: ActionRun | undefined;
  const services = new Map<string, CacheService>();
  const posts = new Map<string, PostStep[]>();
  const restores = new Map<string, ActionRun>();

  function runnerEnv(): Record<string, string> {
    return {
      GITHUB_WORKSPACE: projectRoot,
      GOMODCACHE: path.join(work, 'runner', 'gomodcache'),
      GOCACHE: path.join(work, 'runner', 'gocache'),
    };
  }

  const inputs = (): Record<string, string> => ({
    'working-directory': 'examples/go2docker',
    tags: 'go2docker:cache-concurrency',
    'cache-key-prefix': 'go-buildx-concurrency',
    'cache-save': 'always',
    'local-cache-dir': path.join(work, 'runner', 'local-cache'),
  });

  /** Returns the variables of a job in workflow run `runId` with the v1 cache service at `url`. */
  function cacheEnv(url: string, runId: string): Record<string, string | undefined> {
    return {
      ...runnerEnv(),
      ACTIONS_CACHE_URL: url,
      ACTIONS_RUNTIME_TOKEN: 'e2e-cache-concurrency',
      // Variables of an enclosing GitHub Actions job would select cache service v2.
      ACTIONS_CACHE_SERVICE_V2: undefined,
      ACTIONS_RESULTS_URL: undefined,
      GITHUB_RUN_ID: runId,
      GITHUB_REF: REF,
      GITHUB_REF_NAME: 'main',
    };
  }

  /** Removes the stand-in runner's Go caches and the Docker build cache beside GOCACHE. */
  function emptyRunnerCaches(): void {
    const env = runnerEnv();
    removeModuleCache(env.GOMODCACHE);
    removeModuleCache(`${env.GOCACHE}-docker`);
    fs.rmSync(env.GOCACHE, { recursive: true, force: true });
  }

  async function startService(name: string, rejectDuplicates: boolean): Promise<CacheService> {
    const server = await startCacheServer(
      path.join(work, 'cache-server'),
      path.join(work, name, 'store'),
      path.join(work, name, 'cache-server.log'),
    );
    const proxy = await startFaultProxy(server.url);
    const gate = await startReserveGate(proxy.url, modulesKey, 2, rejectDuplicates);
    const service = { server, proxy, gate };
    services.set(name, service);
    return service;
  }

  /** Starts the post steps of both runs together against `service` and waits for both. */
  async function savePair(name: string, service: CacheService, runId: string): Promise<void> {
    const env = cacheEnv(service.gate.url, runId);
    const pair = await Promise.all([
      startPostStep(firstRun!, inputs(), env),
      startPostStep(secondRun!, inputs(), env),
    ]);
    posts.set(name, pair);
    pair.forEach((post, index) =>
      fs.writeFileSync(path.join(work, name, `post-${index + 1}.log`), post.stdout + post.stderr),
    );
    fs.writeFileSync(path.join(work, name, 'proxy.log'), `${service.proxy.formatLog()}\n`);
  }

  /** Runs a third main step with empty Go caches, which restores from `service`. */
  async function restoreFrom(name: string, service: CacheService, runId: string): Promise<void> {
    emptyRunnerCaches();
    const run = await runAction({
      inputs: inputs(),
      env: cacheEnv(service.gate.url, runId),
      skipPost: true,
    });
    restores.set(name, run);
    fs.writeFileSync(path.join(work, name, 'restore.log'), run.main.stdout + run.main.stderr);
  }

  function postsOf(name: string): PostStep[] {
    const pair = posts.get(name);
    if (!pair) throw new Error(`the post steps against '${name}' did not run; see beforeAll`);
    return pair;
  }

  function restoreOf(name: string): ActionRun {
    const run = restores.get(name);
    if (!run) throw new Error(`the restore from '${name}' did not run; see beforeAll`);
    return run;
  }

  beforeAll(async () => {
    work = makeTempDirectory('e2e-cache-concurrency-');
    buildCacheServer(projectRoot, path.join(work, 'cache-server'));
    const runId = `${Date.now()}`;

    // The main steps look up the keys on a server that has none, so both miss and both plan
    // to save. They run one after the other, as jobs that start at different times.
    emptyRunnerCaches();
    const mainServer = await startCacheServer(
      path.join(work, 'cache-server'),
      path.join(work, 'main', 'store'),
      path.join(work, 'main', 'cache-server.log'),
    );
    try {
      const mainEnv = cacheEnv(mainServer.url, runId);
      firstRun = await runAction({ inputs: inputs(), env: mainEnv, skipPost: true });
      secondRun = await runAction({ inputs: inputs(), env: mainEnv, skipPost: true });
    } finally {
      await mainServer.stop();
    }
    fs.writeFileSync(path.join(work, 'main', 'main-1.log'), firstRun.main.stdout);
    fs.writeFileSync(path.join(work, 'main', 'main-2.log'), secondRun.main.stdout);
    modulesKey = primaryKeyOf(firstRun, 'modules');

    // Both pairs of post steps save before either restore empties the caches they save.
    const act = await startService('act', false);
    await savePair('act', act, runId);
    const github = await startService('github-rule', true);
    await savePair('github-rule', github, runId);
    await restoreFrom('act', act, runId);
    await restoreFrom('github-rule', github, runId);
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(async () => {
    for (const { server, proxy, gate } of services.values()) {
      await gate.close();
      await proxy.close();
      await server.stop();
    }
    if (work) emptyRunnerCaches();
    for (const run of [firstRun, secondRun, ...restores.values()]) {
      if (run) fs.rmSync(run.runDirectory, { recursive: true, force: true });
    }
  });

  test('both runs plan the same key', () => {
    expect(firstRun?.main.exitCode).toBe(0);
    expect(secondRun?.main.exitCode).toBe(0);
    expect(modulesKey).toMatch(/^go-buildx-concurrency-gomod-/);
    expect(primaryKeyOf(secondRun!, 'modules')).toBe(modulesKey);
    expect(firstRun?.main.stdout).toContain(`Go modules cache missed: no entry for ${modulesKey}`);
    expect(secondRun?.main.stdout).toContain(`Go modules cache missed: no entry for ${modulesKey}`);
  });

  describe.each([
    ['act', "act's server as it is"],
    ['github-rule', "GitHub's reserve rule"],
  ])('%s: %s', (name) => {
    test('both post steps exit 0', () => {
      const [first, second] = postsOf(name);
      expect(first.exitCode).toBe(0);
      expect(second.exitCode).toBe(0);
    });

    test('saves of the key overlap', () => {
      const reserves = services.get(name)!.gate.reservesOf(modulesKey);
      expect(reserves).toHaveLength(2);
      expect(reserves[0].version).toBe(reserves[1].version);
      const windows = reserves.map((record) => ({
        start: record.arrivedAt,
        end: record.respondedAt,
      }));
      expect(allOverlap(windows)).toBe(true);
      const steps = postsOf(name).map((post) => ({ start: post.startedAt, end: post.endedAt }));
      expect(allOverlap(steps)).toBe(true);
    });

    test('no warnings or errors', () => {
      const [first, second] = postsOf(name);
      expect(annotationLines(first.stdout)).toEqual([]);
      expect(annotationLines(second.stdout)).toEqual([]);
    });

    if (name === 'act') {
      test('both post steps report the save', () => {
        for (const post of postsOf(name)) {
          expect(post.stdout).toContain(`Go modules cache saved as ${modulesKey} in `);
        }
      });
    }

    if (name === 'github-rule') {
      test('second reserve rejected', () => {
        const statuses = services
          .get(name)!
          .gate.reservesOf(modulesKey)
          .map((record) => record.status);
        expect(statuses).toEqual([200, 409]);
      });

      test('exactly one entry committed', () => {
        const commits = services
          .get(name)!
          .proxy.requestsOf('commit')
          .filter((request) => request.cacheKey === modulesKey);
        expect(commits.map((request) => request.status)).toEqual([200]);
      });

      test('one post step reports the save', () => {
        const savers = postsOf(name).filter((post) =>
          post.stdout.includes(`Go modules cache saved as ${modulesKey} in `),
        );
        expect(savers).toHaveLength(1);
      });

      test('loser logs conflict as information', () => {
        const version = services.get(name)!.gate.reservesOf(modulesKey)[0]?.version;
        // @actions/cache 6.3.0 logs a ReserveCacheError with core.info, as a plain line.
        const conflictLine =
          `Failed to save: Unable to reserve cache with key ${modulesKey}, another job may be ` +
          `creating this cache. More details: Cache already exists. Scope: ${REF}, ` +
          `Key: ${modulesKey}, Version: ${version}`;
        const losers = postsOf(name).filter((post) =>
          post.stdout.split('\n').includes(conflictLine),
        );
        expect(losers).toHaveLength(1);
        const keyAnnotations = annotationLines(losers[0].stdout).filter((line) =>
          line.includes(modulesKey),
        );
        expect(keyAnnotations).toEqual([]);
        expect(losers[0].stdout).not.toContain(`Go modules cache saved as ${modulesKey}`);
      });
    }

    test('third run restores the key', () => {
      const run = restoreOf(name);
      expect(run.main.exitCode).toBe(0);
      expect(run.main.stdout).toMatch(
        new RegExp(`Go modules cache restored from ${modulesKey} \\(exact match, `),
      );
      expect(run.outputs['cache-hit']).toBe('true');
      expect(run.main.stdout).toContain('go mod download added 0 module archives');
      const uuidFile = path.join(runnerEnv().GOMODCACHE, 'github.com/google/uuid@v1.6.0/uuid.go');
      expect(fs.existsSync(uuidFile)).toBe(true);
    });
  });
});
