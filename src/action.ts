import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectCacheBackend } from './cache/backend.js';
import {
  DockerCachePlan,
  dockerBuildCacheDirectory,
  exportCacheMounts,
  planDockerCaches,
  seedCacheMounts,
  TransferResults,
} from './cache/docker-caches.js';
import {
  CachePlan,
  errorMessage,
  findExportProblem,
  GoCache,
  isExactKeyMatch,
  restoreGoCaches,
} from './cache/go-caches.js';
import { findGoCacheMounts } from './cache/mount-finder.js';
import { directorySize } from './cache/mount-transfer.js';
import { planGoCaches } from './cache/plan.js';
import { decideCacheSave } from './cache/save-policy.js';
import { Output, State } from './constants.js';
import { goCompileSeconds, parseBuildSteps } from './docker/build-log.js';
import { BuildError, buildImage, BuildOptions, checkDocker } from './docker/buildx.js';
import { findGoBuildStage, parseDockerfile, resolveBaseImage } from './docker/dockerfile.js';
import { writeSecretFiles } from './docker/secrets.js';
import { measureImageSize } from './docker/image.js';
import {
  detectDependencyMode,
  fetchDependencies,
  findDep,
  verifyModuleCache,
} from './go/dependencies.js';
import { GoEnvironment, readGoEnvironment } from './go/env.js';
import {
  findImageToolchainProblem,
  findRunnerToolchainProblem,
  readImageGo,
  readModuleGoRequirement,
} from './go/toolchain.js';
import { InputError } from './input-error.js';
import { ActionInputs, getInputs } from './inputs.js';
import { checkProjectPaths } from './preflight.js';
import { readColdBuildRecord, writeColdBuildRecord } from './report/cold-build.js';
import { formatDockerSize, formatSizeWithBytes } from './report/format.js';
import { RunReport, writeJobSummary } from './report/summary.js';

/** The restored caches of a run, kept until the build is done and they are exported. */
interface CacheSession {
  plan: CachePlan;
  hostDirectories: { modules: string; build: string };
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
    cacheRoutes: [],
    cacheAdvice: '',
    transfers: { seed: {}, export: {} },
  };
  try {
    const inputs = getInputs();
    checkProjectPaths(inputs);
    const mode = detectDependencyMode(inputs.workingDirectory);
    if (mode === 'dep') await findDep();
    await checkDocker(inputs.builder);
    report.imageName = inputs.tags[0] || path.basename(inputs.workingDirectory);

    const goEnv = await readGoEnvironment(inputs.workingDirectory);
    report.goVersion = goEnv.version;
    core.setOutput(Output.GoVersion, goEnv.version);
    core.info(
      `Go ${goEnv.version}${goEnv.isDefault ? ' (not installed, default paths)' : ''}: ` +
        `GOMODCACHE=${goEnv.modCache}, GOCACHE=${goEnv.buildCache}.`,
    );

    const dockerPlan = analyzeDockerfile(inputs, goEnv, report);
    if (mode === 'modules') await checkGoToolchains(inputs, goEnv, dockerPlan.builderImage);
    let session: CacheSession | undefined;
    if (inputs.cache) {
      session = await restoreCaches(inputs, goEnv, mode, dockerPlan, report);
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
    // Verified after the download, when the cache has every module the build needs.
    if (inputs.verifyModules && session && !goEnv.isDefault && mode === 'modules') {
      if (!(await verifyRestoredModules(inputs, session))) {
        report.dependencies = await fetchDependencies(
          inputs.workingDirectory,
          mode,
          goEnv.modCache,
          true,
        );
      }
    }
    if (dockerPlan.needsGoModVendor && !goEnv.isDefault)
      await runGoModVendor(inputs.workingDirectory);
    if (session) {
      report.transfers.seed = await seedCacheMounts(
        dockerPlan,
        session.hostDirectories,
        inputs.builder,
      );
    }

    try {
      await buildAndMeasure(inputs, dockerPlan, report);
    } finally {
      // Exported after a failed build too: what compiled before the failure is worth keeping.
      if (session) await exportCaches(inputs, goEnv, dockerPlan, session, report);
    }
  } catch (error) {
    report.failure = errorMessage(error);
    if (error instanceof BuildError)
      report.compileSeconds = goCompileSeconds(parseBuildSteps(error.log));
    core.setFailed(report.failure);
  } finally {
    await writeSummarySafely(report);
  }
}

