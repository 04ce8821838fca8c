import * as core from '@actions/core';
import { Output, State } from '../constants.js';
import { verifyModuleCache } from '../go/dependencies.js';
import { GoEnvironment } from '../go/env.js';
import { DependencyMode } from '../go/dependencies.js';
import { ActionInputs } from '../inputs.js';
import { readColdBuildRecord, writeColdBuildRecord } from '../report/cold-build.js';
import { RunReport } from '../report/summary.js';
import { CacheBackend, selectCacheBackend } from './backend.js';
import { DockerCachePlan, exportCacheMounts, TransferResults } from './docker-caches.js';
import {
  CachePlan,
  findExportProblem,
  GoCache,
  isExactKeyMatch,
  restoreGoCaches,
} from './go-caches.js';
import { directorySize } from './mount-transfer.js';
import { planGoCaches } from './plan.js';
import { decideCacheSave } from './save-policy.js';

/** The restored caches of a run, kept until the build is done and they are exported. */
export interface CacheSession {
  plan: CachePlan;
  hostDirectories: { modules: string; build: string };
  backend: CacheBackend;
}

/**
 * Checks a restored module cache with go mod verify before the build uses it, and returns
 * false when it was tampered and removed. An entry restored from the exact key cannot be
 * replaced by saving again, so the warning then explains how to leave it behind.
 */
export async function verifyRestoredModules(
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

/**
 * Restores the Go caches and records the plan that the post step saves from. `onRestored` is
 * called as each cache's directory becomes final.
 */
export async function restoreCaches(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  mode: DependencyMode,
  dockerPlan: DockerCachePlan,
  report: RunReport,
  onRestored: (goCache: GoCache) => void = () => {},
): Promise<CacheSession> {
  const backend = selectCacheBackend(inputs.localCacheDir, inputs.cacheTimeoutSeconds * 1000);
  const caches = await planGoCaches(inputs, goEnv, mode, dockerPlan);
  // The build cache goes first, so that its seed into the Docker build can run while the
  // module cache is restored, verified and completed.
  const restoreOrder = [
    ...caches.filter((goCache) => goCache.name === 'build'),
    ...caches.filter((goCache) => goCache.name !== 'build'),
  ];
  await restoreGoCaches(backend, restoreOrder, onRestored);
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
  return { plan, hostDirectories, backend };
}

/**
 * Copies the build's cache mounts out, checks each export against what was restored, and
 * records the results for the post step.
 */
export async function exportCaches(
  inputs: ActionInputs,
  goEnv: GoEnvironment,
  dockerPlan: DockerCachePlan,
  session: CacheSession,
  report: RunReport,
): Promise<void> {
  // A build that finished without running any Go compile step took it from BuildKit's layer
  // cache: the build cache mount was not used, so its export would drop every seeded entry.
  const buildCache = session.plan.caches.find((goCache) => goCache.name === 'build');
  const compileCached = report.buildSeconds !== undefined && report.compileSeconds === undefined;
  let plan = dockerPlan;
  if (compileCached && dockerPlan.mounts.build) {
    core.info(
      "The Go compile steps came from BuildKit's layer cache, so the build cache mount is " +
        'unchanged and not exported.',
    );
    if (buildCache)
      buildCache.skipSaveReason = "the build took its Go compile steps from BuildKit's layer cache";
    plan = { ...dockerPlan, mounts: { ...dockerPlan.mounts, build: undefined } };
  }
  const exported: TransferResults = await exportCacheMounts(
    plan,
    session.hostDirectories,
    inputs.builder,
    goEnv.isDefault,
    report.transfers.seed,
    inputs.cacheTimeoutSeconds * 1000,
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

  if (buildCache && exported.build?.ok) {
    const isCold = buildCache.matchedKey === undefined;
    const coldSeconds = isCold ? report.compileSeconds : report.coldCompileSeconds;
    if (coldSeconds !== undefined) writeColdBuildRecord(session.hostDirectories.build, coldSeconds);
  }
  core.saveState(State.CachePlan, JSON.stringify(session.plan));
}
