import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  compareGoVersions,
  findImageToolchainProblem,
  findRunnerToolchainProblem,
  parseGoVersion,
  readModuleGoRequirement,
} from '../src/go/toolchain.js';

function version(text: string) {
  const parsed = parseGoVersion(text);
  if (!parsed) throw new Error(`unparsable ${text}`);
  return parsed;
}

describe('parseGoVersion', () => {
  test.each([
    ['1.26', 1, 26, 0, ''],
    ['1.26.0', 1, 26, 0, ''],
    ['go1.26.8', 1, 26, 8, ''],
    ['1.27rc1', 1, 27, 0, 'rc1'],
    ['go1.21beta2', 1, 21, 0, 'beta2'],
  ])('%s', (text, major, minor, patch, prerelease) => {
    expect(parseGoVersion(text)).toMatchObject({ major, minor, patch, prerelease });
  });

  test.each(['', 'devel', '1', 'go1.x'])('rejects %p', (text) => {
    expect(parseGoVersion(text)).toBeUndefined();
  });
});

describe('compareGoVersions', () => {
  test.each([
    ['1.26.8', '1.26.0', 1],
    ['1.26', '1.26.0', 0],
    ['1.25.9', '1.26', -1],
    ['1.27rc1', '1.27.0', -1],
    ['1.27rc2', '1.27rc10', -1],
    ['2.0', '1.99', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareGoVersions(version(a), version(b)))).toBe(sign);
  });
});

describe('readModuleGoRequirement', () => {
  test('go and toolchain lines', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'toolchain-test-'));
    fs.writeFileSync(path.join(root, 'go.mod'), 'module m\n\ngo 1.27.0\n\ntoolchain go1.27.2\n');
    const requirement = readModuleGoRequirement(root);
    expect(requirement.go?.text).toBe('1.27.0');
    expect(requirement.toolchain).toBe('go1.27.2');
  });

  test('no go.mod', () => {
    expect(readModuleGoRequirement('/nonexistent')).toEqual({});
  });
});

describe('findImageToolchainProblem', () => {
  const requirement = { go: version('1.27.0') };

  test('older image with local toolchain', () => {
    expect(
      findImageToolchainProblem(requirement, 'golang:1.26', {
        version: version('go1.26.8'),
        toolchainMode: 'local',
      }),
    ).toBe(
      'go.mod requires go 1.27.0, but the builder image golang:1.26 has go1.26.8 with GOTOOLCHAIN=local, ' +
        'so the build would fail. Use a builder image with Go 1.27 or later (for example FROM golang:1.27), ' +
        'or lower the go line of go.mod.',
    );
  });

  test('new enough image', () => {
    expect(
      findImageToolchainProblem(requirement, 'golang:1.27', {
        version: version('go1.27.1'),
        toolchainMode: 'local',
      }),
    ).toBe('');
  });

  test('auto toolchain downloads', () => {
    expect(
      findImageToolchainProblem(requirement, 'golang:1.26', {
        version: version('go1.26.8'),
        toolchainMode: 'auto',
      }),
    ).toBe('');
  });
});

describe('findRunnerToolchainProblem', () => {
  test('older runner warns', () => {
    expect(findRunnerToolchainProblem({ go: version('1.27') }, 'go1.26.8')).toContain(
      'go.mod requires go 1.27, but the runner has go1.26.8',
    );
  });

  test('same version fine', () => {
    expect(findRunnerToolchainProblem({ go: version('1.26.0') }, 'go1.26.8')).toBe('');
  });
});
