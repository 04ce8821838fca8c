import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A Go version as go.mod and `go env GOVERSION` write it: 1.26, 1.26.0, go1.26.8, 1.27rc1. */
export interface GoVersion {
  major: number;
  minor: number;
  patch: number;
  /** 'rc1', 'beta2' or '' for a release. */
  prerelease: string;
  text: string;
}

const GO_VERSION = /^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?((?:rc|beta)\d+)?$/;

export function parseGoVersion(text: string): GoVersion | undefined {
  const match = GO_VERSION.exec(text.trim());
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    prerelease: match[4] ?? '',
    text: text.trim(),
  };
}

/** Compares two Go versions; a prerelease sorts before the release it leads to. */
export function compareGoVersions(a: GoVersion, b: GoVersion): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return a[key] - b[key];
  }
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return a.prerelease.localeCompare(b.prerelease, 'en', { numeric: true });
}

/** The Go version a module needs: the `go` line of go.mod, and its `toolchain` line if any. */
export interface ModuleGoRequirement {
  go?: GoVersion;
  toolchain?: string;
}

/** Reads the `go` and `toolchain` lines of go.mod in `workingDirectory`. */
export function readModuleGoRequirement(workingDirectory: string): ModuleGoRequirement {
  const goModPath = path.join(workingDirectory, 'go.mod');
  if (!fs.existsSync(goModPath)) return {};
  const text = fs.readFileSync(goModPath, 'utf8');
  const goLine = /^go\s+(\S+)\s*$/m.exec(text);
  const toolchainLine = /^toolchain\s+(\S+)\s*$/m.exec(text);
  return {
    go: goLine ? parseGoVersion(goLine[1]) : undefined,
    toolchain: toolchainLine?.[1],
  };
}

/** Go inside the builder stage's base image, as far as it could be found out. */
export interface ImageGo {
  version?: GoVersion;
  /** GOTOOLCHAIN of the image; 'local' means Go never downloads a newer toolchain. */
  toolchainMode: string;
}

/**
 * Asks the base image for its Go version by running `go env GOVERSION GOTOOLCHAIN` in it.
 * This needs the image in the local image store, as with Buildx's docker driver; for other
 * drivers, or an image without Go, it returns undefined and no check is made.
 */
export async function readImageGo(baseImage: string): Promise<ImageGo | undefined> {
  const result = await exec.getExecOutput(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'go',
      baseImage,
      'env',
      'GOVERSION',
      'GOTOOLCHAIN',
    ],
    { silent: true, ignoreReturnCode: true },
  );
  if (result.exitCode !== 0) {
    core.debug(`Could not read Go from ${baseImage}: ${result.stderr.trim()}`);
    return undefined;
  }
  const [version, toolchainMode] = result.stdout.trim().split('\n');
  return { version: parseGoVersion(version ?? ''), toolchainMode: (toolchainMode ?? '').trim() };
}

/**
 * Returns an error message when the builder image's Go is older than go.mod requires and will
 * not download a newer toolchain (GOTOOLCHAIN=local, as in the official golang images), or
 * '' when the build can go ahead.
 */
export function findImageToolchainProblem(
  requirement: ModuleGoRequirement,
  baseImage: string,
  imageGo: ImageGo,
): string {
  if (!requirement.go || !imageGo.version) return '';
  if (compareGoVersions(imageGo.version, requirement.go) >= 0) return '';
  if (!imageGo.toolchainMode.startsWith('local')) return '';
  return (
    `go.mod requires go ${requirement.go.text}, but the builder image ${baseImage} has ` +
    `${imageGo.version.text} with GOTOOLCHAIN=${imageGo.toolchainMode}, so the build would fail. ` +
    `Use a builder image with Go ${requirement.go.major}.${requirement.go.minor} or later ` +
    `(for example FROM golang:${requirement.go.major}.${requirement.go.minor}), or lower the go ` +
    'line of go.mod.'
  );
}

/**
 * Returns a warning when the runner's Go is older than go.mod requires, or ''. Go then
 * downloads the required toolchain itself (GOTOOLCHAIN=auto) for `go mod download`.
 */
export function findRunnerToolchainProblem(
  requirement: ModuleGoRequirement,
  runnerVersion: string,
): string {
  const runner = parseGoVersion(runnerVersion);
  if (!requirement.go || !runner || compareGoVersions(runner, requirement.go) >= 0) return '';
  return (
    `go.mod requires go ${requirement.go.text}, but the runner has ${runner.text}. Go downloads ` +
    'the newer toolchain for go mod download, which costs time on every run; install it with ' +
    'actions/setup-go (go-version-file: go.mod) before this step.'
  );
}
