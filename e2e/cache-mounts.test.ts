import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import {
  ACTION_RUN_TIMEOUT_MS,
  copyExample,
  describeWithDocker,
  expectFasterCompile,
  makeTempDirectory,
  removeModuleCache,
  startFreshRunner,
} from './support.js';

// A cold build, then a one-line source change and a build on a fresh runner: BuildKit's state
// and the runner's Go caches are deleted, so only the cache entries that the first run saved
// can make the second compile fast. The two go build steps are compared in this one test run.
describeWithDocker('cache mounts on a fresh runner', () => {
  const work = makeTempDirectory('e2e-mounts-');
  const project = copyExample('goapi');
  const env = {
    GITHUB_WORKSPACE: path.dirname(project),
    GOMODCACHE: path.join(work, 'gomodcache'),
    GOCACHE: path.join(work, 'gocache'),
  };
  const tag = 'goapi:e2e-mounts';
  const inputs = {
    'working-directory': 'goapi',
    tags: tag,
    'local-cache-dir': path.join(work, 'cache-store'),
  };
  let cold: ActionRun;
  let fresh: ActionRun;

  beforeAll(async () => {
    startFreshRunner(env);
    cold = await runAction({ inputs, env });
    const versionFile = path.join(project, 'internal', 'buildinfo', 'buildinfo.go');
    const source = fs.readFileSync(versionFile, 'utf8');
    fs.writeFileSync(
      versionFile,
      source.replace(/const Version = ".*"/, 'const Version = "0.3.0-changed"'),
    );
    startFreshRunner(env);
    fresh = await runAction({ inputs, env });
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    removeModuleCache(env.GOMODCACHE);
  });

  test('both runs succeed', () => {
    expect(cold.main.exitCode).toBe(0);
    expect(cold.post?.exitCode).toBe(0);
    expect(fresh.main.exitCode).toBe(0);
    expect(fresh.post?.exitCode).toBe(0);
  });

  test('cold run saves build cache', () => {
    expect(cold.main.stdout).toMatch(
      /Go build cache mount \/root\/\.cache\/go-build exported: [1-9][\d.]* MB/,
    );
    expect(cold.post?.stdout).toMatch(/Go build cache saved as go-buildx-gobuild-docker-/);
  });

  test('fresh run seeds both mounts', () => {
    expect(fresh.main.stdout).toMatch(
      /Go build cache restored from go-buildx-gobuild-docker-\S+ \(restore-key match/,
    );
    expect(fresh.main.stdout).toMatch(
      /Go modules cache mount \/go\/pkg\/mod \(id \/go\/pkg\/mod\) seeded with [1-9]/,
    );
    expect(fresh.main.stdout).toMatch(
      /Go build cache mount \/root\/\.cache\/go-build \(id \/root\/\.cache\/go-build\) seeded with [1-9]/,
    );
  });

  test('fresh run streams the caches', () => {
    // This engine uses the docker driver, whose RUN steps reach the runner on the bridge.
    const streamed = fresh.main.stdout.match(
      /seeded with [\d.]+ MB in [\d.]+ s \(streamed from the runner\)\./g,
    );
    expect(streamed).toHaveLength(2);
  });

  test('fresh compile several times faster', () => {
    expectFasterCompile(cold, fresh, 'restored caches');
  });

  test('module download not repeated', () => {
    expect(fresh.main.stdout).toContain('go mod download added 0 module archives');
  });

  test('summary reports payoff', () => {
    expect(fresh.summary).toMatch(
      /Go compile [\d.]+ s against [\d.]+ s in the last build without a restored build cache: [\d.]+ s saved\./,
    );
  });

  test('image runs with the change', () => {
    const output = execFileSync('docker', ['run', '--rm', tag, '--version'], { encoding: 'utf8' });
    expect(output).toMatch(/^goapi 0\.3\.0-changed \(go1\.\d+/);
  });
});
