import { describe, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionRun } from '../scripts/local-runner.mjs';
import { BuildStep, parseBuildSteps } from '../src/docker/build-log.js';

/** Time limit of a beforeAll hook that runs the action, which builds images: 15 minutes. */
export const ACTION_RUN_TIMEOUT_MS = 15 * 60 * 1000;

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Returns why no Docker engine with Buildx responds here, or '' when one does. */
function findDockerProblem(): string {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' });
  } catch (error) {
    return `no Docker engine answered 'docker version' (${String(error).split('\n')[0]})`;
  }
  try {
    execFileSync('docker', ['buildx', 'version'], { stdio: 'pipe' });
  } catch {
    return "'docker buildx version' failed, so Buildx is not installed";
  }
  return '';
}

const dockerProblem = findDockerProblem();

/**
 * `describe` when Docker with Buildx responds, else `describe.skip` with the reason printed.
 * With GO_BUILDX_ACTION_REQUIRE_DOCKER=1 (set by .ci/run) a missing engine fails instead.
 */
export function describeWithDocker(name: string, body: () => void): void {
  if (!dockerProblem) {
    describe(name, body);
    return;
  }
  if (process.env.GO_BUILDX_ACTION_REQUIRE_DOCKER === '1') {
    throw new Error(
      `End-to-end suite '${name}' cannot run: ${dockerProblem}. ` +
        'GO_BUILDX_ACTION_REQUIRE_DOCKER=1 turns this skip into a failure; run scripts/install-docker.sh.',
    );
  }
  console.warn(`Skipping end-to-end suite '${name}': ${dockerProblem}.`);
  describe.skip(name, body);
}

/** Creates an empty temporary directory for one test. */
export function makeTempDirectory(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs docker with `args` and returns its trimmed standard output. */
export function docker(args: string[]): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/**
 * Removes a Go module cache, whose directories Go makes read-only.
 */
export function removeModuleCache(modCache: string): void {
  if (!fs.existsSync(modCache)) return;
  execFileSync('chmod', ['-R', 'u+w', modCache]);
  fs.rmSync(modCache, { recursive: true, force: true });
}

/**
 * Puts the machine in the state of a fresh runner: no BuildKit build cache (layers and cache
 * mounts) and empty Go caches at the GOMODCACHE and GOCACHE of `env`.
 */
export function startFreshRunner(env: Record<string, string>): void {
  docker(['buildx', 'prune', '--all', '--force']);
  removeModuleCache(env.GOMODCACHE);
  fs.rmSync(env.GOCACHE, { recursive: true, force: true });
  fs.rmSync(`${env.GOCACHE}-docker`, { recursive: true, force: true });
}

/** Copies an example project into a fresh temporary directory, so a test can change it. */
export function copyExample(name: string): string {
  const target = path.join(makeTempDirectory(`${name}-`), name);
  fs.cpSync(path.join(projectRoot, 'examples', name), target, { recursive: true });
  return target;
}

/**
 * The registry that scripts/start-registry.sh starts. dockerd and Buildx both reach a registry
 * on 127.0.0.1 over plain HTTP without any insecure-registry setting.
 */
export const REGISTRY = '127.0.0.1:5000';

/** Returns why the registry's /v2/ endpoint failed, or '' when it responds. */
function findRegistryProblem(): string {
  try {
    execFileSync('curl', ['-fsS', '--max-time', '3', '-o', '/dev/null', `http://${REGISTRY}/v2/`], {
      stdio: 'pipe',
    });
    return '';
  } catch (error) {
    return `no registry answered at http://${REGISTRY}/v2/ (${String(error).split('\n')[0]})`;
  }
}

/** `describeWithDocker`, and also skipped or failed when the registry does not respond. */
export function describeWithRegistry(name: string, body: () => void): void {
  const problem = findRegistryProblem();
  if (!problem) {
    describeWithDocker(name, body);
    return;
  }
  if (process.env.GO_BUILDX_ACTION_REQUIRE_DOCKER === '1') {
    throw new Error(
      `End-to-end suite '${name}' cannot run: ${problem}. Start it with ` +
        'bash scripts/start-registry.sh.',
    );
  }
  console.warn(`Skipping end-to-end suite '${name}': ${problem}. Run scripts/start-registry.sh.`);
  describe.skip(name, body);
}

/** Returns the BuildKit step of a run's main step that runs go build. */
export function goBuildStep(run: ActionRun): BuildStep {
  const steps = parseBuildSteps(run.main.stderr + run.main.stdout);
  const step = steps.find((candidate) => / RUN .*go build/.test(candidate.name));
  if (!step) throw new Error(`No go build step in the build log:\n${run.main.stdout.slice(-3000)}`);
  return step;
}

/**
 * Checks that the go build step of `fresh` ran, not from BuildKit's layer cache, and took less
 * than a third of the time of `cold`'s, and prints both times under `label`.
 */
export function expectFasterCompile(cold: ActionRun, fresh: ActionRun, label: string): void {
  const coldSeconds = goBuildStep(cold).seconds!;
  const freshSeconds = goBuildStep(fresh).seconds!;
  console.log(`${label}: go build step cold ${coldSeconds} s, fresh ${freshSeconds} s`);
  expect(goBuildStep(cold).cached).toBe(false);
  expect(goBuildStep(fresh).cached).toBe(false);
  expect(coldSeconds).toBeGreaterThan(0);
  expect(freshSeconds * 3).toBeLessThan(coldSeconds);
}
