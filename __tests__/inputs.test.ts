import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as path from 'node:path';
import { getInputs, InputError, parseBoolean, parseBuildArgs, parseList } from '../src/inputs.js';

// Inputs reach the action as INPUT_<NAME> variables; the real core.getInput reads them.
function setInputs(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    process.env[`INPUT_${name.toUpperCase()}`] = value;
  }
}

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

describe('getInputs', () => {
  test('defaults', () => {
    const inputs = getInputs();
    expect(inputs.workingDirectory).toBe('/workspace');
    expect(inputs.context).toBe('/workspace');
    expect(inputs.file).toBe('/workspace/Dockerfile');
    expect(inputs.load).toBe(true);
    expect(inputs.push).toBe(false);
    expect(inputs.cache).toBe(true);
    expect(inputs.cacheKeyPrefix).toBe('go-buildx');
    expect(inputs.tags).toEqual([]);
    expect(inputs.platforms).toEqual([]);
  });

  test('paths relative to working-directory', () => {
    setInputs({ 'working-directory': 'services/api', context: '..', file: 'build/Dockerfile' });
    const inputs = getInputs();
    expect(inputs.workingDirectory).toBe('/workspace/services/api');
    expect(inputs.context).toBe('/workspace/services');
    expect(inputs.file).toBe('/workspace/services/api/build/Dockerfile');
  });

  test('default Dockerfile inside context', () => {
    setInputs({ context: 'docker' });
    expect(getInputs().file).toBe(path.join('/workspace/docker', 'Dockerfile'));
  });

  test('tags and platforms split on commas and newlines', () => {
    setInputs({
      tags: 'app:1, app:latest\nregistry.example.com/app:1',
      platforms: 'linux/amd64',
      push: 'true',
    });
    const inputs = getInputs();
    expect(inputs.tags).toEqual(['app:1', 'app:latest', 'registry.example.com/app:1']);
    expect(inputs.platforms).toEqual(['linux/amd64']);
  });

  test('push without tags rejected', () => {
    setInputs({ push: 'true' });
    expect(() => getInputs()).toThrow(/'push' is true but 'tags' is empty/);
  });

  test('load with two platforms rejected', () => {
    setInputs({ platforms: 'linux/amd64,linux/arm64' });
    expect(() => getInputs()).toThrow(/'load' is true but 'platforms' lists 2 platforms/);
  });

  test('invalid cache-key-prefix named', () => {
    setInputs({ 'cache-key-prefix': 'has space' });
    expect(() => getInputs()).toThrow("Invalid input 'cache-key-prefix': 'has space'");
  });

  test('unknown boolean named', () => {
    setInputs({ cache: 'yes' });
    expect(() => getInputs()).toThrow(InputError);
    expect(() => getInputs()).toThrow("Invalid boolean for input 'cache': 'yes'");
  });
});

describe('parseBoolean', () => {
  test.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['', true],
  ])('%p', (value, expected) => {
    expect(parseBoolean('load', value, true)).toBe(expected);
  });

  test.each(['yes', '1', 'on', 'tru'])('rejects %p', (value) => {
    expect(() => parseBoolean('push', value, false)).toThrow(`'push': '${value}'`);
  });
});

describe('parseList', () => {
  test('drops blanks and comments', () => {
    expect(parseList('a\n\n# note\n b \n', false)).toEqual(['a', 'b']);
  });

  test('keeps commas without splitOnComma', () => {
    expect(parseList('A=1,2', false)).toEqual(['A=1,2']);
  });
});

describe('parseBuildArgs', () => {
  test('accepts NAME=VALUE lines', () => {
    expect(parseBuildArgs('GOFLAGS=-trimpath\nVERSION=1.2=3\nEMPTY=')).toEqual([
      'GOFLAGS=-trimpath',
      'VERSION=1.2=3',
      'EMPTY=',
    ]);
  });

  test.each(['NOVALUE', '=value', '1ABC=x', 'A B=c', 'A-B=c'])('rejects %p', (line) => {
    expect(() => parseBuildArgs(line)).toThrow(`Invalid entry in input 'build-args': '${line}'`);
  });
});
