import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectCacheBackend } from './cache/backend.js';
import {
  CachePlan,
  GoCache,
  isExactKeyMatch,
  restoreGoCaches,
  errorMessage,
} from './cache/go-caches.js';
import {
  buildCacheKeys,
  CacheKeyInputs,
  currentRunId,
  hashLockFiles,
  moduleCacheKeys,
} from './cache/keys.js';
import { Output, State } from './constants.js';
import { BuildOptions, buildImage, checkDocker } from './docker/buildx.js';
import { measureImageSize } from './docker/image.js';
import {
  DependencyMode,
  DependencyResult,
  detectDependencyMode,
  fetchDependencies,
  findLockFiles,
} from './go/dependencies.js';
import { GoEnvironment, readGoEnvironment } from './go/env.js';
import { ActionInputs, getInputs } from './inputs.js';
import { checkProjectPaths } from './preflight.js';
import { formatDockerSize, formatSizeWithBytes } from './report/format.js';
import { RunReport, writeJobSummary } from './report/summary.js';

/** Lists the Go caches for this project: module cache (or dep sources) and build cache. */
export function planGoCaches(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  mode: DependencyMode,
): GoCache[] {
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
    caches.push({ name: 'modules', paths: [goEnv.modCache], ...moduleCacheKeys(keyInputs) });
  } else if (mode === 'dep') {
    const depSources = path.join(goEnv.gopath.split(path.delimiter)[0], 'pkg', 'dep', 'sources');
    caches.push({ name: 'modules', paths: [depSources], ...moduleCacheKeys(keyInputs) });
  }
  caches.push({ name: 'build', paths: [goEnv.buildCache], ...buildCacheKeys(keyInputs) });
  return caches;
}

/** Runs the main step: checks, cache restore, dependencies, build, size report. */
export async function runMain(): Promise<void> {
  const report: RunReport = {
    imageName: '',
    imageId: '',
    digest: '',
    goVersion: 'unknown',
    caches: [],
    cacheBackend: 'none',
  };
  try {
    const inputs = getInputs();
    checkProjectPaths(inputs);
    const mode = detectDependencyMode(inputs.workingDirectory);
    await checkDocker(inputs.builder);
    report.imageName = inputs.tags[0] || path.basename(inputs.workingDirectory);

    const goEnv = await readGoEnvironment(inputs.workingDirectory);
    report.goVersion = goEnv.version;
    core.setOutput(Output.GoVersion, goEnv.version);
    core.info(
      `Go ${goEnv.version}${goEnv.isDefault ? ' (not installed, default paths)' : ''}: ` +
        `GOMODCACHE=${goEnv.modCache}, GOCACHE=${goEnv.buildCache}.`,
    );

    if (inputs.cache) {
      await restoreCaches(inputs, goEnv, mode, report);
    } else {
      core.info("Go caches are off (input 'cache' is false).");
      core.setOutput(Output.CacheHit, 'false');
    }

    report.dependencies = await fetchDependencies(
      inputs.workingDirectory,
      mode,
      goEnv.modCache,
      !goEnv.isDefault,
    );
    await buildAndMeasure(inputs, report);
  } catch (error) {
    report.failure = errorMessage(error);
    core.setFailed(report.failure);
  } finally {
    await writeSummarySafely(report);
  }
}

async function restoreCaches(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  mode: DependencyMode,
  report: RunReport,
): Promise<void> {
  const backend = selectCacheBackend(inputs.localCacheDir);
  const caches = planGoCaches(inputs, goEnv, mode);
  await restoreGoCaches(backend, caches);
  const plan: CachePlan = { backend: backend.name, localCacheDir: inputs.localCacheDir, caches };
  // Saved before dependencies and build, so that the post step saves what was downloaded even
  // when a later step fails.
  core.saveState(State.CachePlan, JSON.stringify(plan));
  report.caches = caches;
  report.cacheBackend = backend.name;
  const moduleCache = caches.find((goCache) => goCache.name === 'modules');
  core.setOutput(
    Output.CacheHit,
    String(moduleCache !== undefined && isExactKeyMatch(moduleCache)),
  );
}

async function buildAndMeasure(inputs: ActionInputs, report: RunReport): Promise<void> {
  const outputDirectory = fs.mkdtempSync(
    path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'go-buildx-'),
  );
  const options: BuildOptions = {
    context: inputs.context,
    file: inputs.file,
    target: inputs.target,
    tags: inputs.tags,
    buildArgs: inputs.buildArgs,
    platforms: inputs.platforms,
    load: inputs.load,
    push: inputs.push,
    builder: inputs.builder,
    iidFile: path.join(outputDirectory, 'iidfile'),
    metadataFile: path.join(outputDirectory, 'metadata.json'),
  };
  const result = await buildImage(options);
  report.imageId = result.imageId;
  report.digest = result.digest;
  report.buildSeconds = result.seconds;
  core.setOutput(Output.ImageId, result.imageId);
  core.setOutput(Output.Digest, result.digest);
  core.setOutput(Output.BuildSeconds, result.seconds.toFixed(1));

  const size = result.imageId ? await measureImageSize(result.imageId) : undefined;
  if (size === undefined) {
    core.warning(
      'The image is not in the local image store, so its size was not measured. ' +
        'Set load: true to load it (one platform only).',
    );
    return;
  }
  report.imageSize = size;
  core.setOutput(Output.ImageSize, String(size));
  core.setOutput(Output.ImageSizeHuman, formatDockerSize(size));
  core.info(`Image size: ${formatSizeWithBytes(size)}.`);
}

async function writeSummarySafely(report: RunReport): Promise<void> {
  try {
    await writeJobSummary(report);
  } catch (error) {
    core.warning(`Writing the job summary failed: ${errorMessage(error)}`);
  }
}
