import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastLines } from '../docker/buildx.js';
import { makeWritable } from '../fs-utils.js';
import { GoCacheMount } from './mount-finder.js';

/**
 * Name of the file that marks when a build cache mount was seeded. Seeded files get its
 * modification time, two hours in the past; Go moves the modification time of each build cache
 * entry it uses to the present when the entry is older than one hour (cmd/go/internal/cache,
 * mtimeInterval). Files newer than the marker after the build are the entries it used or made.
 */
export const SEED_MARKER = '.go-buildx-seeded';

/** Go's record of its last cache trim; never carried between runs, so Go keeps trimming. */
const TRIM_FILE = 'trim.txt';

const SEED_AGE_SECONDS = 2 * 60 * 60;

/** Result of one generated build that copies a cache into or out of a mount. */
export interface TransferResult {
  ok: boolean;
  seconds: number;
  bytes: number;
  /** Why the transfer did not happen, for the summary. */
  problem?: string;
}

/** Quotes a value for /bin/sh. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The `--mount=type=cache,...` flag that opens the same BuildKit cache as the Dockerfile's. */
export function cacheMountFlag(found: GoCacheMount): string {
  const { mount } = found;
  const fields = [
    `type=cache`,
    `id=${mount.id}`,
    `target=${mount.target}`,
    `sharing=${mount.sharing}`,
  ];
  if (mount.uid !== undefined) fields.push(`uid=${mount.uid}`);
  if (mount.gid !== undefined) fields.push(`gid=${mount.gid}`);
  if (mount.mode !== undefined) fields.push(`mode=${mount.mode}`);
  return `--mount=${fields.join(',')}`;
}

/**
 * Returns why the mount cannot be copied by a generated build, or '' when it can. Values with
 * commas, quotes or line breaks would change the meaning of the generated --mount flag.
 */
