import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runAction } from '../scripts/local-runner.mjs';
import {
  copyExample,
  describeWithDocker,
  docker,
  makeTempDirectory,
  projectRoot,
  removeModuleCache,
  ACTION_RUN_TIMEOUT_MS,
} from './support.js';

// Each run gets its own GOMODCACHE, GOCACHE and local cache directory, so the first run is
// cold whatever the machine already has, and removing the module cache between runs stands
// in for a fresh runner.
describeWithDocker('go2docker example', () => {
  const work = makeTempDirectory('e2e-build-');
  const env = {
    GITHUB_WORKSPACE: projectRoot,
    GOMODCACHE: path.join(work, 'gomodcache'),
    GOCACHE: path.join(work, 'gocache'),
  };
  const tag = 'go2docker:e2e';
  const inputs = {
    'working-directory': 'examples/go2docker',
    tags: tag,
    'local-cache-dir': path.join(work, 'cache-store'),
  };
  let first: Awaited<ReturnType<typeof runAction>>;
  let second: Awaited<ReturnType<typeof runAction>>;

  beforeAll(async () => {
    first = await runAction({ inputs, env });
    removeModuleCache(env.GOMODCACHE);
    second = await runAction({ inputs, env });
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    removeModuleCache(env.GOMODCACHE);
  });

  test('first run succeeds', () => {
    expect(first.main.stdout).toContain('docker buildx build');
    expect(first.main.exitCode).toBe(0);
    expect(first.post?.exitCode).toBe(0);
  });

  test('image runs and prints greeting', () => {
    const output = execFileSync('docker', ['run', '--rm', tag], { encoding: 'utf8' });
    expect(output).toMatch(/^go2docker: hello from [0-9a-f-]{36}\n$/);
  });

  test('image-id output names the image', () => {
    expect(first.outputs['image-id']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', tag])).toBe(
      first.outputs['image-id'],
    );
  });

  test('image-size equals docker image inspect', () => {
    const inspected = docker(['image', 'inspect', '--format', '{{.Size}}', tag]);
    expect(first.outputs['image-size']).toBe(inspected);
    expect(Number(inspected)).toBeGreaterThan(100_000);
  });

  test('summary shows size and keys', () => {
    expect(first.summary).toContain(first.outputs['image-size']);
    expect(first.summary).toContain(first.outputs['image-size-human']);
    expect(first.summary).toContain('go-buildx-gomod-');
  });

  test('go-version output', () => {
    expect(first.outputs['go-version']).toMatch(/^go1\.\d+/);
  });

  test('first run misses and downloads', () => {
    expect(first.outputs['cache-hit']).toBe('false');
    expect(first.main.stdout).toMatch(/go mod download added [1-9]\d* module archives/);
    expect(first.post?.stdout).toMatch(/Go modules cache saved as go-buildx-gomod-/);
  });

  test('second run restores modules', () => {
    expect(second.main.exitCode).toBe(0);
    expect(second.outputs['cache-hit']).toBe('true');
    expect(second.main.stdout).toContain('go mod download added 0 module archives');
    expect(second.post?.stdout).toContain('restored from its exact key');
  });

  test('second run same image size', () => {
    expect(second.outputs['image-size']).toBe(first.outputs['image-size']);
  });
});

describeWithDocker('failed build', () => {
  const work = makeTempDirectory('e2e-failed-');
  const project = copyExample('go2docker');
  const env = {
    GITHUB_WORKSPACE: path.dirname(project),
    GOMODCACHE: path.join(work, 'gomodcache'),
    GOCACHE: path.join(work, 'gocache'),
  };
  const store = path.join(work, 'cache-store');
  let run: Awaited<ReturnType<typeof runAction>>;

  beforeAll(async () => {
    fs.appendFileSync(path.join(project, 'main.go'), '\nfunc broken() { undefinedName() }\n');
    run = await runAction({
      inputs: {
        'working-directory': 'go2docker',
        tags: 'go2docker:broken',
        'local-cache-dir': store,
      },
      env,
    });
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    removeModuleCache(env.GOMODCACHE);
  });

  test('main step fails with compiler error', () => {
    expect(run.main.exitCode).toBe(1);
    expect(run.main.stdout).toContain('docker buildx build failed with exit code 1');
    expect(run.main.stdout).toContain('undefined: undefinedName');
  });

  test('post step still saves modules', () => {
    expect(run.post?.exitCode).toBe(0);
    expect(run.post?.stdout).toMatch(/Go modules cache saved as go-buildx-gomod-/);
    const archives = fs.readdirSync(store).filter((name) => name.startsWith('go-buildx-gomod-'));
    expect(archives).toHaveLength(1);
  });

  test('summary reports failure', () => {
    expect(run.summary).toContain('Build failed.');
  });
});