/** Reads the Dockerfile, warns about lines that defeat the Go caches, and plans the routes. */
function analyzeDockerfile(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  report: RunReport,
): DockerCachePlan {
  const dockerfileText = fs.readFileSync(inputs.file, 'utf8');
  const parsed = parseDockerfile(dockerfileText, inputs.buildArgs);
  const search = findGoCacheMounts(parsed, inputs.cacheMounts);
  for (const warning of search.warnings) core.warning(warning);
  const dockerPlan = planDockerCaches(
    dockerfileText,
    search,
    goEnv.modCache,
    dockerBuildCacheDirectory(goEnv.buildCache),
    fs.existsSync(path.join(inputs.workingDirectory, 'vendor')),
  );
  const buildStage = findGoBuildStage(parsed);
  dockerPlan.builderImage = buildStage ? resolveBaseImage(parsed, buildStage) : '';
  report.cacheRoutes = dockerPlan.routes;
  report.cacheAdvice = dockerPlan.advice;
  core.setOutput(Output.CacheRoutes, dockerPlan.routes.join(','));
  if (dockerPlan.routes.length === 0) {
    core.warning(`The Go caches cannot reach this Dockerfile's build. ${dockerPlan.advice}.`);
  } else {
    core.info(`Go caches reach the build through: ${dockerPlan.routes.join(', ')}.`);
  }
  return dockerPlan;
}

/**
 * Fails before the build when the builder image's Go is older than go.mod requires, and warns
 * when the runner's is.
 */
async function checkGoToolchains(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  builderImage: string,
): Promise<void> {
  const requirement = readModuleGoRequirement(inputs.workingDirectory);
  const runnerProblem = goEnv.isDefault
    ? ''
    : findRunnerToolchainProblem(requirement, goEnv.version);
  if (runnerProblem) core.warning(runnerProblem);
  if (!builderImage || !requirement.go) return;
  const imageGo = await readImageGo(builderImage);
  if (!imageGo) return;
  core.info(
    `Builder image ${builderImage}: ${imageGo.version?.text ?? 'unknown Go'}, GOTOOLCHAIN=${imageGo.toolchainMode}.`,
  );
  const imageProblem = findImageToolchainProblem(requirement, builderImage, imageGo);
  if (imageProblem) throw new InputError(imageProblem);
}

/**
 * Checks a restored module cache with go mod verify before the build uses it, and returns
 * false when it was tampered and removed. An entry restored from the exact key cannot be
 * replaced by saving again, so the warning then says how to leave it behind.
 */
async function verifyRestoredModules(
  inputs: ActionInputs,
  session: CacheSession,
): Promise<boolean> {
  const moduleCache = session.plan.caches.find((goCache) => goCache.name === 'modules');
  if (!moduleCache?.matchedKey) return true;
  if (await verifyModuleCache(inputs.workingDirectory)) return true;
  if (isExactKeyMatch(moduleCache)) {
    core.warning(
      `The cache entry ${moduleCache.matchedKey} is tampered and keeps its key. Change ` +
        "'cache-key-prefix' to stop restoring it, or delete it in the repository's cache settings.",
    );
  }
  moduleCache.matchedKey = undefined;
  core.setOutput(Output.CacheHit, 'false');
  core.saveState(State.CachePlan, JSON.stringify(session.plan));
  return false;
}