export function findTransferProblem(found: GoCacheMount): string {
  const { mount } = found;
  const values = [mount.id, mount.target, mount.sharing, mount.uid, mount.gid, mount.mode];
  if (values.some((value) => value !== undefined && /[,"'\n\r\s]/.test(value))) {
    return `the mount at line ${found.line} has a comma, quote or space in its id or options`;
  }
  if (found.mount.from) return `the mount at line ${found.line} uses from=${found.mount.from}`;
  if (found.baseImage === 'scratch') return `the stage of line ${found.line} starts FROM scratch`;
  return '';
}

/** Formats a UTC time as `touch -t` expects it: CCYYMMDDhhmm.ss. */
export function touchTimestamp(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}.${pad(date.getUTCSeconds())}`
  );
}

/** Writes the Dockerfile of the build that copies `/go-buildx-seed` (the context) into the mount. */
export function seedDockerfile(found: GoCacheMount, now: Date): string {
  const target = shellQuote(found.mount.target);
  const owner = `${found.mount.uid ?? '0'}:${found.mount.gid ?? '0'}`;
  const commands = [
    'set -e',
    'echo "go-buildx seed $GO_BUILDX_NONCE"',
    `cp -a /go-buildx-seed/. ${target}/`,
    `chown -R ${owner} ${target}`,
  ];
  if (found.kind === 'build') {
    const marker = shellQuote(`${found.mount.target}/${SEED_MARKER}`);
    const seededAt = touchTimestamp(new Date(now.getTime() - SEED_AGE_SECONDS * 1000));
    commands.push(
      `touch -t ${seededAt} ${marker}`,
      `find ${target} -type f -exec touch -r ${marker} {} +`,
    );
  }
  commands.push('echo done > /go-buildx-done');
  return [
    `FROM ${found.baseImage} AS seed`,
    'ARG GO_BUILDX_NONCE',
    `RUN --mount=type=bind,target=/go-buildx-seed ${cacheMountFlag(found)} \\`,
    `    ${commands.join(' && \\\n    ')}`,
    'FROM scratch',
    'COPY --from=seed /go-buildx-done /',
    '',
  ].join('\n');
}

/**
 * Writes the Dockerfile of the build that copies the mount out to `/go-buildx-export`. For a
 * seeded build cache only the entries this build used or made are copied, which keeps the
 * saved cache bounded. trim.txt is never copied.
 */
export function exportDockerfile(found: GoCacheMount): string {
  const target = shellQuote(found.mount.target);
  const exportDirectory = '/go-buildx-export';
  const commands = [
    'set -e',
    'echo "go-buildx export $GO_BUILDX_NONCE"',
    `mkdir -p ${exportDirectory}`,
    `cp -a ${target}/. ${exportDirectory}/`,
    `cd ${exportDirectory}`,
  ];
  if (found.kind === 'build') {
    // cp -a keeps modification times, so the seed marker still separates used from unused
    // entries here. "! -newer" also matches the marker itself. busybox tar has no -T, so the
    // selection deletes from a full copy instead of archiving a list.
    commands.push(
      `if [ -f ${SEED_MARKER} ]; then find . -type f ! -newer ${SEED_MARKER} -exec rm -f {} +; fi`,
    );
  }
  commands.push(`rm -f ${TRIM_FILE} ${SEED_MARKER}`);
  return [
    `FROM ${found.baseImage} AS export`,
    'ARG GO_BUILDX_NONCE',
    `RUN ${cacheMountFlag(found)} \\`,
    `    ${commands.join(' && \\\n    ')}`,
    'FROM scratch',
    `COPY --from=export ${exportDirectory}/ /`,
    '',
  ].join('\n');
}

/** Returns the total size in bytes of the regular files below `directory`. */
export function directorySize(directory: string): number {
  if (!fs.existsSync(directory)) return 0;
  let total = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/**
 * Runs a generated build with `--output type=local`. The nonce build argument changes the
 * cache key of the RUN step, so BuildKit never answers a transfer from its layer cache.
 */
async function runTransferBuild(
  dockerfileText: string,
  context: string,
  outputDirectory: string,
  builder: string,
): Promise<{ exitCode: number; output: string }> {
  const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'go-buildx-transfer-'));
  const dockerfilePath = path.join(workDirectory, 'Dockerfile');
  fs.writeFileSync(dockerfilePath, dockerfileText);
  const args = ['buildx', 'build', '--progress', 'plain'];
  if (builder) args.push('--builder', builder);
  args.push(
    '--file',
    dockerfilePath,
    '--build-arg',
    `GO_BUILDX_NONCE=${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}`,
    '--output',
    `type=local,dest=${outputDirectory}`,
    context,
  );
  core.debug(`Transfer build:\n${dockerfileText}\ndocker ${JSON.stringify(args)}`);
  try {
    const result = await exec.getExecOutput('docker', args, {
      silent: true,
      ignoreReturnCode: true,
    });
    return { exitCode: result.exitCode, output: result.stdout + result.stderr };
  } finally {
    fs.rmSync(workDirectory, { recursive: true, force: true });
  }
}

/** Runtime errors of a base image without a shell or the file tools the transfers use. */
const MISSING_TOOL =
  /"\/bin\/sh": stat \/bin\/sh: no such file|\/bin\/sh: not found|executable file not found in \$PATH|\b(?:cp|find|chown|touch|rm): not found/;

/** Explains a failed transfer build; a base image without a shell is the usual cause. */
function describeTransferFailure(found: GoCacheMount, output: string): string {
  if (MISSING_TOOL.test(output)) {
    return (
      `the base image ${found.baseImage} of the stage at line ${found.line} has no /bin/sh, ` +
      'cp and find (a distroless-style image), so the cache cannot be copied into its mount. ' +
      'Build Go in an image with a shell, such as golang:<version>'
    );
  }
  return `the generated build failed: ${lastLines(output, 4)}`;
}

/** Copies `hostDirectory` into the BuildKit cache mount, before the main build. */
export async function seedCacheMount(
  found: GoCacheMount,
  hostDirectory: string,
  builder: string,
): Promise<TransferResult> {
  const started = Date.now();
  const bytes = directorySize(hostDirectory);
  fs.mkdirSync(hostDirectory, { recursive: true });
  const outputDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'go-buildx-seed-out-'));
  try {
    const result = await runTransferBuild(
      seedDockerfile(found, new Date()),
      hostDirectory,
      outputDirectory,
      builder,
    );
    const seconds = (Date.now() - started) / 1000;
    if (result.exitCode !== 0) {
      return {
        ok: false,
        seconds,
        bytes: 0,
        problem: describeTransferFailure(found, result.output),
      };
    }
    return { ok: true, seconds, bytes };
  } finally {
    fs.rmSync(outputDirectory, { recursive: true, force: true });
  }
}

/**
 * Copies the BuildKit cache mount out into `hostDirectory`, after the main build. The old
 * content of `hostDirectory` is replaced only when the export succeeded.
 */
export async function exportCacheMount(
  found: GoCacheMount,
  hostDirectory: string,
  builder: string,
): Promise<TransferResult> {
  const started = Date.now();
  const emptyContext = fs.mkdtempSync(path.join(os.tmpdir(), 'go-buildx-export-context-'));
  const outputDirectory = `${hostDirectory}.export-${process.pid}`;
  fs.rmSync(outputDirectory, { recursive: true, force: true });
  try {
    const result = await runTransferBuild(
      exportDockerfile(found),
      emptyContext,
      outputDirectory,
      builder,
    );
    const seconds = (Date.now() - started) / 1000;
    if (result.exitCode !== 0) {
      return {
        ok: false,
        seconds,
        bytes: 0,
        problem: describeTransferFailure(found, result.output),
      };
    }
    const bytes = directorySize(outputDirectory);
    makeWritable(hostDirectory);
    fs.rmSync(hostDirectory, { recursive: true, force: true });
    fs.renameSync(outputDirectory, hostDirectory);
    return { ok: true, seconds, bytes };
  } finally {
    makeWritable(outputDirectory);
    fs.rmSync(outputDirectory, { recursive: true, force: true });
    fs.rmSync(emptyContext, { recursive: true, force: true });
  }
}
