import * as core from '@actions/core';
import { CacheRoute, TransferResults } from '../cache/docker-caches.js';
import { GoCache, isExactKeyMatch } from '../cache/go-caches.js';
import { DependencyResult } from '../go/dependencies.js';
import { formatDockerSize, formatSeconds } from './format.js';
import { JsonObject, JsonReport } from './json-report.js';
import { renderSizeSummary } from './markdown.js';
import { Output } from '../constants.js';

/** The facts of one run that the job summary shows. */
export interface RunReport {
  /** First tag, or a label naming the folder when the image has no tag. */
  imageName: string;
  imageTags: string[];
  imageId: string;
  digest: string;
  imageSize?: number;
  buildSeconds?: number;
  /** Seconds of the RUN steps that ran go build, go install or go test. */
  compileSeconds?: number;
  /** The same for the last build that had no restored build cache, when recorded. */
  coldCompileSeconds?: number;
  goVersion: string;
  dependencies?: DependencyResult;
  caches: GoCache[];
  cacheBackend: string;
  cacheRoutes: CacheRoute[];
  /** How to let the caches in, when no route applies. */
  cacheAdvice: string;
  /**
   * Results of the copies into and out of the cache mounts. `seedWaitSeconds` is how long the
   * build waited for the seeds, which run while the runner prepares modules.
   */
  transfers: { seed: TransferResults; export: TransferResults; seedWaitSeconds?: number };
  /** Set when the build failed; the summary then shows the error instead of a size. */
  failure?: string;
  /** The size report, when the image was measured. */
  sizeReport?: JsonReport;
  /** Budget violations that fail the step. */
  budgetFailure?: string;
}

/** Escapes text for an HTML table cell or paragraph of the job summary. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function cacheResult(goCache: GoCache): string {
  if (!goCache.matchedKey) return 'miss';
  if (isExactKeyMatch(goCache)) return 'hit';
  // The build cache key has the run in it, so its normal hit is the newest entry by prefix.
  return goCache.name === 'build' ? 'hit (newest entry)' : 'partial (restore key)';
}

function formatMegabytes(bytes: number | undefined): string {
  return bytes === undefined ? '–' : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Writes the job summary. Does nothing outside GitHub Actions, where there is no summary file. */
export async function writeJobSummary(report: RunReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const summary = core.summary.addHeading('Go image build', 2);

  if (report.failure) {
    summary.addRaw('<p><strong>Build failed.</strong></p>', true);
    summary.addCodeBlock(escapeHtml(report.failure), 'text');
  }

  const size = report.imageSize;
  summary.addTable([
    [
      { data: 'Image', header: true },
      { data: 'Image ID', header: true },
      { data: 'Size', header: true },
      { data: 'Bytes', header: true },
      { data: 'Build time', header: true },
    ],
    [
      report.imageTags.length > 1
        ? report.imageTags.map((tag) => escapeHtml(tag)).join('<br>')
        : escapeHtml(report.imageName),
      shortImageId(report.imageId),
      size === undefined ? '–' : formatDockerSize(size),
      size === undefined ? '–' : String(size),
      formatSeconds(report.buildSeconds),
    ],
  ]);
  if (report.digest)
    summary.addRaw(`<p>Digest: <code>${escapeHtml(report.digest)}</code></p>`, true);

  const dependencyLine = report.dependencies
    ? `Go ${escapeHtml(report.goVersion)}, dependencies: ${report.dependencies.mode}, ` +
      `${report.dependencies.downloadedModules} module ` +
      `${report.dependencies.downloadedModules === 1 ? 'archive' : 'archives'} downloaded.`
    : `Go ${escapeHtml(report.goVersion)}.`;
  summary.addRaw(`<p>${dependencyLine}</p>`, true);

  if (report.budgetFailure) {
    summary.addRaw('<p><strong>Size budget exceeded.</strong></p>', true);
    summary.addCodeBlock(escapeHtml(report.budgetFailure), 'text');
  }
  if (report.sizeReport) summary.addRaw(renderSizeSummary(report.sizeReport), true);
  addCacheSection(summary, report);
  await summary.write();
}

function addCacheSection(summary: typeof core.summary, report: RunReport): void {
  summary.addHeading('Go caches', 3);
  if (report.cacheRoutes.length > 0) {
    summary.addRaw(
      `<p>The caches reach the build through: ${report.cacheRoutes.join(', ')}.</p>`,
      true,
    );
  } else {
    summary.addRaw(
      `<p>The caches did not reach the build. ${escapeHtml(report.cacheAdvice)}.</p>`,
      true,
    );
  }
  if (report.caches.length === 0) return;

  summary.addTable([
    [
      { data: 'Cache', header: true },
      { data: 'Used by', header: true },
      { data: 'Result', header: true },
      { data: 'Primary key', header: true },
      { data: 'Matched key', header: true },
      { data: 'Restore time', header: true },
      { data: 'Size restored', header: true },
      { data: 'Size after build', header: true },
    ],
    ...report.caches.map((goCache) => [
      goCache.name,
      goCache.usedBy,
      cacheResult(goCache),
      escapeHtml(goCache.primaryKey),
      escapeHtml(goCache.matchedKey || '–'),
      formatSeconds(goCache.restoreSeconds),
      goCache.matchedKey ? formatMegabytes(goCache.restoredBytes) : '–',
      formatMegabytes(goCache.exportedBytes),
    ]),
  ]);
  summary.addRaw(`<p>Cache backend: ${report.cacheBackend}.</p>`, true);
  summary.addRaw(`<p>${escapeHtml(describePayoff(report))}</p>`, true);
}

