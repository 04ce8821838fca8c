// Measures how long a one-line source change takes to rebuild examples/goapi into an image,
// with and without the Go caches that this action carries into the Docker build, and checks
// the action against two targets. Run it as `npm run bench` (which bundles dist/ first):
//
//   cold        BuildKit state wiped, empty Go caches: the action's first run.
//   restored    A fresh runner: empty BuildKit state and empty GOMODCACHE and GOCACHE, but the
//               caches that the cold run saved in the local cache directory. The action
//               restores them, seeds the Dockerfile's cache mounts, builds, and exports.
//   layer-only  BuildKit's layer cache kept but its cache mounts wiped, then a plain
//               `docker buildx build`: what a runner gets from a layer cache such as type=gha,
//               which does not carry cache mounts.
//   warm        Nothing wiped, a plain `docker buildx build`: a long-lived builder.
//   floor       `go build` on the host with warm GOMODCACHE and GOCACHE.
//
// Every rebuild follows a change of the Version constant in internal/buildinfo, made in a
// temporary copy of the project. Each scenario sets the builder state it needs right before it
// measures, because other jobs on the machine may prune the builder between scenarios.
//
// Options:
//   --quick         Measure only restored, layer-only and warm (the targets need these three),
//                   and fill the cache directory without wiping the builder first. Does not
//                   write docs/benchmarks.md unless --doc is given.
//   --runs N        Measure each rebuild scenario N times and report the median (default 3, or
//                   1 with --quick).
//   --no-targets    Print the targets' results but exit 0 when one fails.
//   --doc PATH      Write the results into PATH (default docs/benchmarks.md, without --quick).
//   --no-doc        Write no results file.
//   --keep-temp     Keep the temporary directory with the project copy and the caches.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAction } from './local-runner.mjs';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exampleName = 'goapi';
const versionFile = path.join('internal', 'buildinfo', 'buildinfo.go');
const versionPattern = /^const Version = "[^"]*"$/m;
const imageTag = 'goapi:bench';

/** Targets for the restored-caches rebuild, checked at the end of every run. */
const WARM_FACTOR_LIMIT = 2;
const TRANSFER_SECONDS_PER_100_MB = 1;
const LAYER_ONLY_SPEEDUP_MIN = 4;

/** The machine counts as quiet when at least this share of CPU time is idle. */
const QUIET_IDLE_SHARE = 0.8;
const QUIET_WAIT_LIMIT_MS = 3 * 60 * 1000;

const RESULTS_START = '<!-- bench-results:start -->';
const RESULTS_END = '<!-- bench-results:end -->';

function parseArguments(argv) {
  const options = { quick: false, runs: undefined, targets: true, doc: undefined, keepTemp: false };
  let docChoice;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === '--quick') options.quick = true;
    else if (argument === '--no-targets') options.targets = false;
    else if (argument === '--keep-temp') options.keepTemp = true;
    else if (argument === '--no-doc') docChoice = null;
    else if (argument === '--doc' || argument === '--runs') {
      const value = argv[++index];
      if (value === undefined) throw new Error(`Option ${argument} needs a value.`);
      if (argument === '--doc') docChoice = path.resolve(value);
      else {
        options.runs = Number(value);
        if (!Number.isInteger(options.runs) || options.runs < 1) {
          throw new Error(`Invalid --runs value '${value}': expected a whole number of 1 or more.`);
        }
      }
    } else {
      throw new Error(
        `Unknown option '${argument}'. Options: --quick, --runs N, --no-targets, --doc PATH, ` +
          '--no-doc, --keep-temp.',
      );
    }
  }
  options.runs ??= options.quick ? 1 : 3;
  if (docChoice === undefined) {
    options.doc = options.quick ? undefined : path.join(projectRoot, 'docs', 'benchmarks.md');
  } else {
    options.doc = docChoice ?? undefined;
  }
  return options;
}

/** Runs a command to completion; throws with its last output lines unless it exits 0. */
function run(command, args, { cwd, env, allowFailure = false } = {}) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd,
    env: env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.error) throw new Error(`${command} could not start: ${result.error.message}`);
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 && !allowFailure) {
    const tail = output.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `'${command} ${args.join(' ')}' failed with exit code ${result.status}:\n${tail}`,
    );
  }
  return { status: result.status, stdout: result.stdout, output, seconds };
}

