import { beforeAll, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import {
  ACTION_RUN_TIMEOUT_MS,
  copyExample,
  describeWithDocker,
  makeTempDirectory,
} from './support.js';

// Each case must fail the main step before any build starts, with a message that names the
// value and the fix.
interface BadInputCase {
  name: string;
  prepare?: (project: string) => void;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  message: RegExp;
}

const cases: BadInputCase[] = [
  {
    name: 'missing Dockerfile',
    prepare: (project) => fs.rmSync(path.join(project, 'Dockerfile')),
    message:
      /Dockerfile not found: '.*\/go2docker\/Dockerfile'\. Add a Dockerfile there, or set input 'file'/,
  },
  {
    name: 'file is a directory',
    inputs: { file: '.' },
    message: /Input 'file' is '.*\/go2docker', which is a directory/,
  },
  {
    name: 'no go.mod, Gopkg.toml or vendor',
    prepare: (project) => {
      fs.rmSync(path.join(project, 'go.mod'));
      fs.rmSync(path.join(project, 'go.sum'));
    },
    message:
      /Input 'working-directory' is '.*\/go2docker', which has no go.mod, Gopkg.toml or vendor\/ directory\. Set working-directory/,
  },
  {
    name: 'unknown boolean',
    inputs: { push: 'yes' },
    message: /Invalid boolean for input 'push': 'yes'\. Use true or false/,
  },
  {
    name: 'malformed build-arg',
    inputs: { 'build-args': 'GOFLAGS -trimpath' },
    message:
      /Invalid entry in input 'build-args': 'GOFLAGS -trimpath'\. Write one NAME=VALUE per line/,
  },
  {
    name: 'Docker not running',
    env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    message:
      /No Docker engine answered at unix:\/\/\/nonexistent\/docker\.sock: .*Start the Docker daemon/,
  },
  {
    name: 'Buildx missing',
    env: { DOCKER_CONFIG: '/nonexistent-docker-config' },
    message:
      /Docker Buildx is not installed: .*Install the docker-buildx plugin into ~\/\.docker\/cli-plugins\//,
  },
  {
    name: 'go.mod needs newer Go than the builder image',
    prepare: (project) => {
      const goMod = path.join(project, 'go.mod');
      fs.writeFileSync(goMod, fs.readFileSync(goMod, 'utf8').replace(/^go .*$/m, 'go 1.99.0'));
    },
    message:
      /go\.mod requires go 1\.99\.0, but the builder image golang:1\.26 has go1\.26\.\d+ with GOTOOLCHAIN=local, so the build would fail\. Use a builder image with Go 1\.99 or later/,
  },
  {
    name: 'unknown builder',
    inputs: { builder: 'no-such-builder' },
    message: /Input 'builder' is 'no-such-builder', but Buildx has no such builder/,
  },
];

describeWithDocker('bad input', () => {
  const runs = new Map<string, ActionRun>();

  beforeAll(async () => {
    for (const badInput of cases) {
      const project = copyExample('go2docker');
      badInput.prepare?.(project);
      const run = await runAction({
        inputs: {
          'working-directory': 'go2docker',
          'local-cache-dir': makeTempDirectory('bad-input-store-'),
          ...badInput.inputs,
        },
        env: { GITHUB_WORKSPACE: path.dirname(project), ...badInput.env },
      });
      runs.set(badInput.name, run);
    }
  }, ACTION_RUN_TIMEOUT_MS);

  describe.each(cases)('$name', (badInput) => {
    test('fails with message', () => {
      const run = runs.get(badInput.name)!;
      expect(run.main.exitCode).toBe(1);
      expect(run.main.stdout).toMatch(badInput.message);
    });

    test('no build started', () => {
      const run = runs.get(badInput.name)!;
      expect(run.main.stdout).not.toContain('docker buildx build');
      expect(run.outputs['image-id']).toBeUndefined();
    });
  });
});
