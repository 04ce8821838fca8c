import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DockerCachePlan,
  dockerBuildCacheDirectory,
  planDockerCaches,
  CacheMountSeeder,
} from './cache/docker-caches.js';
import { errorMessage } from './cache/go-caches.js';
import { findGoCacheMounts } from './cache/mount-finder.js';
import {
  CacheSession,
  exportCaches,
  restoreCaches,
  verifyRestoredModules,
} from './cache/session.js';
import { Output, State } from './constants.js';
import { currentRunId } from './cache/keys.js';
import { goCompileSeconds, parseBuildSteps } from './docker/build-log.js';
import {
  BuildError,
  buildImage,
  BuildOptions,
  checkDocker,
  DockerSetup,
  expandsMountVariables,
} from './docker/buildx.js';
import { findGoBuildStage, parseDockerfile, resolveBaseImage } from './docker/dockerfile.js';
import { writeSecretFiles } from './docker/secrets.js';
import { measureImageSize } from './docker/image.js';
import { detectDependencyMode, fetchDependencies, findDep } from './go/dependencies.js';
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
import { formatDockerSize, formatSizeWithBytes } from './report/format.js';
import { JsonReport } from './report/json-report.js';
import {
  BuiltImage,
  commentOnPullRequest,
  findBaseline,
  measureBuiltImage,
  sizeReportImageKey,
  sizeReportKeys,
  writeSizeReport,
} from './report/size-report.js';
import {
  cacheSummary,
  reportTimings,
  RunReport,
  setSizeOutputs,
  sizeReportCachePath,
  writeJobSummary,
} from './report/summary.js';