/**
 * Returns how long the seeds delayed the build: the recorded wait, or else the longest seed,
 * because the seeds run at the same time.
 */
function seedDelaySeconds(report: RunReport): number {
  if (report.transfers.seedWaitSeconds !== undefined) return report.transfers.seedWaitSeconds;
  return Math.max(0, ...Object.values(report.transfers.seed).map((result) => result?.seconds ?? 0));
}

/**
 * Compares what the caches cost (restore, copy into and out of the build) with the compile
 * time they saved against the last build without a restored build cache, where known.
 */
export function describePayoff(report: RunReport): string {
  const restoreSeconds = report.caches.reduce(
    (total, goCache) => total + (goCache.restoreSeconds ?? 0),
    0,
  );
  const seedSeconds = seedDelaySeconds(report);
  const exportSeconds = Object.values(report.transfers.export).reduce(
    (total, result) => total + (result?.seconds ?? 0),
    0,
  );
  const transferSeconds = seedSeconds + exportSeconds;
  const cost = `Restore ${restoreSeconds.toFixed(1)} s, copy into and out of the build ${transferSeconds.toFixed(1)} s.`;
  if (report.compileSeconds === undefined) return `${cost} Go compile time: not measured.`;
  const compile = `Go compile ${report.compileSeconds.toFixed(1)} s`;
  if (report.coldCompileSeconds === undefined)
    return `${cost} ${compile}; no cold build recorded to compare with.`;
  const saved = report.coldCompileSeconds - report.compileSeconds;
  const comparison = `${compile} against ${report.coldCompileSeconds.toFixed(1)} s in the last build without a restored build cache`;
  if (saved <= 0) return `${cost} ${comparison}: no time saved in this run.`;
  return `${cost} ${comparison}: ${saved.toFixed(1)} s saved.`;
}

/** Shortens `sha256:<64 hex>` to the 12 hex digits that `docker image ls` prints. */
export function shortImageId(imageId: string): string {
  const hex = imageId.replace(/^sha256:/, '');
  return hex ? hex.slice(0, 12) : '–';
}

/** Converts a cache's results to the object that goes into the JSON report. */
export function cacheSummary(goCache: GoCache): JsonObject {
  const summary: JsonObject = {
    name: goCache.name,
    usedBy: goCache.usedBy,
    result: cacheResult(goCache),
    primaryKey: goCache.primaryKey,
    matchedKey: goCache.matchedKey ?? null,
  };
  if (goCache.restoreSeconds !== undefined) summary.restoreSeconds = goCache.restoreSeconds;
  if (goCache.restoredBytes !== undefined) summary.restoredBytes = goCache.restoredBytes;
  if (goCache.exportedBytes !== undefined) summary.exportedBytes = goCache.exportedBytes;
  return summary;
}

/** Durations in seconds for the JSON report. */
export function reportTimings(report: RunReport): Record<string, number> {
  const timings: Record<string, number> = {};
  if (report.buildSeconds !== undefined) timings.build = report.buildSeconds;
  if (report.compileSeconds !== undefined) timings.goCompile = report.compileSeconds;
  if (report.coldCompileSeconds !== undefined) timings.goCompileCold = report.coldCompileSeconds;
  const restore = report.caches.reduce(
    (total, goCache) => total + (goCache.restoreSeconds ?? 0),
    0,
  );
  timings.cacheRestore = restore;
  const seed = Object.values(report.transfers.seed).map((result) => result?.seconds ?? 0);
  timings.cacheSeed = Math.max(0, ...seed);
  timings.cacheSeedWait = seedDelaySeconds(report);
  timings.cacheExport = Object.values(report.transfers.export).reduce(
    (total, result) => total + (result?.seconds ?? 0),
    0,
  );
  return timings;
}

/** Sets the size outputs from the report's first platform. */
export function setSizeOutputs(report: JsonReport, reportFile: string): void {
  core.setOutput(Output.ReportFile, reportFile);
  core.setOutput(Output.BudgetViolations, String(report.budgets.violations.length));
  const platform = report.platforms[0];
  if (platform?.compressedBytes !== undefined) {
    core.setOutput(Output.ImageSizeCompressed, String(platform.compressedBytes));
  }
  const delta = report.delta[0]?.uncompressed;
  core.setOutput(Output.SizeDelta, delta && delta.bytes !== null ? String(delta.bytes) : '');
  core.setOutput(
    Output.SizeDeltaPercent,
    delta && delta.percent !== null && delta.percent !== undefined ? delta.percent.toFixed(1) : '',
  );
}

/** Path the latest size report is kept at, for the cache entry that later runs compare with. */
export function sizeReportCachePath(localCacheDir: string): string {
  return `${localCacheDir}/size-report/report.json`;
}
