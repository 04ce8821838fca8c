import { describe, expect, test } from '@jest/globals';
import {
  BuildOptions,
  buildxBuildArguments,
  expandsMountVariables,
  lastLines,
} from '../src/docker/buildx.js';

const base: BuildOptions = {
  context: '/src',
  file: '/src/Dockerfile',
  target: '',
  tags: [],
  buildArgs: [],
  platforms: [],
  load: false,
  push: false,
  builder: '',
  driver: 'docker-container',
  buildContexts: [],
  secretFlags: [],
  iidFile: '/tmp/iid',
  metadataFile: '/tmp/meta.json',
};

const head = ['buildx', 'build', '--progress', 'plain'];
const tail = ['--iidfile', '/tmp/iid', '--metadata-file', '/tmp/meta.json', '/src'];

describe('buildxBuildArguments', () => {
  test.each<[string, Partial<BuildOptions>, string[]]>([
    ['defaults', {}, ['--file', '/src/Dockerfile']],
    ['target', { target: 'runtime' }, ['--file', '/src/Dockerfile', '--target', 'runtime']],
    ['builder', { builder: 'ci' }, ['--builder', 'ci', '--file', '/src/Dockerfile']],
    [
      'tags',
      { tags: ['app:1', 'app:latest'] },
      ['--file', '/src/Dockerfile', '--tag', 'app:1', '--tag', 'app:latest'],
    ],
    [
      'build args keep spaces and shell characters',
      { buildArgs: ['MSG=a b; rm -rf /', 'X=$(id)'] },
      ['--file', '/src/Dockerfile', '--build-arg', 'MSG=a b; rm -rf /', '--build-arg', 'X=$(id)'],
    ],
    [
      'platforms joined',
      { platforms: ['linux/amd64', 'linux/arm64'] },
      ['--file', '/src/Dockerfile', '--platform', 'linux/amd64,linux/arm64'],
    ],
    [
      'build contexts',
      { buildContexts: ['gomodcache=/home/runner/go/pkg/mod'] },
      ['--file', '/src/Dockerfile', '--build-context', 'gomodcache=/home/runner/go/pkg/mod'],
    ],
    [
      'secrets',
      { secretFlags: ['id=token,src=/tmp/s/0'] },
      ['--file', '/src/Dockerfile', '--secret', 'id=token,src=/tmp/s/0'],
    ],
    ['load', { load: true }, ['--file', '/src/Dockerfile', '--load']],
    [
      'push',
      { push: true, tags: ['r/app:1'] },
      ['--file', '/src/Dockerfile', '--tag', 'r/app:1', '--push'],
    ],
    [
      'load and push',
      { load: true, push: true },
      ['--file', '/src/Dockerfile', '--load', '--push'],
    ],
  ])('%s', (_name, overrides, middle) => {
    expect(buildxBuildArguments({ ...base, ...overrides })).toEqual([...head, ...middle, ...tail]);
  });
});

describe('lastLines', () => {
  test('last non-blank lines', () => {
    expect(lastLines('a\n\nb\nc\n', 2)).toBe('b / c');
  });

  test('empty output', () => {
    expect(lastLines('\n', 2)).toBe('(no output)');
  });
});

describe('expandsMountVariables', () => {
  test.each([
    ['v0.8+unknown', false],
    ['v0.8.1', false],
    ['v0.9.0', true],
    ['v0.12.5', true],
    ['v1.0.0', true],
    ['', true],
  ])('%p', (version, expected) => {
    expect(expandsMountVariables(version)).toBe(expected);
  });
});