/** Removes a directory tree, including Go's read-only module directories. */
function removeTree(directory) {
  if (!fs.existsSync(directory)) return;
  run('chmod', ['-R', 'u+w', directory]);
  fs.rmSync(directory, { recursive: true, force: true });
}

function log(message) {
  console.log(`bench: ${message}`);
}

/** Reads the share of CPU time spent idle over `milliseconds`, from /proc/stat. */
async function sampleIdleShare(milliseconds) {
  const read = () => {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const values = fields.slice(1).map(Number);
    // Fields 4 and 5 are idle and iowait.
    return { idle: values[3] + (values[4] ?? 0), total: values.reduce((a, b) => a + b, 0) };
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
  const after = read();
  const total = after.total - before.total;
  return total > 0 ? (after.idle - before.idle) / total : 1;
}

/**
 * Waits until other processes leave the CPUs mostly idle, for at most three minutes, and
 * returns the CPU share in use when the measurement starts.
 */
async function waitForQuietMachine() {
  const deadline = Date.now() + QUIET_WAIT_LIMIT_MS;
  let idle = await sampleIdleShare(1000);
  let announced = false;
  while (idle < QUIET_IDLE_SHARE && Date.now() < deadline) {
    if (!announced) {
      log(`waiting for a quiet machine: ${Math.round((1 - idle) * 100)}% of CPU time in use`);
      announced = true;
    }
    idle = await sampleIdleShare(2000);
  }
  if (idle < QUIET_IDLE_SHARE) {
    log(
      `WARNING: the machine is still busy (${Math.round((1 - idle) * 100)}% of CPU time in ` +
        'use); this measurement may be slower than it would be on an idle machine',
    );
  }
  return 1 - idle;
}

/** Rewrites the Version constant, which changes the source of three packages. */
function changeSource(projectDirectory, version) {
  const file = path.join(projectDirectory, versionFile);
  const text = fs.readFileSync(file, 'utf8');
  if (!versionPattern.test(text)) {
    throw new Error(`${file} has no line matching ${versionPattern}; update bench.mjs to match.`);
  }
  fs.writeFileSync(file, text.replace(versionPattern, `const Version = "${version}"`));
}

/** Splits BuildKit's plain progress output into steps: name, whether cached, seconds. */
function parseBuildSteps(output) {
  const steps = new Map();
  for (const line of output.split('\n')) {
    const named = /^#(\d+) \[([^\]]+)\] (.*)$/.exec(line);
    if (named) {
      const step = steps.get(named[1]) ?? { cached: false, seconds: undefined };
      step.name = `${named[2]} ${named[3]}`;
      steps.set(named[1], step);
      continue;
    }
    const finished = /^#(\d+) (CACHED|DONE ([\d.]+)s)$/.exec(line.trim());
    if (finished && steps.has(finished[1])) {
      const step = steps.get(finished[1]);
      if (finished[2] === 'CACHED') step.cached = true;
      else step.seconds = Number(finished[3]);
    }
  }
  return [...steps.values()].filter((step) => step.name);
}

function findStep(steps, text) {
  return steps.find((step) => step.name.includes(text));
}

/** Runs a plain `docker buildx build` of the project, as a runner without this action does. */
function plainBuild(work, logName) {
  const projectDirectory = work.project;
  const result = run(
    'docker',
    ['buildx', 'build', '--progress', 'plain', '--load', '--tag', imageTag, projectDirectory],
    { allowFailure: true },
  );
  if (result.status !== 0) {
    const tail = result.output.trim().split('\n').slice(-15).join('\n');
    throw new Error(`docker buildx build failed with exit code ${result.status}:\n${tail}`);
  }
  saveLog(work, logName, result.output);
  const steps = parseBuildSteps(result.output);
  return {
    seconds: result.seconds,
    compileSeconds: findStep(steps, 'go build')?.seconds,
    moduleLayerCached: findStep(steps, 'go mod download')?.cached ?? false,
  };
}

function pruneBuilder(filter) {
  const args = ['buildx', 'prune', '--all', '--force'];
  if (filter) args.push('--filter', filter);
  run('docker', args);
}

/**
 * Parses the seed and export lines of the main step into seconds and megabytes. The seeds run
 * in the background while the runner prepares modules, so they cost the rebuild only the wait
 * that the action logs before the build. seedBuildSeconds is the longest seed build.
 */
function parseTransfers(stdout) {
  const totals = {
    seedSeconds: 0,
    seedBuildSeconds: 0,
    seedMegabytes: 0,
    exportSeconds: 0,
    exportMegabytes: 0,
  };
  const problems = [];
  for (const match of stdout.matchAll(/seeded with ([\d.]+) MB in ([\d.]+) s\b/g)) {
    totals.seedMegabytes += Number(match[1]);
    totals.seedBuildSeconds = Math.max(totals.seedBuildSeconds, Number(match[2]));
  }
  const wait = /Waited ([\d.]+) s for the cache mount seeds to finish\./.exec(stdout);
  if (wait) totals.seedSeconds = Number(wait[1]);
  for (const match of stdout.matchAll(/exported: ([\d.]+) MB copied out in ([\d.]+) s/g)) {
    totals.exportMegabytes += Number(match[1]);
    totals.exportSeconds += Number(match[2]);
  }
  for (const match of stdout.matchAll(/^.*was not (seeded|exported): .*$/gm)) {
    problems.push(match[0].replace(/^::warning::/, ''));
  }
  return { ...totals, problems };
}

/**
 * Runs the post step of an action run made with skipPost, the way scripts/local-runner.mjs
 * runs it, and returns its output and seconds. Running it separately lets the bench time the
 * main step alone.
 */
async function runPostStep(actionRun, env) {
  const postEnv = { ...process.env };
  for (const name of Object.keys(postEnv)) {
    if (name.startsWith('INPUT_') || name.startsWith('STATE_')) delete postEnv[name];
  }
  Object.assign(postEnv, {
    GITHUB_OUTPUT: path.join(actionRun.runDirectory, 'output'),
    GITHUB_STATE: path.join(actionRun.runDirectory, 'state'),
    GITHUB_STEP_SUMMARY: path.join(actionRun.runDirectory, 'summary.md'),
    RUNNER_TEMP: actionRun.runDirectory,
  });
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete postEnv[name];
    else postEnv[name] = value;
  }
  for (const [name, value] of Object.entries(actionRun.state)) postEnv[`STATE_${name}`] = value;
  const started = performance.now();
  const result = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'dist/post/index.js')], {
      env: postEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, output }));
  });
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

