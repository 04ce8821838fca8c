import * as core from '@actions/core';
import * as exec from '@actions/exec';
import { context as githubContext } from '@actions/github';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CacheBackend } from '../cache/backend.js';
import { errorMessage } from '../cache/go-caches.js';
import { measureLocalImage, measureRegistryImage } from '../docker/image-size.js';
import { SizeReportInputs } from '../inputs.js';
import { commentKey, commentMarker, upsertSizeComment } from './comment.js';
import { Baseline, noBaseline, PlatformSize } from './delta.js';
import {
  baselineFromReport,
  buildJsonReport,
  JsonObject,
  JsonReport,
  platformSizeFromMeasurement,
  readJsonReport,
  ReportFileError,
  writeJsonReport,
} from './json-report.js';
import { renderSizeComment } from './markdown.js';

/** Facts about the built image that the size report needs. */
export interface BuiltImage {
  imageId: string;
  digest: string;
  tags: string[];
  /** Base image of the final stage after FROM <stage> links, or 'scratch'. */
  finalBaseImage: string;
  pushed: boolean;
  /** Whether the image is in the local image store. */
  loaded: boolean;
}

/**
 * Identifies an image across runs for the size report's cache entry: the repository of the
 * first tag, or the working directory when there is none.
 */
export function sizeReportImageKey(tags: string[], workingDirectory: string): string {
  const repository = tags[0]?.replace(/@.*$/, '').replace(/:[\w][\w.-]*$/, '');
  const identity = repository || path.basename(workingDirectory);
  return crypto.createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/** Branch whose size reports are baselines for this run: the pull request's base, or this one. */
export function baselineBranch(env: NodeJS.ProcessEnv = process.env): string {
  const branch = env.GITHUB_BASE_REF || env.GITHUB_REF_NAME || 'local';
  return branch.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Keys of the size report entry this run saves, and the prefix that finds the latest one. */
export function sizeReportKeys(
  prefix: string,
  imageKey: string,
  runId: string,
  env: NodeJS.ProcessEnv = process.env,
): { saveKey: string; baselinePrefix: string } {
  const ownBranch = (env.GITHUB_REF_NAME || 'local').replace(/[^A-Za-z0-9._-]/g, '_');
  return {
    saveKey: `${prefix}-size-report-${ownBranch}-${imageKey}-${runId}`,
    baselinePrefix: `${prefix}-size-report-${baselineBranch(env)}-${imageKey}-`,
  };
}

async function isInImageStore(imageRef: string): Promise<boolean> {
  const result = await exec.getExecOutput(
    'docker',
    ['image', 'inspect', '--format', '{{.Id}}', imageRef],
    {
      silent: true,
      ignoreReturnCode: true,
    },
  );
  return result.exitCode === 0;
}

/** Measures the built image: locally when it was loaded, and in the registry when pushed. */
export async function measureBuiltImage(image: BuiltImage): Promise<PlatformSize[]> {
  const pushed =
    image.pushed && image.tags[0] ? await measureRegistryImage(image.tags[0]) : undefined;
  if (image.loaded && image.imageId && (await isInImageStore(image.imageId))) {
    const local = await measureLocalImage(image.imageId, image.finalBaseImage);
    const pushedPlatform = pushed?.platforms.find(
      (platform) => platform.platform === local.platform,
    );
    return [platformSizeFromMeasurement(local, pushedPlatform ?? pushed?.platforms[0])];
  }
  if (!pushed) return [];
  // NOTE: a registry stores compressed layers only, so an image that was pushed but not loaded
  // has no uncompressed size here. It is reported as 0, and budgets should use compressed sizes.
  return pushed.platforms.map((platform) => ({
    platform: platform.platform,
    uncompressedBytes: 0,
    compressedBytes: platform.compressedSize,
    compressedIsEstimate: false,
    layers: platform.layers.map((layer) => ({
      uncompressedBytes: 0,
      compressedBytes: layer.size,
      createdBy: '',
    })),
  }));
}

/**
 * Finds the baseline: `baseline-size`, then `baseline-image` (pulled when missing and measured
 * like the build), then the latest report saved for the base branch in the cache. A baseline
 * that cannot be had becomes `none` with the reason, never an error.
 */
export async function findBaseline(
  inputs: SizeReportInputs,
  backend: CacheBackend | undefined,
  reportCachePath: string,
  baselinePrefix: string,
): Promise<Baseline> {
  if (inputs.baselineSize !== undefined) {
    return {
      kind: 'number',
      source: `baseline-size ${inputs.baselineSize.text}`,
      uncompressedBytes: inputs.baselineSize.bytes,
    };
  }
  if (inputs.baselineImage) return measureBaselineImage(inputs.baselineImage);
  if (!backend) return noBaseline('the cache is off, so no earlier report could be restored');
  try {
    const matchedKey = await backend.restore([reportCachePath], `${baselinePrefix}none`, [
      baselinePrefix,
    ]);
    if (!matchedKey) {
      return noBaseline(
        `no size report of the base branch was found in the cache (prefix ${baselinePrefix})`,
      );
    }
    return baselineFromReport(readJsonReport(reportCachePath), `cache entry ${matchedKey}`);
  } catch (error) {
    const reason = error instanceof ReportFileError ? error.message : errorMessage(error);
    core.warning(`The base branch's size report could not be used: ${reason}`);
    return noBaseline(reason);
  }
}

async function measureBaselineImage(reference: string): Promise<Baseline> {
  try {
    if (!(await isInImageStore(reference))) {
      await exec.exec('docker', ['pull', '--quiet', reference], { silent: true });
    }
    const measured = await measureLocalImage(reference);
    return {
      kind: 'image',
      source: reference,
      platforms: [
        {
          platform: measured.platform,
          uncompressedBytes: measured.size,
          compressedBytes: measured.compressedSize,
        },
      ],
    };
  } catch (error) {
    const reason = `baseline-image ${reference} could not be measured: ${errorMessage(error)}`;
    core.warning(reason);
    return noBaseline(reason);
  }
}

/** Posts or updates the pull request comment; a token that cannot write only warns. */
export async function commentOnPullRequest(
  inputs: SizeReportInputs,
  report: JsonReport,
): Promise<string> {
  const pullRequest = githubContext.payload.pull_request;
  if (!pullRequest) {
    core.info('Size comment skipped: this run is not for a pull request.');
    return '';
  }
  if (!inputs.githubToken) {
    core.warning("Size comment skipped: input 'github-token' is empty.");
    return '';
  }
  const key = commentKey(
    inputs.commentMode,
    githubContext.workflow,
    report.image.name || report.image.tags[0] || '',
  );
  const marker = commentMarker(key);
  const runUrl = report.run.runUrl;
  const result = await upsertSizeComment({
    token: inputs.githubToken,
    repository: githubContext.repo,
    issueNumber: pullRequest.number,
    marker,
    body: renderSizeComment([report], { marker, runUrl }),
  });
  if (result.status === 'not-permitted') {
    core.warning(`Size comment not posted (HTTP ${result.httpStatus}): ${result.message}`);
    return '';
  }
  core.info(`Size comment ${result.status}: ${result.url}`);
  return result.url;
}

/** Builds the JSON report and writes it to the report file and the cache path. */
export function writeSizeReport(
  inputs: SizeReportInputs,
  image: BuiltImage,
  platforms: PlatformSize[],
  baseline: Baseline,
  extra: { caches: JsonObject[]; timings: Record<string, number>; reportCachePath: string },
): JsonReport {
  const serverUrl = process.env.GITHUB_SERVER_URL || 'https://github.com';
  const repository = process.env.GITHUB_REPOSITORY;
  const runId = process.env.GITHUB_RUN_ID;
  const report = buildJsonReport({
    image: {
      name: image.tags[0]?.replace(/@.*$/, '').replace(/:[\w][\w.-]*$/, '') ?? '',
      tags: image.tags,
      imageId: image.imageId,
      digest: image.digest,
    },
    platforms,
    caches: extra.caches,
    timings: extra.timings,
    baseline,
    limits: {
      maxSize: inputs.maxSize,
      maxIncrease: inputs.maxIncrease,
      sizeKind: inputs.budgetSizeKind,
    },
    run: {
      repository,
      ref: process.env.GITHUB_REF,
      sha: process.env.GITHUB_SHA,
      workflow: process.env.GITHUB_WORKFLOW,
      runId,
      runUrl: repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}` : undefined,
    },
  });
  writeJsonReport(inputs.reportFile, report);
  fs.mkdirSync(path.dirname(extra.reportCachePath), { recursive: true });
  fs.copyFileSync(inputs.reportFile, extra.reportCachePath);
  return report;
}
