import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import {
  ACTION_RUN_TIMEOUT_MS,
  copyExample,
  describeWithDocker,
  docker,
  makeTempDirectory,
  removeModuleCache,
} from './support.js';

// Runs the action on examples/go2docker against a private Docker daemon and stops that daemon
// while Go compiles inside the build, once with SIGKILL (a crash or the OOM killer) and once with
// SIGTERM (`systemctl stop docker`). The shared engine at /var/run/docker.sock only supplies the
// golang:1.26 base image through `docker save`.
//
// The private dockerd listens only on a unix socket in a temporary directory and keeps its
// data, exec root and pid file there. It runs in a network namespace of its own (`unshare
// --net`), with --iptables=false, --ip-masq=false and --ip-forward=false. It cannot run with
// --bridge=none, because the BuildKit of dockerd 20.10 runs every RUN on the network named
// "bridge" and fails with "network bridge not found" without it. The daemon's docker0 bridge
// exists only in the private namespace, so the host's network stays as it was. That namespace
// has no route out, and the build needs none: the action seeds the module cache mount, so
// `go mod download` in the Dockerfile finds every module.

/** Base image of examples/go2docker, copied from the shared engine into the private one. */
const BASE_IMAGE = 'golang:1.26';

/** Time limit for the private daemon to respond to `docker version` after it starts. */
const DAEMON_START_TIMEOUT_MS = 60_000;

/**
 * Maximum time of the rest of the run (main and post) after the daemon is stopped, in seconds.
 * This test measured under 2 s on a 2-core machine, because Buildx's connection closes with the
 * daemon and the cache export that follows fails to connect at once. The rest is room for a
 * loaded machine.
 */
const AFTER_STOP_LIMIT_S = 60;

/** After this long the test ends a run that hangs, so that it fails instead of timing out. */
const HANG_LIMIT_MS = 180_000;

/** How often the test reads /proc while it waits for the Go compiler. */
const POLL_INTERVAL_MS = 100;

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Returns the full path of `name` on PATH, or '' when it is not there. */
function findOnPath(name: string): string {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(directory, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return '';
}

/** Returns why this machine cannot run a private dockerd, or '' when it can. */
function findPrivateDaemonProblem(): string {
  if (process.getuid?.() !== 0) return 'a private dockerd needs root';
  for (const tool of ['dockerd', 'unshare', 'umount']) {
    if (!findOnPath(tool)) return `${tool} was not found on PATH`;
  }
  return '';
}

/** `describeWithDocker`, and also skipped or failed when a private dockerd cannot start. */
function describeWithPrivateDaemon(name: string, body: () => void): void {
  const problem = findPrivateDaemonProblem();
  if (!problem) {
    describeWithDocker(name, body);
    return;
  }
  if (process.env.GO_BUILDX_ACTION_REQUIRE_DOCKER === '1') {
    throw new Error(
      `End-to-end suite '${name}' cannot run: ${problem}. ` +
        'GO_BUILDX_ACTION_REQUIRE_DOCKER=1 turns this skip into a failure; run the tests as root ' +
        'with Docker Engine (dockerd) and util-linux (unshare, umount) installed.',
    );
  }
  console.warn(`Skipping end-to-end suite '${name}': ${problem}.`);
  describe.skip(name, body);
}

/** One process from /proc: its parent, its start time (to tell a reused pid) and its argv. */
interface ProcessInfo {
  pid: number;
  parentPid: number;
  startTime: string;
  argv: string[];
}

/** Reads one process from /proc, or returns undefined when it has exited. */
function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in brackets may contain spaces, so the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    return { pid, parentPid: Number(fields[1]), startTime: fields[19], argv };
  } catch {
    return undefined;
  }
}

/** Reads every process from /proc. */
function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcess(Number(name));
    if (info) processes.push(info);
  }
  return processes;
}