/** Creates the project copy, and names the isolated Go caches and cache directory of one run. */
function createWorkspace() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'go-buildx-bench-'));
  const workspace = path.join(root, 'workspace');
  const project = path.join(workspace, exampleName);
  fs.cpSync(path.join(projectRoot, 'examples', exampleName), project, { recursive: true });
  const goCache = path.join(root, 'runner', 'gocache');
  return {
    root,
    workspace,
    project,
    store: path.join(root, 'cache-store'),
    runnerDirectories: [
      path.join(root, 'runner', 'gomodcache'),
      goCache,
      // The action keeps the Docker build's Go cache next to GOCACHE (dockerBuildCacheDirectory).
      `${goCache}-docker`,
    ],
    env: {
      GITHUB_WORKSPACE: workspace,
      GOMODCACHE: path.join(root, 'runner', 'gomodcache'),
      GOCACHE: goCache,
      // Unset, so that the action uses the local cache directory even inside a GitHub job.
      ACTIONS_CACHE_URL: undefined,
      ACTIONS_RESULTS_URL: undefined,
    },
    floorEnv: {
      ...process.env,
      GOMODCACHE: path.join(root, 'floor', 'gomodcache'),
      GOCACHE: path.join(root, 'floor', 'gocache'),
      CGO_ENABLED: '0',
    },
  };
}

let logCounter = 0;

/** Keeps a step's output in the temporary directory, for --keep-temp. */
function saveLog(work, name, text) {
  const directory = path.join(work.root, 'logs');
  fs.mkdirSync(directory, { recursive: true });
  logCounter++;
  fs.writeFileSync(
    path.join(directory, `${String(logCounter).padStart(2, '0')}-${name}.log`),
    text,
  );
}

/** Removes the runner-side Go caches, as on a fresh runner. The cache directory stays. */
function wipeRunner(work) {
  for (const directory of work.runnerDirectories) removeTree(directory);
}

