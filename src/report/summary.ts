import * as core from '@actions/core';
import { GoCache, isExactKeyMatch } from '../cache/go-caches.js';
import { DependencyResult } from '../go/dependencies.js';
import { formatDockerSize, formatSeconds } from './format.js';

/** The facts of one run that the job summary shows. */
export interface RunReport {
  imageName: string;
  imageId: string;
  digest: string;
  imageSize?: number;
  buildSeconds?: number;
  goVersion: string;
  dependencies?: DependencyResult;
  caches: GoCache[];
  cacheBackend: string;
  /** Set when the build failed; the summary then shows the error instead of a size. */
  failure?: string;
}

function cacheResult(goCache: GoCache): string {
  if (!goCache.matchedKey) return 'miss';
  return isExactKeyMatch(goCache) ? 'hit' : 'partial (restore key)';
}

/** Writes the job summary. Does nothing outside GitHub Actions, where there is no summary file. */
export async function writeJobSummary(report: RunReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const summary = core.summary.addHeading('Go image build', 2);

  if (report.failure) {
    summary.addRaw('<p><strong>Build failed.</strong></p>', true);
    summary.addCodeBlock(report.failure, 'text');
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
      report.imageName,
      shortImageId(report.imageId),
      size === undefined ? '–' : formatDockerSize(size),
      size === undefined ? '–' : String(size),
      formatSeconds(report.buildSeconds),
    ],
  ]);
  if (report.digest) summary.addRaw(`<p>Digest: <code>${report.digest}</code></p>`, true);

  const dependencyLine = report.dependencies
    ? `Go ${report.goVersion}, dependencies: ${report.dependencies.mode}, ` +
      `${report.dependencies.downloadedModules} module archives downloaded.`
    : `Go ${report.goVersion}.`;
  summary.addRaw(`<p>${dependencyLine}</p>`, true);

  if (report.caches.length > 0) {
    summary.addHeading('Go caches', 3);
    summary.addTable([
      [
        { data: 'Cache', header: true },
        { data: 'Result', header: true },
        { data: 'Primary key', header: true },
        { data: 'Matched key', header: true },
        { data: 'Restore time', header: true },
      ],
      ...report.caches.map((goCache) => [
        goCache.name,
        cacheResult(goCache),
        goCache.primaryKey,
        goCache.matchedKey || '–',
        formatSeconds(goCache.restoreSeconds),
      ]),
    ]);
    summary.addRaw(`<p>Cache backend: ${report.cacheBackend}.</p>`, true);
  }
  await summary.write();
}

/** Shortens `sha256:<64 hex>` to the 12 hex digits that `docker image ls` prints. */
export function shortImageId(imageId: string): string {
  const hex = imageId.replace(/^sha256:/, '');
  return hex ? hex.slice(0, 12) : '–';
}
