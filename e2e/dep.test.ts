import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import {
  ACTION_RUN_TIMEOUT_MS,
  describeWithDocker,
  makeTempDirectory,
  projectRoot,
} from './support.js';

// dep (v0.5.4) cannot be built from the Go module proxy, so these tests put
// e2e/fixtures/dep-stand-in.sh on PATH as `dep`. It checks vendor/ against Gopkg.lock and
// fills dep's source cache. Everything else is real: the action, Docker, Buildx and the build
// of the dep example from its committed vendor/.
describeWithDocker('dep example', () => {
  const work = makeTempDirectory('e2e-dep-');
  const binDirectory = path.join(work, 'bin');
  const depLog = path.join(work, 'dep-calls.log');
  const gopath = path.join(work, 'gopath');
  const tag = 'go2docker-dep:e2e';
  const inputs = {
    'working-directory': 'examples/go2docker-dep',
    tags: tag,
    'local-cache-dir': path.join(work, 'store'),
  };
  const env = {
    GITHUB_WORKSPACE: projectRoot,
    GOPATH: gopath,
    GOCACHE: path.join(work, 'gocache'),
    DEP_STAND_IN_LOG: depLog,
  };
  let withoutDep: ActionRun;
  let withDep: ActionRun;

  beforeAll(async () => {
    withoutDep = await runAction({
      inputs,
      env: { ...env, PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin:/usr/local/bin` },
    });
    fs.mkdirSync(binDirectory);
    fs.copyFileSync(
      path.join(projectRoot, 'e2e', 'fixtures', 'dep-stand-in.sh'),
      path.join(binDirectory, 'dep'),
    );
    fs.chmodSync(path.join(binDirectory, 'dep'), 0o755);
    withDep = await runAction({
      inputs,
      env: { ...env, PATH: `${binDirectory}:${process.env.PATH}` },
    });
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    fs.rmSync(gopath, { recursive: true, force: true });
  });

  describe('without dep on PATH', () => {
    test('fails with install hint', () => {
      expect(withoutDep.main.exitCode).toBe(1);
      expect(withoutDep.main.stdout).toContain(
        'This project has a Gopkg.toml, so it needs dep, but dep was not found on PATH. Install dep v0.5.4',
      );
    });

    test('no build started', () => {
      expect(withoutDep.main.stdout).not.toContain('::group::docker buildx build');
    });
  });

  describe('with dep', () => {
    test('build succeeds', () => {
      expect(withDep.main.exitCode).toBe(0);
      expect(withDep.post?.exitCode).toBe(0);
    });

    test('dep ensure called in project', () => {
      const calls = fs.readFileSync(depLog, 'utf8').trim().split('\n');
      expect(calls).toEqual([
        `ensure -vendor-only -v|${path.join(projectRoot, 'examples/go2docker-dep')}`,
      ]);
    });

    test('routes include vendor', () => {
      expect(withDep.outputs['cache-routes']).toBe('cache-mounts,vendor');
    });

    test('dep sources cached', () => {
      expect(withDep.post?.stdout).toMatch(/Go modules cache saved as go-buildx-gomod-/);
      const archives = fs
        .readdirSync(inputs['local-cache-dir'])
        .filter((name) => name.startsWith('go-buildx-gomod-'));
      expect(archives).toHaveLength(1);
      const listing = execFileSync(
        'tar',
        ['-tf', path.join(inputs['local-cache-dir'], archives[0])],
        {
          encoding: 'utf8',
        },
      );
      expect(listing).toContain('pkg/dep/sources/https---github.com-google-uuid/uuid.go');
    });

    test('image runs', () => {
      expect(execFileSync('docker', ['run', '--rm', tag], { encoding: 'utf8' })).toMatch(
        /^go2docker-dep: hello from [0-9a-f-]{36}\n$/,
      );
    });

    test('image-size matches inspect', () => {
      const inspected = execFileSync('docker', ['image', 'inspect', '--format', '{{.Size}}', tag], {
        encoding: 'utf8',
      }).trim();
      expect(withDep.outputs['image-size']).toBe(inspected);
    });
  });
});