/**
 * Runs the action's main step and returns its timings. The post step, which saves the caches,
 * runs only when `save` is set.
 */
async function runActionOnce(work, { save, logName }) {
  const inputs = {
    'working-directory': exampleName,
    tags: imageTag,
    'local-cache-dir': work.store,
    'cache-save': 'always',
  };
  const started = performance.now();
  const actionRun = await runAction({ inputs, env: work.env, skipPost: true });
  const mainSeconds = (performance.now() - started) / 1000;
  saveLog(work, `${logName}-main`, actionRun.main.stdout + actionRun.main.stderr);
  if (actionRun.main.exitCode !== 0) {
    const tail = actionRun.main.stdout.trim().split('\n').slice(-25).join('\n');
    throw new Error(`The action's main step failed:\n${tail}`);
  }
  let postSeconds;
  if (save) {
    const post = await runPostStep(actionRun, work.env);
    saveLog(work, `${logName}-post`, post.output);
    if (post.exitCode !== 0 || /::warning::/.test(post.output)) {
      throw new Error(`The action's post step failed or warned:\n${post.output.trim()}`);
    }
    postSeconds = post.seconds;
  }
  const transfers = parseTransfers(actionRun.main.stdout);
  const compile = /Go compile steps inside the build took ([\d.]+) s\./.exec(actionRun.main.stdout);
  return {
    seconds: Number(actionRun.outputs['build-seconds']),
    compileSeconds: compile ? Number(compile[1]) : undefined,
    mainSeconds,
    postSeconds,
    ...transfers,
  };
}

let versionCounter = 0;
const versionNonce = Date.now().toString(36);

/** Makes a one-line change no earlier run of this script has built, so no cache can skip it. */
function nextChange(work) {
  versionCounter++;
  changeSource(work.project, `0.3.0-bench.${versionNonce}.${versionCounter}`);
}

/**
 * Measures a plain-build scenario up to twice: when the module download layer was not cached,
 * something pruned the builder between priming and measuring, and the measurement is repeated.
 */
async function measurePlain(work, name, prepare) {
  for (let attempt = 1; ; attempt++) {
    prepare();
    nextChange(work);
    const cpuInUse = await waitForQuietMachine();
    const result = plainBuild(work, name);
    if (result.moduleLayerCached || attempt === 2) {
      if (!result.moduleLayerCached) {
        log(`WARNING: ${name}: the builder lost its layer cache during the measurement again`);
      }
      return { ...result, cpuInUse };
    }
    log(`${name}: the builder lost its layer cache during the measurement; measuring again`);
  }
}

/** Builds the current source, so that the next build differs from the builder's state by one line. */
function primeBuilder(work) {
  plainBuild(work, 'prime');
}

const scenarios = {
  async cold(work) {
    wipeRunner(work);
    removeTree(work.store);
    nextChange(work);
    pruneBuilder();
    const cpuInUse = await waitForQuietMachine();
    return { ...(await runActionOnce(work, { save: true, logName: 'cold' })), cpuInUse };
  },

  /** Fills the cache directory without wiping the builder first (--quick). Not measured. */
  async fillCacheDirectory(work) {
    wipeRunner(work);
    removeTree(work.store);
    nextChange(work);
    return runActionOnce(work, { save: true, logName: 'fill' });
  },

  async restored(work) {
    wipeRunner(work);
    nextChange(work);
    pruneBuilder();
    const cpuInUse = await waitForQuietMachine();
    return { ...(await runActionOnce(work, { save: false, logName: 'restored' })), cpuInUse };
  },

  async layerOnly(work) {
    return measurePlain(work, 'layer-only', () => {
      primeBuilder(work);
      pruneBuilder('type=exec.cachemount');
    });
  },

  async warm(work) {
    return measurePlain(work, 'warm', () => primeBuilder(work));
  },

  async floor(work) {
    const output = path.join(work.root, 'floor', 'goapi');
    const goBuild = () =>
      run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', output, '.'], {
        cwd: work.project,
        env: work.floorEnv,
      });
    goBuild();
    nextChange(work);
    const cpuInUse = await waitForQuietMachine();
    return { seconds: goBuild().seconds, cpuInUse };
  },
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Returns the seconds a scenario's rebuild cost: the build, plus seed wait and export if any. */
function rebuildCost(result) {
  return result.seconds + (result.seedSeconds ?? 0) + (result.exportSeconds ?? 0);
}

