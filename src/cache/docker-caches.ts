import * as core from '@actions/core';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GoCacheKind, GoCacheMount, MountSearchResult } from './mount-finder.js';
import {
  directorySize,
  exportCacheMount,
  findTransferProblem,
  runSeedBuild,
  TransferResult,
} from './mount-transfer.js';
import { findSeedStreamAddress } from './seed-stream.js';

/** A way the runner's Go caches reach the compile inside the Docker build. */
export type CacheRoute = 'cache-mounts' | 'vendor' | 'build-contexts';

/** Routes by which the caches reach this build, decided from the Dockerfile before it runs. */
export interface DockerCachePlan {
  routes: CacheRoute[];
  /** The first mount of each kind; the one that is seeded and exported. */
  mounts: Partial<Record<GoCacheKind, GoCacheMount>>;
  /** Named build contexts to pass as --build-context name=path. */
  buildContexts: string[];
  /** Set when the Dockerfile copies vendor/ but the project has none yet. */
  needsGoModVendor: boolean;
  /** The two-line Dockerfile change that lets the caches in, when no route applies. */
  advice: string;
  /** Base image of the stage that runs go build, or '' when none was found. */
  builderImage: string;
  /** Base image of the final stage (the target), 'scratch' included, or '' when unknown. */
  finalBaseImage: string;
  /** Buildx driver of the builder. */
  driver: string;
}

export const MODULE_CACHE_CONTEXT = 'gomodcache';
export const BUILD_CACHE_CONTEXT = 'gocache';

const VENDOR_REFERENCE = /-mod=vendor|^\s*(?:COPY|ADD)\s+(?:--\S+\s+)*(?:\.\/)?vendor\b/im;
const NAMED_CONTEXT_REFERENCE = (name: string): RegExp =>
  new RegExp(`(?:from=|--from=)${name}(?![\\w-])`, 'i');

export const MOUNT_ADVICE =
  'Add these flags to the RUN instruction that runs go build: ' +
  '--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build';

/**
 * Chooses how the caches reach the build: seeding the Dockerfile's Go cache mounts, a
 * vendor/ directory the Dockerfile copies, or named build contexts the Dockerfile reads.
 */
export function planDockerCaches(
  dockerfileText: string,
  search: MountSearchResult,
  modCache: string,
  dockerBuildCache: string,
  projectHasVendor: boolean,
): DockerCachePlan {
  const routes: CacheRoute[] = [];
  const mounts: Partial<Record<GoCacheKind, GoCacheMount>> = {};
  for (const found of search.mounts) {
    const problem = findTransferProblem(found);
    if (problem) {
      core.warning(
        `The Go ${found.kind} cache mount at line ${found.line} is not seeded: ${problem}.`,
      );
      continue;
    }
    mounts[found.kind] ??= found;
  }
  if (mounts.modules || mounts.build) routes.push('cache-mounts');

  const copiesVendor = VENDOR_REFERENCE.test(dockerfileText);
  if (copiesVendor) routes.push('vendor');

  const buildContexts: string[] = [];
  if (NAMED_CONTEXT_REFERENCE(MODULE_CACHE_CONTEXT).test(dockerfileText)) {
    buildContexts.push(`${MODULE_CACHE_CONTEXT}=${modCache}`);
  }
  if (NAMED_CONTEXT_REFERENCE(BUILD_CACHE_CONTEXT).test(dockerfileText)) {
    buildContexts.push(`${BUILD_CACHE_CONTEXT}=${dockerBuildCache}`);
  }
  if (buildContexts.length > 0) routes.push('build-contexts');

  return {
    routes,
    mounts,
    buildContexts,
    needsGoModVendor: copiesVendor && !projectHasVendor,
    advice: routes.length === 0 ? MOUNT_ADVICE : '',
    builderImage: '',
    finalBaseImage: '',
    driver: '',
  };
}

/**
 * Identifies the Go toolchain and target of the Docker build cache: the builder stage's base
 * image and the target platforms. Go's build cache entries depend on both.
 */
