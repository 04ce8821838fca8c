import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildStep, parseBuildSteps } from '../src/docker/build-log.js';
import {
  describeWithDocker,
  docker,
  makeTempDirectory,
  projectRoot,
  removeModuleCache,
} from './support.js';

// Runs .github/workflows/example.yml twice under nektos/act (scripts/install-act.sh installs
// it), with the job's steps on this host (-P ubuntu-latest=-self-hosted) and act's built-in
// cache server as the Actions cache service. Before each run the Go caches and BuildKit's
// build cache are deleted, so the second run starts like a fresh runner and only the cache
// server can supply the Go modules.

const workflowFile = '.github/workflows/example.yml';
const jobPrefix = '[example/go2docker]';
const buildStep = 'Build go2docker with this action';
const printStep = 'Print the outputs';
const tag = 'go2docker:act';

/** Returns the environment for act: this process's, without the variables of a real runner. */
function actEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Host jobs inherit act's environment. Variables of an enclosing GitHub Actions job would
  // point the action at that job's cache service instead of act's (for example
  // ACTIONS_CACHE_SERVICE_V2, ACTIONS_RESULTS_URL), so they are removed.
  for (const name of Object.keys(env)) {
    if (/^(GITHUB|ACTIONS|RUNNER|INPUT|STATE)_/.test(name)) delete env[name];
  }
  // Without it act v0.2.89 asks its project server for release notices on every start, and
  // this machine reaches no such server.
  env.ACT_DISABLE_VERSION_CHECK = '1';
  return env;
}

/** Returns why act cannot run here, or '' when `act --version` succeeds. */
function findActProblem(): string {
  try {
    execFileSync('act', ['--version'], { stdio: 'pipe', env: actEnvironment() });
  } catch (error) {
    return `'act --version' failed (${String(error).split('\n')[0]})`;
  }
  return '';
}

const actProblem = findActProblem();

/**
 * describeWithDocker when act is installed, else `describe.skip` with the reason printed. With
 * GO_BUILDX_ACTION_REQUIRE_DOCKER=1 a missing act fails instead, like a missing Docker engine.
 */
function describeWithAct(name: string, body: () => void): void {
  if (!actProblem) {
    describeWithDocker(name, body);
    return;
  }
  if (process.env.GO_BUILDX_ACTION_REQUIRE_DOCKER === '1') {
    throw new Error(
      `End-to-end suite '${name}' cannot run: ${actProblem}. ` +
        'GO_BUILDX_ACTION_REQUIRE_DOCKER=1 turns this skip into a failure; run scripts/install-act.sh.',
    );
  }
  console.warn(`Skipping end-to-end suite '${name}': ${actProblem}. Run scripts/install-act.sh.`);
  describe.skip(name, body);
}

/** One `act` run of the example workflow. */
interface ActRun {
  exitCode: number | null;
  /** Everything act printed: standard output and standard error, interleaved. */
  log: string;
  /** File with the same text as `log`, left in the temporary directory after the test. */
  logFile: string;
  /** Wall time of the act process in seconds. */
  seconds: number;
  /** Action outputs as the workflow's print step wrote them. */
  outputs: Record<string, string>;
}

/**
 * Returns the log lines of one step, from act's "⭐ Run Main NAME" line up to the next step's.
 * `stage` is Main or Post (the action's post entry point).
 */
function stepLog(log: string, stage: 'Main' | 'Post', stepName: string): string {
  const lines = log.split('\n');
  const start = lines.findIndex((line) => line.endsWith(`⭐ Run ${stage} ${stepName}`));
  if (start === -1) return '';
  const length = lines.slice(start + 1).findIndex((line) => line.includes('⭐ Run '));
  return lines.slice(start, length === -1 ? undefined : start + 1 + length).join('\n');
}

/**
 * Returns act's lines that report a failed step or an error. Each failed step's line comes with
 * the line after it, which contains act's own error message (for example an action.yml parse
 * error).
 */