/** Combines repeated measurements into one: the run with the median rebuild cost. */
function pickMedianRun(runs) {
  const middle = median(runs.map(rebuildCost));
  const chosen = runs.reduce((best, result) =>
    Math.abs(rebuildCost(result) - middle) < Math.abs(rebuildCost(best) - middle) ? result : best,
  );
  return { ...chosen, allSeconds: runs.map(rebuildCost) };
}

function versionOf(command, args) {
  const result = run(command, args, { allowFailure: true });
  return result.status === 0 ? result.stdout.trim().split('\n')[0] : 'unknown';
}

function describeMachine() {
  const builder = run('docker', ['buildx', 'inspect'], { allowFailure: true }).output;
  const gitHead = versionOf('git', ['-C', projectRoot, 'rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['-C', projectRoot, 'status', '--porcelain', '--', 'src'], {
    allowFailure: true,
  }).stdout.trim();
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    memoryGiB: (os.totalmem() / 1024 ** 3).toFixed(1),
    kernel: os.release(),
    docker: versionOf('docker', ['version', '--format', '{{.Server.Version}}']),
    buildx: versionOf('docker', ['buildx', 'version']),
    builder: [
      /^Driver:\s*(.*)$/m.exec(builder)?.[1] ?? 'unknown',
      /^BuildKit version:\s*(.*)$/m.exec(builder)?.[1] ?? 'unknown',
    ],
    go: versionOf('go', ['version']),
    node: process.version,
    revision: dirty ? `${gitHead} with uncommitted changes in src/` : gitHead,
  };
}

const seconds = (value) => (value === undefined ? '–' : value.toFixed(1));
const megabytes = (value) => (value === undefined ? '–' : value.toFixed(0));

