import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getInputs, InputError } from '../src/inputs.js';

// Every input with empty, malformed, hostile and conflicting values. A rejected value must
// raise InputError naming the input and the value; an accepted one is listed with what it
// turns into, because values reach docker as separate arguments and never pass through a shell.

const savedEnv = { ...process.env };

beforeEach(() => {
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('INPUT_')) delete process.env[name];
  }
  process.env.GITHUB_WORKSPACE = '/workspace';
});

afterEach(() => {
  process.env = { ...savedEnv };
});

function withInputs(values: Record<string, string>): () => ReturnType<typeof getInputs> {
  return () => {
    for (const [name, value] of Object.entries(values)) {
      process.env[`INPUT_${name.toUpperCase()}`] = value;
    }
    return getInputs();
  };
}

const longValue = 'a'.repeat(70_000);

const rejected: Array<[string, Record<string, string>, string]> = [
  [
    'working-directory outside',
    { 'working-directory': '../../etc' },
    "Input 'working-directory' resolves to '/etc'",
  ],
  [
    'working-directory absolute',
    { 'working-directory': '/etc' },
    "Input 'working-directory' resolves to '/etc'",
  ],
  [
    'context outside',
    { context: '../..' },
    "Input 'context' resolves to '/', which is outside the workspace",
  ],
  ['file outside', { file: '../Dockerfile' }, "Input 'file' resolves to '/Dockerfile'"],
  ['tag uppercase', { tags: 'App:1' }, "Invalid entry in input 'tags': 'App:1'"],
  ['tag with space', { tags: 'app 1' }, "Invalid entry in input 'tags': 'app 1'"],
  ['tag shell', { tags: 'app;rm -rf /' }, "Invalid entry in input 'tags': 'app;rm -rf /'"],
  ['tag substitution', { tags: 'app:$(id)' }, "Invalid entry in input 'tags': 'app:$(id)'"],
  ['tag too long', { tags: `app:${'t'.repeat(129)}` }, "Invalid entry in input 'tags'"],
  ['name too long', { tags: `${'a'.repeat(256)}:1` }, "Invalid entry in input 'tags'"],
  ['platform malformed', { platforms: 'amd64' }, "Invalid entry in input 'platforms': 'amd64'"],
  [
    'platform shell',
    { platforms: 'linux/amd64;id' },
    "Invalid entry in input 'platforms': 'linux/amd64;id'",
  ],
  ['target newline', { target: 'build\nrm' }, "Invalid input 'target': 'build\\nrm'"],
  ['target option', { target: '--push' }, "Invalid input 'target': '--push'"],
  ['builder option', { builder: '--config=/x' }, "Invalid input 'builder': '--config=/x'"],
  ['builder shell', { builder: 'b`id`' }, "Invalid input 'builder': 'b`id`'"],
  ['load not boolean', { load: 'yes' }, "Invalid boolean for input 'load': 'yes'"],
  ['push not boolean', { push: '1' }, "Invalid boolean for input 'push': '1'"],
  ['cache not boolean', { cache: 'on' }, "Invalid boolean for input 'cache': 'on'"],
  [
    'build-arg without value',
    { 'build-args': 'GOFLAGS' },
    "Invalid entry in input 'build-args': 'GOFLAGS'",
  ],
  [
    'build-arg option',
    { 'build-args': '--network=host' },
    "Invalid entry in input 'build-args': '--network=host'",
  ],
  ['build-arg too long', { 'build-args': `X=${longValue}` }, 'is over 65536 characters'],
  [
    'cache-key-prefix empty chars',
    { 'cache-key-prefix': 'a/b' },
    "Invalid input 'cache-key-prefix': 'a/b'",
  ],
  [
    'cache-key-prefix too long',
    { 'cache-key-prefix': 'p'.repeat(101) },
    "Invalid input 'cache-key-prefix'",
  ],
  ['cache-timeout not a number', { 'cache-timeout': '5m' }, "Invalid input 'cache-timeout': '5m'"],
  ['cache-timeout zero', { 'cache-timeout': '0' }, "Invalid input 'cache-timeout': '0'"],
  ['cache-save unknown', { 'cache-save': 'sometimes' }, "Invalid input 'cache-save': 'sometimes'"],
  [
    'cache-mounts relative',
    { 'cache-mounts': 'build=cache' },
    "Invalid entry in input 'cache-mounts': 'build=cache'",
  ],
  [
    'cache-mounts kind',
    { 'cache-mounts': 'apt=/var/cache/apt' },
    "Invalid entry in input 'cache-mounts': 'apt=/var/cache/apt'",
  ],
  ['push without tags', { push: 'true' }, "Input 'push' is true but 'tags' is empty"],
  [
    'load with two platforms',
    { platforms: 'linux/amd64,linux/arm64' },
    "Input 'load' is true but 'platforms' lists 2",
  ],
];

describe('rejected inputs', () => {
  test.each(rejected)('%s', (_name, values, message) => {
    const read = withInputs(values);
    expect(read).toThrow(InputError);
    expect(read).toThrow(message);
  });

  test('long value shortened in message', () => {
    let message = '';
    try {
      withInputs({ tags: 'A'.repeat(5000) })();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('(5000 characters)');
    expect(message.length).toBeLessThan(600);
  });
});

describe('accepted inputs', () => {
  test('build-arg value with shell characters kept verbatim', () => {
    const inputs = withInputs({ 'build-args': 'MSG=a b; rm -rf / $(id) `id` | & > <' })();
    expect(inputs.buildArgs).toEqual(['MSG=a b; rm -rf / $(id) `id` | & > <']);
  });

  test('context at workspace root', () => {
    const inputs = withInputs({ 'working-directory': 'services/api', context: '../..' })();
    expect(inputs.context).toBe('/workspace');
  });

  test('registry with port and digest', () => {
    const reference = `localhost:5000/team/app:1.0@sha256:${'a'.repeat(64)}`;
    expect(withInputs({ tags: reference })().tags).toEqual([reference]);
  });

  test('platform with variant', () => {
    expect(withInputs({ platforms: 'linux/arm/v7', load: 'false' })().platforms).toEqual([
      'linux/arm/v7',
    ]);
  });

  test('two platforms with push', () => {
    const inputs = withInputs({
      platforms: 'linux/amd64,linux/arm64',
      load: 'false',
      push: 'true',
      tags: 'r.example.com/a:1',
    })();
    expect(inputs.platforms).toHaveLength(2);
  });

  test('empty inputs take defaults', () => {
    const inputs = withInputs({ target: '', builder: '', tags: '', 'build-args': '' })();
    expect(inputs.target).toBe('');
    expect(inputs.builder).toBe('');
    expect(inputs.tags).toEqual([]);
    expect(inputs.buildArgs).toEqual([]);
  });
});

describe('workspace paths on disk', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'workspace-test-'));
  const workspace = path.join(root, 'ws');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(workspace, '..app'), { recursive: true });
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(workspace, 'linked'));

  test('symbolic link out of workspace rejected', () => {
    process.env.GITHUB_WORKSPACE = workspace;
    expect(withInputs({ 'working-directory': 'linked' })).toThrow(
      `Input 'working-directory' resolves to '${path.join(workspace, 'linked')}' (through a symbolic link, to '${outside}'), which is outside the workspace`,
    );
  });

  test('folder named ..app accepted', () => {
    process.env.GITHUB_WORKSPACE = workspace;
    expect(withInputs({ 'working-directory': '..app' })().workingDirectory).toBe(
      path.join(workspace, '..app'),
    );
  });
});