function findErrorLines(log: string): string[] {
  const lines = log.split('\n');
  const found: string[] = [];
  lines.forEach((line, index) => {
    if (line.includes('❌')) {
      found.push(line, lines[index + 1] ?? '');
    } else if (line.includes('::error::') || line.startsWith('Error: ')) {
      found.push(line);
    }
  });
  return found;
}

/** Parses the `name=value` lines that the print step writes. */
function parsePrintedOutputs(log: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const linePattern = /^\[[^\]]+\]\s+\| ([a-z-]+)=(.*)$/;
  for (const line of stepLog(log, 'Main', printStep).split('\n')) {
    const match = linePattern.exec(line);
    if (match) outputs[match[1]] = match[2];
  }
  return outputs;
}

/** Returns the BuildKit step that ran go build, from a step log with act's line prefixes. */
function goBuildStep(log: string): BuildStep {
  const buildKitLog = log
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]+\]\s+\|\s?/, ''))
    .join('\n');
  const step = parseBuildSteps(buildKitLog).find((candidate) =>
    / RUN .*go build/.test(candidate.name),
  );
  if (!step) throw new Error(`No go build step in this log:\n${log.slice(-3000)}`);
  return step;
}

/** Runs act with `args` from the project root, with its output going to `logFile`. */
function runAct(args: string[], logFile: string): Promise<ActRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // One file for both streams keeps their lines in the order act wrote them.
    const logFd = fs.openSync(logFile, 'w');
    const child = spawn('act', args, {
      cwd: projectRoot,
      env: actEnvironment(),
      stdio: ['ignore', logFd, logFd],
    });
    fs.closeSync(logFd);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const log = fs.readFileSync(logFile, 'utf8');
      resolve({
        exitCode,
        log,
        logFile,
        seconds: (Date.now() - started) / 1000,
        outputs: parsePrintedOutputs(log),
      });
    });
  });
}