/** Runs the main step: checks, cache restore, dependencies, build, size report. */
export async function runMain(): Promise<void> {
  const report: RunReport = {
    imageName: '',
    imageTags: [],
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
    const docker = await checkDocker(inputs.builder);
    report.imageTags = inputs.tags;
    report.imageName = inputs.tags[0] || `(untagged, ${path.basename(inputs.workingDirectory)})`;

    const goEnv = await readGoEnvironment(inputs.workingDirectory);
    report.goVersion = goEnv.version;
    core.setOutput(Output.GoVersion, goEnv.version);
    core.info(
      `Go ${goEnv.version}${goEnv.isDefault ? ' (not installed, default paths)' : ''}: ` +
        `GOMODCACHE=${goEnv.modCache}, GOCACHE=${goEnv.buildCache}.`,
    );

    const dockerPlan = analyzeDockerfile(inputs, goEnv, docker, report);
    dockerPlan.driver = docker.driver;
    if (mode === 'modules') await checkGoToolchains(inputs, goEnv, dockerPlan.builderImage);
    let session: CacheSession | undefined;
    const seeder = inputs.cache
      ? new CacheMountSeeder(dockerPlan, inputs.builder, inputs.cacheTimeoutSeconds * 1000)
      : undefined;
    try {
      if (seeder) {
        // The build cache is final once restored, so its seed runs while modules are prepared.
        session = await restoreCaches(inputs, goEnv, mode, dockerPlan, report, (goCache) => {
          if (goCache.name === 'build') seeder.start('build', goCache.paths[0]);
        });
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
      if (session) seeder?.start('modules', session.hostDirectories.modules);
    } finally {
      // Waited for on failure too, so that no generated build outlives the step.
      if (seeder) {
        const seeded = await seeder.finish();
        report.transfers.seed = seeded.results;
        report.transfers.seedWaitSeconds = seeded.waitSeconds;
      }
    }

    try {
      await buildAndMeasure(inputs, dockerPlan, report);
    } finally {
      // Exported after a failed build too: what compiled before the failure is worth keeping.
      if (session) await exportCaches(inputs, goEnv, dockerPlan, session, report);
    }

    const budgetFailure = await reportImageSize(inputs, dockerPlan, session, report);
    if (budgetFailure) {
      report.budgetFailure = budgetFailure;
      core.setFailed(budgetFailure);
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
  docker: DockerSetup,
  report: RunReport,
): DockerCachePlan {
  const dockerfileText = fs.readFileSync(inputs.file, 'utf8');
  const parsed = parseDockerfile(dockerfileText, inputs.buildArgs);
  const search = findGoCacheMounts(parsed, inputs.cacheMounts);
  for (const warning of search.warnings) core.warning(warning);
  // Without a # syntax directive the builder's own frontend parses the Dockerfile, and before
  // BuildKit v0.9 it takes `target=$GOCACHE` or `id=go-${V}` literally.
  if (!parsed.directives.has('syntax') && !expandsMountVariables(docker.buildkitVersion)) {
    search.mounts = search.mounts.filter((found) => {
      const options = found.mount.variableOptions;
      if (options.length === 0) return true;
      core.warning(
        `Line ${found.line}: this builder's Dockerfile frontend (BuildKit ${docker.buildkitVersion}) ` +
          `does not expand variables in --mount options, so ${options.join(', ')} is used as ` +
          'written and the action cannot seed or export this mount. Write the values out, or ' +
          'add # syntax=docker/dockerfile:1 as the first line to use a newer frontend.',
      );
      return false;
    });
  }
  const dockerPlan = planDockerCaches(
    dockerfileText,
    search,
    goEnv.modCache,
    dockerBuildCacheDirectory(goEnv.buildCache),
    fs.existsSync(path.join(inputs.workingDirectory, 'vendor')),
  );
  const buildStage = findGoBuildStage(parsed);
  dockerPlan.builderImage = buildStage ? resolveBaseImage(parsed, buildStage) : '';
  const finalStage = inputs.target
    ? parsed.stages.find((stage) => stage.name === inputs.target.toLowerCase())
    : parsed.stages.at(-1);
  if (inputs.target && !finalStage) {
    const names = parsed.stages.map((stage) => stage.name).filter((name) => name !== '');
    throw new InputError(
      `Input 'target' is '${inputs.target}', but ${inputs.file} has no stage of that name. ` +
        `Use one of: ${names.join(', ') || '(the Dockerfile names no stages; add AS <name> to a FROM line)'}.`,
    );
  }
  dockerPlan.finalBaseImage = finalStage ? resolveBaseImage(parsed, finalStage) : '';
  if (!inputs.cache) {
    // The routes name how the caches would reach the build; with the caches off none do.
    dockerPlan.routes = [];
    dockerPlan.advice = "the caches are off (input 'cache' is false)";
    core.setOutput(Output.CacheRoutes, '');
    report.cacheAdvice = dockerPlan.advice;
    return dockerPlan;
  }
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

async function runGoModVendor(workingDirectory: string): Promise<void> {
  await core.group('go mod vendor', async () => {
    await exec.exec('go', ['mod', 'vendor'], { cwd: workingDirectory });
  });
  core.info('Dependencies: go mod vendor filled vendor/, which the Dockerfile copies.');
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
    driver: dockerPlan.driver,
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

/**
 * Measures the image, compares it with the baseline, writes the JSON report, comments on the
 * pull request and checks the budgets. Returns the budget failure message, or ''. A failure to
 * measure or report is a warning: the image was built.
 */
async function reportImageSize(
  inputs: ActionInputs,
  dockerPlan: DockerCachePlan,
  session: CacheSession | undefined,
  report: RunReport,
): Promise<string> {
  const sizeInputs = inputs.sizeReport;
  const image: BuiltImage = {
    imageId: report.imageId,
    digest: report.digest,
    tags: inputs.tags,
    finalBaseImage: dockerPlan.finalBaseImage,
    pushed: inputs.push,
    loaded: inputs.load,
  };
  let sizeReport: JsonReport;
  try {
    const platforms = await measureBuiltImage(image);
    if (platforms.length === 0) return '';
    const reportCachePath = sizeReportCachePath(inputs.localCacheDir);
    const keys = sizeReportKeys(
      inputs.cacheKeyPrefix,
      sizeReportImageKey(inputs.tags, inputs.workingDirectory),
      currentRunId(),
    );
    const baseline = await findBaseline(
      sizeInputs,
      session?.backend,
      reportCachePath,
      keys.baselinePrefix,
    );
    sizeReport = writeSizeReport(sizeInputs, image, platforms, baseline, {
      caches: (session?.plan.caches ?? []).map((goCache) => cacheSummary(goCache)),
      timings: reportTimings(report),
      reportCachePath,
    });
    if (session?.plan.save) {
      core.saveState(
        State.SizeReportSave,
        JSON.stringify({ path: reportCachePath, key: keys.saveKey }),
      );
    }
  } catch (error) {
    core.warning(`The image size report could not be made: ${errorMessage(error)}`);
    return '';
  }

  report.sizeReport = sizeReport;
  setSizeOutputs(sizeReport, sizeInputs.reportFile);
  if (sizeInputs.comment) {
    try {
      core.setOutput(Output.CommentUrl, await commentOnPullRequest(sizeInputs, sizeReport));
    } catch (error) {
      core.warning(`The pull request comment could not be posted: ${errorMessage(error)}`);
    }
  }
  return sizeReport.budgets.violations.map((violation) => violation.message).join('\n');
}

async function writeSummarySafely(report: RunReport): Promise<void> {
  try {
    await writeJobSummary(report);
  } catch (error) {
    core.warning(`Writing the job summary failed: ${errorMessage(error)}`);
  }
}