/** Returns the processes whose chain of parents reaches one of `roots`, the roots excluded. */
function findDescendants(processes: ProcessInfo[], roots: Set<number>): ProcessInfo[] {
  const byPid = new Map(processes.map((info) => [info.pid, info]));
  return processes.filter((info) => {
    for (let pid = info.parentPid, depth = 0; pid > 1 && depth < 100; depth++) {
      if (roots.has(pid)) return true;
      pid = byPid.get(pid)?.parentPid ?? 0;
    }
    return false;
  });
}

/** Returns whether `info` is Go's compiler, which `go build` runs once per package. */
function isGoCompiler(info: ProcessInfo): boolean {
  const program = info.argv[0] ?? '';
  return path.basename(program) === 'compile' && program.includes('/pkg/tool/');
}

/**
 * A dockerd started by this test. It records every process that descends from it, because
 * the build's processes outlive a stopped daemon: runc and the Go compiler go on running as
 * orphans, and they must be ended by their pids.
 */
class PrivateDaemon {
  readonly socket: string;
  readonly host: string;
  readonly dataRoot: string;
  readonly logFile: string;
  /** Processes seen below the daemon, by pid, with the start time that identifies each. */
  private readonly tracked = new Map<number, string>();
  private child: ChildProcess | undefined;