describeWithAct('example workflow under act', () => {
  const work = makeTempDirectory('e2e-act-');
  const cacheServerPath = path.join(work, 'cache-server');
  const modCache = path.join(work, 'gomodcache');
  const buildCache = path.join(work, 'gocache');
  const runs: ActRun[] = [];

  // A push to the default branch, the one event on which the action saves caches by default.
  // act takes github.ref from the checkout's branch, so that branch is the default one here.
  const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], {
    cwd: projectRoot,
    encoding: 'utf8',
  }).trim();
  const eventFile = path.join(work, 'push-event.json');
  fs.writeFileSync(
    eventFile,
    JSON.stringify({ ref: `refs/heads/${branch}`, repository: { default_branch: branch } }),
  );

  /** Starts a run like a fresh runner: empty Go caches and no BuildKit build cache. */
  async function runFresh(runNumber: number): Promise<ActRun> {
    removeModuleCache(modCache);
    fs.rmSync(buildCache, { recursive: true, force: true });
    docker(['buildx', 'prune', '--all', '--force']);
    return runAct(
      [
        'push',
        '--workflows',
        workflowFile,
        '--eventpath',
        eventFile,
        '--platform',
        'ubuntu-latest=-self-hosted',
        '--cache-server-path',
        cacheServerPath,
        '--cache-server-addr',
        '127.0.0.1',
        // No artifact server starts without --artifact-server-path, but act still points
        // ACTIONS_RUNTIME_URL and ACTIONS_RESULTS_URL at this address. Its default is this
        // host's address on the default route, which is not loopback.
        '--artifact-server-addr',
        '127.0.0.1',
        // Folder for the job's workspace and RUNNER_TEMP, which act deletes after the job.
        '--action-cache-path',
        path.join(work, `runner-${runNumber}`),
        '--env',
        `GOMODCACHE=${modCache}`,
        '--env',
        `GOCACHE=${buildCache}`,
        // Distinct run ids give each run its own build cache key, as on GitHub.
        '--env',
        `GITHUB_RUN_ID=${runNumber}`,
      ],
      path.join(work, `run-${runNumber}.log`),
    );
  }

  // Both runs together took 18 to 26 s on a 2-core machine with act v0.2.89. The limit leaves
  // room for a slower or shared Docker engine.
  beforeAll(
    async () => {
      // Without this, an image left by an earlier test run could pass the image checks.
      if (docker(['image', 'ls', '--quiet', tag])) docker(['image', 'rm', tag]);
      runs.push(await runFresh(1));
      runs.push(await runFresh(2));
    },
    10 * 60 * 1000,
  );

  afterAll(() => {
    removeModuleCache(modCache);
  });

  test.each([1, 2])('run %i succeeds', (runNumber) => {
    const run = runs[runNumber - 1];
    expect(findErrorLines(run.log)).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain(`${jobPrefix} 🏁  Job succeeded`);
    expect(stepLog(run.log, 'Main', buildStep)).toContain('docker buildx build');
  });

  test('first run misses and saves', () => {
    const [first] = runs;
    expect(first.outputs['cache-hit']).toBe('false');
    const main = stepLog(first.log, 'Main', buildStep);
    expect(main).toMatch(/Go modules cache missed: .* \(actions backend; [^)]*\)\./);
    expect(main).toMatch(/go mod download added [1-9]\d* module archives/);
    const post = stepLog(first.log, 'Post', buildStep);
    // @actions/cache prints 'Cache saved successfully' only after a save that worked. A failed
    // save is only a log line there (saveCache returns -1), and the action's line follows anyway.
    expect(post).toContain('Cache saved successfully');
    expect(post).toMatch(/Go modules cache saved as go-buildx-gomod-/);
    expect(fs.readdirSync(cacheServerPath).length).toBeGreaterThan(0);
  });

  test('second run restores from cache server', () => {
    const second = runs[1];
    expect(second.outputs['cache-hit']).toBe('true');
    const main = stepLog(second.log, 'Main', buildStep);
    expect(main).toMatch(
      /Go modules cache restored from go-buildx-gomod-\S+ \(exact match, [\d.]+ s, actions backend\)\./,
    );
    expect(main).toContain('go mod download added 0 module archives');
    expect(stepLog(second.log, 'Post', buildStep)).toContain('restored from its exact key');
  });

  test('second run compiles from the restored build cache', () => {
    const [first, second] = runs.map((run) => goBuildStep(stepLog(run.log, 'Main', buildStep)));
    console.log(
      `go build step under act: fresh runner ${first.seconds} s, with restored caches ${second.seconds} s`,
    );
    // Both steps ran: BuildKit's layer cache was wiped before each run, so neither is CACHED.
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(false);
    expect(first.seconds).toBeGreaterThan(0);
    expect(second.seconds! * 4).toBeLessThan(first.seconds!);
    const main = stepLog(runs[1].log, 'Main', buildStep);
    expect(main).toMatch(
      /Go build cache restored from go-buildx-gobuild-docker-\S+ \(restore-key match, [\d.]+ s, actions backend\)\./,
    );
    expect(main).toMatch(
      /Go build cache mount \/root\/\.cache\/go-build \(id \/root\/\.cache\/go-build\) seeded with [1-9]/,
    );
  });

  test('image runs and prints greeting', () => {
    const output = execFileSync('docker', ['run', '--rm', tag], { encoding: 'utf8' });
    expect(output).toMatch(/^go2docker: hello from [0-9a-f-]{36}\n$/);
  });

  test('outputs match the image', () => {
    const second = runs[1];
    expect(second.outputs['image-id']).toBe(
      docker(['image', 'inspect', '--format', '{{.Id}}', tag]),
    );
    expect(second.outputs['image-size']).toBe(
      docker(['image', 'inspect', '--format', '{{.Size}}', tag]),
    );
    expect(second.outputs['image-size']).toBe(runs[0].outputs['image-size']);
    expect(second.outputs['go-version']).toMatch(/^go1\.\d+/);
  });
});
