import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as io from '@actions/io';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../input-error.js';

/** Dependency mode of a Go project: modules, dep, or a vendored tree. */
export type DependencyMode = 'modules' | 'dep' | 'vendor';

/**
 * Detects the dependency mode of the project in `workingDirectory`: `go.mod` means modules,
 * `Gopkg.toml` means dep, and a `vendor/` directory alone means a vendored tree.
 */
export function detectDependencyMode(workingDirectory: string): DependencyMode {
  if (fs.existsSync(path.join(workingDirectory, 'go.mod'))) return 'modules';
  if (fs.existsSync(path.join(workingDirectory, 'Gopkg.toml'))) return 'dep';
  if (fs.existsSync(path.join(workingDirectory, 'vendor'))) return 'vendor';
  throw new InputError(
    `Input 'working-directory' is '${workingDirectory}', which has no go.mod, Gopkg.toml or vendor/ ` +
      'directory. Set working-directory to the root of the Go module (the folder that contains go.mod).',
  );
}

/** Lists the lock files whose content decides the module cache key, relative to the root. */
export function findLockFiles(workingDirectory: string, mode: DependencyMode): string[] {
  if (mode === 'dep') return ['Gopkg.lock'].filter((name) => exists(workingDirectory, name));
  if (mode === 'vendor') return [];
  return findFilesNamed(workingDirectory, 'go.sum');
}

function exists(directory: string, name: string): boolean {
  return fs.existsSync(path.join(directory, name));
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', 'vendor', 'testdata']);

/** Finds every file called `name` below `root`, as sorted relative paths. */
function findFilesNamed(root: string, name: string): string[] {
  const found: string[] = [];
  const walk = (relativeDirectory: string): void => {
    const entries = fs.readdirSync(path.join(root, relativeDirectory), { withFileTypes: true });
    for (const entry of entries) {
      const relativePath = path.join(relativeDirectory, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) walk(relativePath);
      else if (entry.isFile() && entry.name === name) found.push(relativePath);
    }
  };
  walk('');
  return found.sort();
}

/** Counts module archives (`.zip`) in the download cache of GOMODCACHE. */
export function countModuleArchives(modCache: string): number {
  const downloadCache = path.join(modCache, 'cache', 'download');
  if (!fs.existsSync(downloadCache)) return 0;
  let count = 0;
  const walk = (directory: string): void => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(directory, entry.name));
      else if (entry.name.endsWith('.zip')) count++;
    }
  };
  walk(downloadCache);
  return count;
}

/** Result of fetching dependencies on the runner. */
export interface DependencyResult {
  mode: DependencyMode;
  /** Module archives added to GOMODCACHE by this step; 0 for dep and vendored trees. */
  downloadedModules: number;
  seconds: number;
}

/**
 * Fetches dependencies on the runner: `go mod download` for modules, `dep ensure -vendor-only`
 * for dep, nothing for a vendored tree. Throws when the tool fails or dep is not installed.
 */
export async function fetchDependencies(
  workingDirectory: string,
  mode: DependencyMode,
  modCache: string,
  hasGo: boolean,
): Promise<DependencyResult> {
  const started = Date.now();
  if (mode === 'vendor') {
    core.info(
      'Dependencies: vendor/ is present and there is no go.mod or Gopkg.toml; nothing to fetch.',
    );
    return { mode, downloadedModules: 0, seconds: 0 };
  }
  if (mode === 'dep') {
    await runDepEnsure(workingDirectory);
    const seconds = (Date.now() - started) / 1000;
    core.info(`Dependencies: dep ensure -vendor-only finished in ${seconds.toFixed(1)} s.`);
    return { mode, downloadedModules: 0, seconds };
  }
  if (!hasGo) {
    core.info(
      'Dependencies: Go is not installed on the runner, so modules are downloaded inside the build only.',
    );
    return { mode, downloadedModules: 0, seconds: 0 };
  }

  const before = countModuleArchives(modCache);
  await core.group('go mod download', async () => {
    await exec.exec('go', ['mod', 'download'], { cwd: workingDirectory });
  });
  const downloadedModules = countModuleArchives(modCache) - before;
  const seconds = (Date.now() - started) / 1000;
  core.info(
    `Dependencies: go mod download added ${downloadedModules} module archives in ${seconds.toFixed(1)} s.`,
  );
  return { mode, downloadedModules, seconds };
}

/** Returns the path of dep on PATH; throws with an install hint when it is missing. */
export async function findDep(): Promise<string> {
  const depPath = await io.which('dep', false);
  if (!depPath) {
    throw new Error(
      'This project has a Gopkg.toml, so it needs dep, but dep was not found on PATH. ' +
        "Install dep v0.5.4 in a step before this one (the README section 'Projects that use dep' " +
        'shows how), or migrate the project to Go modules with go mod init and go mod tidy.',
    );
  }
  return depPath;
}

async function runDepEnsure(workingDirectory: string): Promise<void> {
  const depPath = await findDep();
  await core.group('dep ensure -vendor-only', async () => {
    await exec.exec(depPath, ['ensure', '-vendor-only', '-v'], { cwd: workingDirectory });
  });
}

/**
 * Runs `go mod verify` over a restored module cache. When a module differs from the hash Go
 * recorded at download time, the whole module cache is removed with `go clean -modcache`, so
 * the build downloads and checks every module again instead of building with tampered code.
 * Returns true when the cache was kept.
 */
export async function verifyModuleCache(workingDirectory: string): Promise<boolean> {
  const result = await exec.getExecOutput('go', ['mod', 'verify'], {
    cwd: workingDirectory,
    silent: true,
    ignoreReturnCode: true,
  });
  if (result.exitCode === 0) {
    core.info('go mod verify: all modules in the restored cache match their recorded hashes.');
    return true;
  }
  const details = (result.stdout + result.stderr)
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.endsWith(': verified'))
    .slice(0, 10)
    .join('\n');
  core.warning(
    'go mod verify found modules in the restored cache that differ from the hashes Go recorded ' +
      `when it downloaded them, so the module cache was removed and is downloaded again:\n${details}`,
  );
  await exec.exec('go', ['clean', '-modcache'], { cwd: workingDirectory, silent: true });
  return false;
}