  constructor(readonly root: string) {
    this.socket = path.join(root, 'docker.sock');
    this.host = `unix://${this.socket}`;
    this.dataRoot = path.join(root, 'data');
    this.logFile = path.join(root, 'dockerd.log');
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Starts dockerd and waits until it responds to `docker version`. */
  async start(): Promise<void> {
    const execRoot = path.join(this.root, 'exec');
    fs.mkdirSync(this.dataRoot, { recursive: true });
    fs.mkdirSync(execRoot, { recursive: true });
    const logFd = fs.openSync(this.logFile, 'a');
    // unshare executes dockerd in place, so the child's pid is the daemon's.
    this.child = spawn(
      'unshare',
      [
        '--net',
        'dockerd',
        '--host',
        this.host,
        '--data-root',
        this.dataRoot,
        '--exec-root',
        execRoot,
        '--pidfile',
        path.join(this.root, 'docker.pid'),
        '--iptables=false',
        '--ip-masq=false',
        '--ip-forward=false',
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    fs.closeSync(logFd);
    const started = Date.now();
    let problem = '';
    while (Date.now() - started < DAEMON_START_TIMEOUT_MS) {
      if (!this.isRunning()) {
        problem = `dockerd exited with ${this.child.signalCode ?? `code ${this.child.exitCode}`}`;
        break;
      }
      try {
        this.docker(['version', '--format', '{{.Server.Version}}']);
        this.trackDescendants();
        return;
      } catch (error) {
        problem = String(error).split('\n')[0];
      }
      await sleep(250);
    }
    throw new Error(
      `The private dockerd at ${this.host} did not start within ${DAEMON_START_TIMEOUT_MS} ms: ` +
        `${problem}. Last lines of ${this.logFile}:\n${this.logTail(20)}`,
    );
  }

  /** Runs docker against this daemon and returns its trimmed standard output. */
  docker(args: string[]): string {
    return execFileSync('docker', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: this.host },
    }).trim();
  }

  /** Copies `image` from the shared engine, through a tar file in the daemon's directory. */
  loadImage(image: string): void {
    const archive = path.join(this.root, 'image.tar');
    docker(['save', '--output', archive, image]);
    this.docker(['load', '--input', archive]);
    fs.rmSync(archive);
  }

  isRunning(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Records the daemon's current descendants and returns them. */
  trackDescendants(): ProcessInfo[] {
    const processes = listProcesses();
    // A recorded pid counts only while its start time matches, because pids are reused.
    const roots = new Set(
      processes
        .filter((info) => this.tracked.get(info.pid) === info.startTime)
        .map((info) => info.pid),
    );
    if (this.isRunning()) roots.add(this.pid);
    const descendants = findDescendants(processes, roots);
    for (const info of descendants) this.tracked.set(info.pid, info.startTime);
    return descendants;
  }

  /**
   * Polls the daemon's descendants until one matches `predicate` and returns it, or returns
   * undefined once `stopWaiting` returns true.
   */
  async waitForProcess(
    predicate: (info: ProcessInfo) => boolean,
    stopWaiting: () => boolean,
  ): Promise<ProcessInfo | undefined> {
    while (!stopWaiting()) {
      const match = this.trackDescendants().find(predicate);
      if (match) return match;
      await sleep(POLL_INTERVAL_MS);
    }
    return undefined;
  }

  /** Sends `signal` to dockerd alone, as an operator or the kernel would. */
  signal(signal: NodeJS.Signals): void {
    this.trackDescendants();
    process.kill(this.pid, signal);
  }

  /**
   * Ends dockerd and every process recorded below it, unmounts what the daemon left mounted
   * under its directory, and removes the directory. Throws when a process or a mount remains.
   */
  async remove(): Promise<void> {
    if (this.isRunning()) {
      process.kill(this.pid, 'SIGTERM');
      const deadline = Date.now() + 30_000;
      while (this.isRunning() && Date.now() < deadline) await sleep(250);
      if (this.isRunning()) process.kill(this.pid, 'SIGKILL');
    }
    let remaining: number[] = [];
    for (let round = 0; round < 20; round++) {
      // A surviving process may still start children, such as `go build` starting a compiler.
      this.trackDescendants();
      remaining = [...this.tracked]
        .filter(([pid, startTime]) => readProcess(pid)?.startTime === startTime)
        .map(([pid]) => pid);
      if (remaining.length === 0) break;
      for (const pid of remaining) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // It exited after the check.
        }
      }
      await sleep(250);
    }

    // Mounts made later are listed later, so they are unmounted first. A lazy unmount
    // detaches a mount even while it is busy.
    for (const mountPoint of this.listMounts().reverse()) {
      try {
        execFileSync('umount', ['--lazy', mountPoint], { stdio: 'pipe' });
      } catch {
        // Detached with its parent already; the check below finds any that remain.
      }
    }
    const mounted = this.listMounts();
    if (remaining.length > 0 || mounted.length > 0) {
      // Removing the directory could reach through a mount that is still there.
      throw new Error(
        `The private dockerd left processes (${remaining.join(', ') || 'none'}) or mounts ` +
          `(${mounted.join(', ') || 'none'}) behind; ${this.root} was left in place.`,
      );
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** Returns the mount points under the daemon's directory, in the order they were made. */
  private listMounts(): string[] {
    return fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((mountPoint) => mountPoint.startsWith(`${this.root}/`));
  }

  logTail(count: number): string {
    if (!fs.existsSync(this.logFile)) return '(no log)';
    return fs.readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-count).join('\n');
  }
}

/** SIGKILLs the node processes of this test that run `script`, with all their descendants. */
function killActionSteps(script: string): void {
  const processes = listProcesses();
  const steps = processes.filter(
    (info) => info.parentPid === process.pid && info.argv.some((arg) => arg.endsWith(script)),
  );
  const roots = new Set(steps.map((info) => info.pid));
  for (const info of [...steps, ...findDescendants(processes, roots)]) {
    try {
      process.kill(info.pid, 'SIGKILL');
    } catch {
      // It has exited.
    }
  }
}

/** Decodes the `%`-escapes of a workflow command's message (`%0A` is a newline). */
function decodeCommandMessage(message: string): string {
  return message.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/** Returns the decoded messages of the `::<command>::` lines of a step's output. */
function commandMessages(output: string, command: 'error' | 'warning'): string[] {
  const prefix = `::${command}::`;
  return output
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => decodeCommandMessage(line.slice(prefix.length)));
}

/** Finds the build step that runs `go build` in BuildKit's plain progress output. */
function findCompileStep(output: string): { id: string; line: string } | undefined {
  const match = /^#(\d+) \[build \d+\/\d+\] RUN .*go build .*$/m.exec(output);
  return match ? { id: match[1], line: match[0] } : undefined;
}

/** The result of one run whose daemon was stopped during the compile. */
interface StoppedRun {
  run: ActionRun;
  /** The Go compiler process seen below the private daemon, if the build got that far. */
  compiler?: ProcessInfo;
  /** Seconds from the daemon's signal to the end of the post step. */
  secondsAfterStop: number;
  /** Whether the test had to end the run after HANG_LIMIT_MS. */
  hung: boolean;
}

const signals: NodeJS.Signals[] = ['SIGKILL', 'SIGTERM'];

describeWithPrivateDaemon('dockerd stopped mid-run', () => {
  describe.each(signals)('dockerd ended by %s', (signal) => {
    let work = '';
    let project = '';
    let daemon: PrivateDaemon | undefined;
    let result: StoppedRun | undefined;

    /** Environment of a stand-in runner whose Go caches live below `work`. */
    function runnerEnv(): Record<string, string> {
      return {
        GITHUB_WORKSPACE: path.dirname(project),
        GOMODCACHE: path.join(work, 'gomodcache'),
        GOCACHE: path.join(work, 'gocache'),
      };
    }

    beforeAll(async () => {
      work = makeTempDirectory(`e2e-dockerd-${signal.toLowerCase()}-`);
      project = copyExample('go2docker');
      if (!docker(['image', 'ls', '--quiet', BASE_IMAGE])) {
        throw new Error(
          `The shared Docker engine has no ${BASE_IMAGE} image to copy into the private ` +
            'daemon. Build it with scripts/build-base-images.sh.',
        );
      }
      daemon = new PrivateDaemon(makeTempDirectory('dockerd-'));
      await daemon.start();
      daemon.loadImage(BASE_IMAGE);

      let runEnded = false;
      const startedAt = Date.now();
      const pending = runAction({
        inputs: {
          'working-directory': 'go2docker',
          tags: 'go2docker:dockerd-stopped',
          'local-cache-dir': path.join(work, 'store'),
        },
        env: { ...runnerEnv(), DOCKER_HOST: daemon.host },
      }).finally(() => {
        runEnded = true;
      });

      // runAction returns the output only when the run has ended, so the test watches the
      // private daemon's processes instead. Seeing Go's compiler there also shows that Buildx
      // built on this daemon and not on the shared one.
      const compiler = await daemon.waitForProcess(isGoCompiler, () => runEnded);
      const stoppedAt = Date.now();
      if (compiler) daemon.signal(signal);

      let hung = false;
      let killer: NodeJS.Timeout | undefined;
      const hangTimer = setTimeout(() => {
        hung = true;
        killer = setInterval(() => {
          killActionSteps('dist/main/index.js');
          killActionSteps('dist/post/index.js');
        }, 1000);
      }, HANG_LIMIT_MS);
      const run = await pending.finally(() => {
        clearTimeout(hangTimer);
        clearInterval(killer);
      });
      result = { run, compiler, secondsAfterStop: (Date.now() - stoppedAt) / 1000, hung };
      const timings = {
        compilerSeenSeconds: compiler ? (stoppedAt - startedAt) / 1000 : null,
        secondsAfterStop: result.secondsAfterStop,
        hung,
      };
      fs.writeFileSync(path.join(work, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
      fs.writeFileSync(path.join(work, 'main.log'), run.main.stdout + run.main.stderr);
      fs.writeFileSync(
        path.join(work, 'post.log'),
        (run.post?.stdout ?? '') + (run.post?.stderr ?? ''),
      );
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(async () => {
      try {
        await daemon?.remove();
      } finally {
        // The work directory stays, with main.log and post.log, for a look after a failure.
        if (work) removeModuleCache(runnerEnv().GOMODCACHE);
        if (project) fs.rmSync(path.dirname(project), { recursive: true, force: true });
        if (result) fs.rmSync(result.run.runDirectory, { recursive: true, force: true });
      }
    });

    function stoppedRun(): StoppedRun {
      if (!result) throw new Error('the run did not happen; see the beforeAll failure');
      return result;
    }

    test('build ran on private daemon', () => {
      const { run, compiler } = stoppedRun();
      expect(run.main.stdout).toContain(', builder driver docker.');
      expect(compiler?.argv[0]).toMatch(/\/pkg\/tool\/[^/]+\/compile$/);
    });

    test('stopped during the compile step', () => {
      const output = stoppedRun().run.main.stdout;
      const step = findCompileStep(output);
      expect(step?.line).toContain('CGO_ENABLED=0 go build -trimpath');
      expect(output).not.toMatch(new RegExp(`^#${step?.id} DONE`, 'm'));
    });

    test('main step fails with build error', () => {
      const { run } = stoppedRun();
      expect(run.main.exitCode).toBe(1);
      const errors = commandMessages(run.main.stdout, 'error');
      expect(errors).toHaveLength(1);
      const lines = errors[0].split('\n');
      expect(lines[0]).toMatch(/^docker buildx build failed with exit code 1 after \d+\.\d s\. /);
      expect(lines[0]).toContain(
        `The Docker engine at ${daemon?.host} stopped responding during the build ` +
          "('docker version' now fails: ",
      );
      expect(lines[0]).toMatch(/check that dockerd is running\. Last lines of its output:$/);
      expect(lines).toContain(findCompileStep(run.main.stdout)?.line);
      // Buildx reports the lost connection with gRPC's status Unavailable. Seen both as
      // "failed to receive status: rpc error: code = Unavailable desc = error reading from
      // server: EOF" and as "failed to solve: Unavailable: error reading from server: EOF".
      expect(lines.at(-1)).toMatch(/^ERROR: failed to build: .*\bUnavailable\b/);
    });

    test('summary shows the failure', () => {
      const { summary } = stoppedRun().run;
      expect(summary).toContain('<strong>Build failed.</strong>');
      expect(summary).toContain('docker buildx build failed with exit code 1');
    });

    test('export warning names the daemon', () => {
      const warnings = commandMessages(stoppedRun().run.main.stdout, 'warning');
      const exportWarnings = warnings.filter((message) =>
        message.startsWith('Go build cache mount /root/.cache/go-build was not exported: '),
      );
      expect(exportWarnings).toHaveLength(1);
      expect(exportWarnings[0]).toContain(daemon?.host);
    });

    test('run ends soon after the stop', () => {
      const { hung, secondsAfterStop } = stoppedRun();
      expect(hung).toBe(false);
      expect(secondsAfterStop).toBeLessThanOrEqual(AFTER_STOP_LIMIT_S);
    });

    test('post step saves downloaded modules', () => {
      const { run } = stoppedRun();
      expect(run.post?.exitCode).toBe(0);
      const plan = JSON.parse(run.state['cache-plan'] ?? '{"caches":[]}') as {
        caches: { name: string; primaryKey: string }[];
      };
      const modulesKey = plan.caches.find((goCache) => goCache.name === 'modules')?.primaryKey;
      expect(modulesKey).toMatch(/^go-buildx-gomod-/);
      expect(run.post?.stdout).toContain(`Go modules cache saved as ${modulesKey} in `);
      const archive = path.join(work, 'store', `${encodeURIComponent(modulesKey ?? '')}.tar`);
      const members = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n');
      expect(members).toContain(
        `${runnerEnv().GOMODCACHE.slice(1)}/github.com/google/uuid@v1.6.0/uuid.go`,
      );
    });

    test('post step skips the build cache', () => {
      const { run } = stoppedRun();
      expect(run.post?.stdout).toContain(
        'Go build cache not saved: the export from the Docker build failed: ',
      );
      const archives = fs
        .readdirSync(path.join(work, 'store'))
        .filter((name) => name.startsWith('go-buildx-gobuild-'));
      expect(archives).toEqual([]);
    });
  });
});