export function dockerBuildIdentity(
  baseImage: string,
  imageId: string,
  platforms: string[],
): string {
  const identity = `${baseImage}@${imageId}|${platforms.join(',') || 'native'}`;
  return crypto.createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

/** Transfer results by cache kind, for the summary and the post step. */
export type TransferResults = Partial<Record<GoCacheKind, TransferResult>>;

/**
 * Copies the restored caches into the Dockerfile's cache mounts before the main build, with one
 * generated build per mount. The seeds run in the background: the build cache seed starts
 * right after the restore, while the runner still verifies and downloads modules, and the
 * module cache seed starts once that is done. Failures become warnings.
 */
export class CacheMountSeeder {
  private readonly seedId = crypto.randomBytes(8).toString('hex');
  private readonly pending = new Map<
    GoCacheKind,
    { hostDirectory: string; seed: Promise<TransferResult> }
  >();
  /** Address of the runner that the builder can download from, found at the first seed. */
  private streamAddress?: Promise<string>;

  constructor(
    private readonly plan: DockerCachePlan,
    private readonly builder: string,
    private readonly timeoutMs: number,
  ) {}

  /** Starts the seed of the `kind` mount from `hostDirectory`, if the Dockerfile has the mount. */
  start(kind: GoCacheKind, hostDirectory: string): void {
    const found = this.plan.mounts[kind];
    if (!found || this.pending.has(kind)) return;
    // An empty build cache is still seeded: the marker then makes the export keep only what
    // this build used, not whatever other builds left in a shared builder's mount.
    if (kind === 'modules' && !hasEntries(hostDirectory)) {
      core.info(`Go ${kind} cache mount ${found.mount.target}: nothing restored, not seeded.`);
      return;
    }
    fs.mkdirSync(hostDirectory, { recursive: true });
    this.streamAddress ??= findSeedStreamAddress(this.plan.driver).catch(() => '');
    const seed = this.streamAddress
      .then((streamAddress) =>
        runSeedBuild(
          [{ found, hostDirectory }],
          this.builder,
          this.seedId,
          this.timeoutMs,
          streamAddress,
        ),
      )
      .catch((error: unknown): TransferResult => ({
        ok: false,
        seconds: 0,
        bytes: 0,
        problem: `the generated build could not start: ${String(error)}`,
      }));
    this.pending.set(kind, { hostDirectory, seed });
  }

  /**
   * Waits for the started seeds, logs each result and returns them with the seconds spent
   * waiting, which is how long the seeds delayed the build.
   */
  async finish(): Promise<{ results: TransferResults; waitSeconds: number }> {
    const waitStarted = Date.now();
    const results: TransferResults = {};
    for (const [kind, { hostDirectory, seed }] of this.pending) {
      const result = await seed;
      const found = this.plan.mounts[kind] as GoCacheMount;
      const bytes = directorySize(hostDirectory);
      results[kind] = { ...result, bytes, seedId: result.ok ? this.seedId : undefined };
      if (result.ok) {
        core.info(
          `Go ${kind} cache mount ${found.mount.target} (id ${found.mount.id}) seeded with ` +
            `${(bytes / 1e6).toFixed(1)} MB in ${result.seconds.toFixed(1)} s ` +
            `(${result.route === 'stream' ? 'streamed from the runner' : 'sent as a build context'}).`,
        );
      } else {
        core.warning(
          `Go ${kind} cache mount ${found.mount.target} was not seeded: ${result.problem}.`,
        );
      }
    }
    this.pending.clear();
    const waitSeconds = (Date.now() - waitStarted) / 1000;
    if (Object.keys(results).length > 0) {
      core.info(`Waited ${waitSeconds.toFixed(1)} s for the cache mount seeds to finish.`);
    }
    return { results, waitSeconds };
  }
}

/**
 * Copies the Dockerfile's cache mounts out to the runner after the build, so the post step can
 * save them. The module mount is exported only when `exportModules` is set, because the
 * runner's own `go mod download` already filled GOMODCACHE.
 */
export async function exportCacheMounts(
  plan: DockerCachePlan,
  hostDirectories: Record<GoCacheKind, string>,
  builder: string,
  exportModules: boolean,
  seeds: TransferResults,
  timeoutMs: number,
): Promise<TransferResults> {
  const results: TransferResults = {};
  for (const kind of ['modules', 'build'] as const) {
    const found = plan.mounts[kind];
    if (!found || (kind === 'modules' && !exportModules)) continue;
    const result = await exportCacheMount(
      found,
      hostDirectories[kind],
      builder,
      seeds[kind]?.seedId ?? '',
      timeoutMs,
    );
    results[kind] = result;
    if (result.ok) {
      core.info(
        `Go ${kind} cache mount ${found.mount.target} exported: ` +
          `${(result.bytes / 1e6).toFixed(1)} MB copied out in ${result.seconds.toFixed(1)} s, ` +
          `${((result.finalBytes ?? result.bytes) / 1e6).toFixed(1)} MB to save.`,
      );
    } else {
      core.warning(
        `Go ${kind} cache mount ${found.mount.target} was not exported: ${result.problem}.`,
      );
    }
  }
  return results;
}

function hasEntries(directory: string): boolean {
  try {
    return fs.readdirSync(directory).length > 0;
  } catch {
    return false;
  }
}

/** Returns the runner-side directory that keeps the Docker build's Go build cache between runs. */
export function dockerBuildCacheDirectory(runnerBuildCache: string): string {
  return path.join(path.dirname(runnerBuildCache), `${path.basename(runnerBuildCache)}-docker`);
}