async function restoreCaches(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  mode: ReturnType<typeof detectDependencyMode>,
  dockerPlan: DockerCachePlan,
  report: RunReport,
): Promise<CacheSession> {
  const backend = selectCacheBackend(inputs.localCacheDir);
  const caches = await planGoCaches(inputs, goEnv, mode, dockerPlan);
  await restoreGoCaches(backend, caches);
  for (const goCache of caches) goCache.restoredBytes = directorySize(goCache.paths[0]);

  const decision = decideCacheSave(inputs.cacheSave);
  core.info(`Caches ${decision.save ? 'will be saved' : 'will not be saved'}: ${decision.reason}.`);
  const plan: CachePlan = {
    backend: backend.name,
    save: decision.save,
    saveReason: decision.reason,
    localCacheDir: inputs.localCacheDir,
    caches,
  };
  // Saved before dependencies and build, so that the post step saves what was downloaded even
  // when a later step fails. Saved again after the export with the exported sizes.
  core.saveState(State.CachePlan, JSON.stringify(plan));
  report.caches = caches;
  report.cacheBackend = backend.name;
  const moduleCache = caches.find((goCache) => goCache.name === 'modules');
  core.setOutput(
    Output.CacheHit,
    String(moduleCache !== undefined && isExactKeyMatch(moduleCache)),
  );

  const buildCache = caches.find((goCache) => goCache.name === 'build');
  const hostDirectories = {
    modules: goEnv.modCache,
    build: buildCache?.paths[0] ?? goEnv.buildCache,
  };
  report.coldCompileSeconds = readColdBuildRecord(hostDirectories.build)?.compileSeconds;
  return { plan, hostDirectories };
}

async function runGoModVendor(workingDirectory: string): Promise<void> {
  await core.group('go mod vendor', async () => {
    await exec.exec('go', ['mod', 'vendor'], { cwd: workingDirectory });
  });
  core.info('Dependencies: go mod vendor filled vendor/, which the Dockerfile copies.');
}

async function exportCaches(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  dockerPlan: DockerCachePlan,
  session: CacheSession,
  report: RunReport,
): Promise<void> {
  const exported: TransferResults = await exportCacheMounts(
    dockerPlan,
    session.hostDirectories,
    inputs.builder,
    goEnv.isDefault,
    report.transfers.seed,
  );
  report.transfers.export = exported;
  for (const goCache of session.plan.caches) {
    const result = exported[goCache.name];
    if (!result) continue;
    if (!result.ok) {
      goCache.skipSaveReason = `the export from the Docker build failed: ${result.problem}`;
      continue;
    }
    goCache.exportedBytes = result.finalBytes ?? result.bytes;
    const problem = findExportProblem(goCache.restoredBytes ?? 0, goCache.exportedBytes);
    if (problem) {
      goCache.skipSaveReason = problem;
      core.warning(`The Go ${goCache.name} cache will not be saved: ${problem}.`);
    }
  }

  const buildCache = session.plan.caches.find((goCache) => goCache.name === 'build');
  if (buildCache && exported.build?.ok) {
    const isCold = buildCache.matchedKey === undefined;
    const coldSeconds = isCold ? report.compileSeconds : report.coldCompileSeconds;
    if (coldSeconds !== undefined) writeColdBuildRecord(session.hostDirectories.build, coldSeconds);
  }
  core.saveState(State.CachePlan, JSON.stringify(session.plan));
}

async function buildAndMeasure(
  inputs: ActionInputs,
  dockerPlan: DockerCachePlan,
  report: RunReport,
): Promise<void> {
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
    buildContexts: inputs.cache ? dockerPlan.buildContexts : [],
    secretFlags: [],
    iidFile: path.join(outputDirectory, 'iidfile'),
    metadataFile: path.join(outputDirectory, 'metadata.json'),
  };
  const secretFiles = writeSecretFiles(inputs.secrets);
  options.secretFlags = secretFiles.flags;
  let result;
  try {
    result = await buildImage(options);
  } finally {
    secretFiles.remove();
  }
  report.imageId = result.imageId;
  report.digest = result.digest;
  report.buildSeconds = result.seconds;
  report.compileSeconds = goCompileSeconds(parseBuildSteps(result.log));
  core.setOutput(Output.ImageId, result.imageId);
  core.setOutput(Output.Digest, result.digest);
  core.setOutput(Output.BuildSeconds, result.seconds.toFixed(1));
  if (report.compileSeconds !== undefined) {
    core.info(`Go compile steps inside the build took ${report.compileSeconds.toFixed(1)} s.`);
  }

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
