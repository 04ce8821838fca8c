import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as os from 'node:os';
import * as path from 'node:path';

/** Version and cache paths of the runner's Go. */
export interface GoEnvironment {
  /** `go1.26.8`, or `unknown` when Go is not installed. */
  version: string;
  modCache: string;
  buildCache: string;
  gopath: string;
  /** True when `go env` could not run and the paths are Go's documented defaults. */
  isDefault: boolean;
}

/**
 * Computes the paths `go env` would print with no Go environment variables set: GOPATH is
 * $HOME/go, GOMODCACHE is $GOPATH/pkg/mod (first GOPATH entry), GOCACHE is
 * $XDG_CACHE_HOME/go-build or $HOME/.cache/go-build on Linux (`go help environment`).
 * Variables the user did set are respected.
 */
export function defaultGoEnvironment(env: NodeJS.ProcessEnv = process.env): GoEnvironment {
  const home = env.HOME || os.homedir();
  const gopath = env.GOPATH || path.join(home, 'go');
  const firstGopath = gopath.split(path.delimiter)[0];
  const cacheHome = env.XDG_CACHE_HOME || path.join(home, '.cache');
  return {
    version: 'unknown',
    modCache: env.GOMODCACHE || path.join(firstGopath, 'pkg', 'mod'),
    buildCache: env.GOCACHE || path.join(cacheHome, 'go-build'),
    gopath,
    isDefault: true,
  };
}

/** Reads the Go version and cache paths from `go env`, run in `workingDirectory`. */
export async function readGoEnvironment(workingDirectory: string): Promise<GoEnvironment> {
  let result: exec.ExecOutput;
  try {
    result = await exec.getExecOutput(
      'go',
      ['env', 'GOVERSION', 'GOMODCACHE', 'GOCACHE', 'GOPATH'],
      {
        cwd: workingDirectory,
        silent: true,
        ignoreReturnCode: true,
      },
    );
  } catch (error) {
    // exec rejects when the executable is not on PATH.
    core.info(
      `Go is not installed on the runner (${String(error)}); using Go's default cache paths.`,
    );
    return defaultGoEnvironment();
  }
  if (result.exitCode !== 0) {
    core.warning(
      `'go env' failed with exit code ${result.exitCode}: ${result.stderr.trim()}. ` +
        "Using Go's default cache paths.",
    );
    return defaultGoEnvironment();
  }
  const [version, modCache, buildCache, gopath] = result.stdout.trim().split('\n');
  return {
    version: version.trim(),
    modCache: modCache.trim(),
    buildCache: buildCache.trim(),
    gopath: gopath.trim(),
    isDefault: false,
  };
}
