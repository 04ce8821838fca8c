import * as exec from '@actions/exec';
import * as path from 'node:path';
import { ActionInputs } from '../inputs.js';
import { DependencyMode, findLockFiles } from '../go/dependencies.js';
import { GoEnvironment } from '../go/env.js';
import {
  dockerBuildCacheDirectory,
  dockerBuildIdentity,
  DockerCachePlan,
} from './docker-caches.js';
import { GoCache } from './go-caches.js';
import {
  buildCacheKeys,
  CacheKeyInputs,
  currentRunId,
  dockerBuildCacheKeys,
  hashLockFiles,
  moduleCacheKeys,
} from './keys.js';

/** Returns the local image ID of `imageRef`, or '' when the image store does not have it. */
async function localImageId(imageRef: string): Promise<string> {
  const result = await exec.getExecOutput(
    'docker',
    ['image', 'inspect', '--format', '{{.Id}}', imageRef],
    {
      silent: true,
      ignoreReturnCode: true,
    },
  );
  return result.exitCode === 0 ? result.stdout.trim() : '';
}

/**
 * Returns exclusions for the Go toolchains that `go` downloads into the module cache when
 * go.mod needs a newer Go (golang.org/toolchain). They are large, belong to one platform and
 * come back on their own, so they are not saved with the modules.
 */
export function toolchainExclusions(modCache: string): string[] {
  return [
    `!${path.join(modCache, 'golang.org', 'toolchain@*')}`,
    `!${path.join(modCache, 'cache', 'download', 'golang.org', 'toolchain')}`,
  ];
}

/**
 * Lists the Go caches of this project: the module cache (or dep's source cache), and the
 * build cache. When the Dockerfile has a Go build cache mount or reads the gocache build
 * context, the build cache is the Docker build's, keyed by the builder stage's base image and
 * the target platforms; otherwise it is the runner's GOCACHE.
 */
export async function planGoCaches(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  mode: DependencyMode,
  dockerPlan: DockerCachePlan,
): Promise<GoCache[]> {
  const keyInputs: CacheKeyInputs = {
    prefix: inputs.cacheKeyPrefix,
    os: process.platform,
    arch: process.arch,
    goVersion: goEnv.version,
    lockHash: hashLockFiles(inputs.workingDirectory, findLockFiles(inputs.workingDirectory, mode)),
    runId: currentRunId(),
  };
  const caches: GoCache[] = [];
  if (mode === 'modules') {
    caches.push({
      name: 'modules',
      usedBy: 'runner',
      paths: [goEnv.modCache, ...toolchainExclusions(goEnv.modCache)],
      ...moduleCacheKeys(keyInputs),
    });
  } else if (mode === 'dep') {
    const depSources = path.join(goEnv.gopath.split(path.delimiter)[0], 'pkg', 'dep', 'sources');
    caches.push({
      name: 'modules',
      usedBy: 'runner',
      paths: [depSources],
      ...moduleCacheKeys(keyInputs),
    });
  }

  const buildMount = dockerPlan.mounts.build;
  const readsBuildContext = dockerPlan.buildContexts.some((context) =>
    context.startsWith('gocache='),
  );
  if (buildMount || readsBuildContext) {
    const baseImage = buildMount?.baseImage ?? '';
    const identity = dockerBuildIdentity(
      baseImage,
      baseImage ? await localImageId(baseImage) : '',
      inputs.platforms,
    );
    caches.push({
      name: 'build',
      usedBy: 'Docker build',
      paths: [dockerBuildCacheDirectory(goEnv.buildCache)],
      ...dockerBuildCacheKeys(keyInputs, identity),
    });
  } else {
    caches.push({
      name: 'build',
      usedBy: 'runner',
      paths: [goEnv.buildCache],
      ...buildCacheKeys(keyInputs),
    });
  }
  return caches;
}