/** Builds the Markdown table of all measured scenarios. */
function formatTable(results) {
  const warm = results.warm?.seconds;
  const rows = [
    ['cold', 'BuildKit wiped, empty caches; action, first run'],
    ['restored', 'fresh runner, caches restored by this action'],
    ['layerOnly', 'fresh runner, layer cache only (mounts wiped)'],
    ['warm', 'warm builder, plain docker buildx build'],
    ['floor', 'go build on the host, warm GOMODCACHE/GOCACHE'],
  ];
  const lines = [
    '| Scenario | Build s | go build step s | Seed wait s (MB) | Seed build s | Export s (MB) | Main step s | × warm build |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [key, label] of rows) {
    const result = results[key];
    if (!result) continue;
    const transfer = (secondsValue, megabytesValue) =>
      secondsValue === undefined ? '–' : `${seconds(secondsValue)} (${megabytes(megabytesValue)})`;
    const ratio = warm ? `${(result.seconds / warm).toFixed(1)}×` : '–';
    lines.push(
      `| ${label} | ${seconds(result.seconds)} | ${seconds(result.compileSeconds)} | ` +
        `${transfer(result.seedSeconds, result.seedMegabytes)} | ${seconds(result.seedBuildSeconds)} | ` +
        `${transfer(result.exportSeconds, result.exportMegabytes)} | ` +
        `${seconds(result.mainSeconds)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

/** Checks the two targets of the restored-caches rebuild. */
function checkTargets(results) {
  const restored = results.restored;
  const cost = rebuildCost(restored);
  const transferredMegabytes = restored.seedMegabytes + restored.exportMegabytes;
  const allowance =
    WARM_FACTOR_LIMIT * results.warm.seconds +
    (TRANSFER_SECONDS_PER_100_MB * transferredMegabytes) / 100;
  const speedup = results.layerOnly.seconds / cost;
  const transferProblems = restored.problems.length > 0;
  return [
    {
      name: `restored rebuild within ${WARM_FACTOR_LIMIT}× warm + ${TRANSFER_SECONDS_PER_100_MB} s per 100 MB moved`,
      pass: !transferProblems && cost <= allowance,
      detail:
        `build + seed wait + export = ${seconds(restored.seconds)} + ${seconds(restored.seedSeconds)} + ` +
        `${seconds(restored.exportSeconds)} = ${seconds(cost)} s; allowed ` +
        `${WARM_FACTOR_LIMIT} × ${seconds(results.warm.seconds)} + ` +
        `${megabytes(transferredMegabytes)} MB / 100 = ${seconds(allowance)} s` +
        (transferProblems ? `; transfer problems: ${restored.problems.join(' ')}` : ''),
    },
    {
      name: `restored rebuild at least ${LAYER_ONLY_SPEEDUP_MIN}× faster than layer-cache-only`,
      pass: !transferProblems && speedup >= LAYER_ONLY_SPEEDUP_MIN,
      detail: `${seconds(results.layerOnly.seconds)} s / ${seconds(cost)} s = ${speedup.toFixed(1)}×`,
    },
  ];
}

function formatReport(options, machine, results, targets, command, started) {
  const runsNote =
    options.runs > 1
      ? `Each rebuild scenario ran ${options.runs} times; the table shows the run with the ` +
        'median rebuild cost (build, plus seed wait and export for the action). All costs: ' +
        Object.entries(results)
          .filter(([, result]) => result.allSeconds)
          .map(([key, result]) => `${key} ${result.allSeconds.map(seconds).join(', ')}`)
          .join('; ') +
        '.'
      : 'Each scenario ran once.';
  const busiest = Math.max(...Object.values(results).map((result) => result.cpuInUse ?? 0));
  return [
    `Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${command}\` ` +
      `at revision ${machine.revision}.`,
    '',
    `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB memory, ` +
      `Linux ${machine.kernel}`,
    `- Docker Engine ${machine.docker}, ${machine.buildx}, builder driver ${machine.builder[0]} ` +
      `with BuildKit ${machine.builder[1]}`,
    `- ${machine.go} on the host and in golang:1.26; Node.js ${machine.node}`,
    `- Most CPU in use by other processes when a measurement started: ` +
      `${Math.round(busiest * 100)}%`,
    '',
    formatTable(results),
    '',
    runsNote,
    '',
    ...targets.map(
      (target) => `- **${target.pass ? 'PASS' : 'FAIL'}** ${target.name}: ${target.detail}.`,
    ),
  ].join('\n');
}

/** Replaces the results section of the benchmark page, or creates the page. */
function writeDoc(file, report) {
  const section = `${RESULTS_START}\n${report}\n${RESULTS_END}`;
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start >= 0 && end > start) {
    text = text.slice(0, start) + section + text.slice(end + RESULTS_END.length);
  } else {
    text = `${text || '# Benchmarks\n'}\n## Results\n\n${section}\n`;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--'] : [])]
    .concat(process.argv.slice(2))
    .join(' ');
  const started = new Date();
  const machine = describeMachine();
  const work = createWorkspace();
  log(`project copy and caches in ${work.root}`);

  const results = {};
  const measure = async (key, label, runs = options.runs) => {
    const measured = [];
    for (let index = 0; index < runs; index++) {
      log(`${label}${runs > 1 ? ` (run ${index + 1} of ${runs})` : ''}`);
      const result = await scenarios[key](work);
      log(`${label}: build ${seconds(result.seconds)} s`);
      measured.push(result);
    }
    results[key] = runs > 1 ? pickMedianRun(measured) : measured[0];
  };

  try {
    if (options.quick) {
      log('filling the cache directory with a first action run (not measured)');
      await scenarios.fillCacheDirectory(work);
    } else {
      await measure('cold', 'cold: BuildKit wiped, empty caches', 1);
    }
    await measure('restored', 'restored: fresh runner, caches restored by the action');
    await measure('layerOnly', 'layer-only: cache mounts wiped, layer cache kept');
    await measure('warm', 'warm: nothing wiped');
    if (!options.quick) await measure('floor', 'floor: go build on the host');
  } finally {
    if (options.keepTemp) log(`kept ${work.root}`);
    else removeTree(work.root);
  }

  const targets = checkTargets(results);
  const report = formatReport(options, machine, results, targets, command, started);
  console.log(`\n${report}\n`);
  if (options.doc) {
    writeDoc(options.doc, report);
    log(`results written to ${path.relative(projectRoot, options.doc)}`);
  }
  const failed = targets.filter((target) => !target.pass);
  if (failed.length > 0 && options.targets) {
    console.error(
      `bench: ${failed.length} target(s) failed; run with --no-targets to report without failing`,
    );
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
