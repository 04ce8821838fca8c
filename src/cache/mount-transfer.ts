import * as core from '@actions/core';
import * as exec from '@actions/exec';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastLines } from '../docker/buildx.js';
import { makeWritable } from '../fs-utils.js';
import { GoCacheMount } from './mount-finder.js';
import { archiveMembers, SeedStreamServer, startSeedStreamServer } from './seed-stream.js';

/**
 * Name of the file that marks when a build cache mount was seeded. Seeded files get its
 * modification time, two hours in the past; Go moves the modification time of each build cache
 * entry it uses to the present when the entry is older than one hour (cmd/go/internal/cache,
 * mtimeInterval). Files newer than the marker after the build are the entries it used or made.
 */
export const SEED_MARKER = '.go-buildx-seeded';

/** List of the files a seed put into a build cache mount, one `./path` per line. */
export const SEEDED_LIST = '.go-buildx-seeded-files';

/** List of the seeded files the build used, written by the export beside the new files. */
export const USED_LIST = '.go-buildx-used-files';

/** Go's record of its last cache trim; never carried between runs, so Go keeps trimming. */
const TRIM_FILE = 'trim.txt';

const SEED_AGE_SECONDS = 2 * 60 * 60;

/**
 * Time a streamed seed build has to request its first archive before it is stopped and the
 * caches are sent as a build context. Starting the step takes a few seconds on a local engine.
 */
const STREAM_CONNECT_TIMEOUT_MS = 60_000;

/** Result of one generated build that copies a cache into or out of a mount. */
export interface TransferResult {
  ok: boolean;
  seconds: number;
  /** Bytes sent into the builder (seed) or copied out of it (export). */
  bytes: number;
  /** Bytes of the runner's cache directory after an export merged into it. */
  finalBytes?: number;
  /** Reason the transfer did not happen, for the summary. */
  problem?: string;
  /** Id written into the seed marker of a build cache mount, which the export checks. */
  seedId?: string;
  /** Route of a seed into the builder: streamed from the runner or sent as a build context. */
  route?: 'stream' | 'context';
}

/**
 * Returns the folder for temporary files: the runner's RUNNER_TEMP, which the runner empties
 * after each job, even one cancelled before the action could clean up, or else the system's.
 */
export function temporaryDirectory(): string {
  return process.env.RUNNER_TEMP || os.tmpdir();
}

/** Quotes a value for /bin/sh. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** Builds the `--mount=type=cache,...` flag that opens the same BuildKit cache as the Dockerfile's. */
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

/** A cache mount and the runner directory that fills it. */
export interface MountTransfer {
  found: GoCacheMount;
  hostDirectory: string;
}

/**
 * Source of the tar archives of a seed build: files in the build context, or URLs of the
 * runner's stream server (see seed-stream.ts) by cache kind.
 */
export type SeedSource = { kind: 'context' } | { kind: 'stream'; urls: Record<string, string> };

/** Message of a seed step whose image has neither wget nor curl. */
const NO_DOWNLOADER = 'go-buildx: the image has neither wget nor curl';

/** File in the seed container that records a failed download of a streamed archive. */
const FETCH_FAILED = '/tmp/go-buildx-fetch-failed';

/**
 * Returns the shell commands that download `url` to standard output with wget or curl, and
 * create FETCH_FAILED when the download fails. A pipeline's status is that of its last command
 * and dash 0.5.12 (Debian 12) has no pipefail, so the file is how a failed download reaches `set -e`.
 */
function fetchCommand(url: string): string {
  const quoted = shellQuote(url);
  // The runner is on the builder's own bridge, so a proxy from the image or the docker CLI's
  // proxy settings (passed as build arguments) would only slow the download and see the URL.
  // No wget -T: busybox 1.35's static wget (Debian) crashes with it. The runner stops a build
  // that never connects instead (STREAM_CONNECT_TIMEOUT_MS).
  const noProxy = 'env -u http_proxy -u HTTP_PROXY -u all_proxy -u ALL_PROXY';
  return (
    `{ if command -v wget >/dev/null 2>&1; then ${noProxy} wget -q -O- ${quoted}; ` +
    `elif command -v curl >/dev/null 2>&1; then ${noProxy} curl -fsS --noproxy '*' ` +
    `--connect-timeout 20 ${quoted}; ` +
    `else echo '${NO_DOWNLOADER}' >&2; false; fi || touch ${FETCH_FAILED}; }`
  );
}

function seedCommands(
  found: GoCacheMount,
  now: Date,
  seedId: string,
  source: SeedSource,
): string[] {
  const target = shellQuote(found.mount.target);
  const archive = `/go-buildx-seed/${found.kind}.tar`;
  // tar -o gives the files to the extracting user, root. A mount without uid and gid is owned
  // by root, so only a mount with its own owner needs the slower chown -R.
  const commands = [`mkdir -p ${target}`];
  // The extracted names are kept for the list of seeded files: a stream cannot be read twice.
  const extractedNames = `/tmp/go-buildx-extracted-${found.kind}`;
  if (source.kind === 'stream') {
    commands.push(
      `${fetchCommand(source.urls[found.kind])} | tar -xovf - -C ${target} > ${extractedNames}`,
      `test ! -e ${FETCH_FAILED}`,
    );
  } else {
    commands.push(`tar -xof ${archive} -C ${target}`);
  }
  if (found.mount.uid !== undefined || found.mount.gid !== undefined) {
    commands.push(`chown -R ${found.mount.uid ?? '0'}:${found.mount.gid ?? '0'} ${target}`);
  }
  if (found.kind === 'build') {
    const marker = shellQuote(`${found.mount.target}/${SEED_MARKER}`);
    const seededAt = touchTimestamp(new Date(now.getTime() - SEED_AGE_SECONDS * 1000));
    const listNames = source.kind === 'stream' ? `cat ${extractedNames}` : `tar -tf ${archive}`;
    commands.push(
      `echo ${seedId} > ${marker}`,
      // touch -t reads local time, and the image's TZ may be anything.
      `TZ=UTC0 touch -t ${seededAt} ${marker}`,
      `find ${target} -type f -exec touch -r ${marker} {} +`,
      // The list names the runner's files only: files the mount already had on a warm or
      // shared builder are not on the runner, so the export must copy them if they are used.
      // Its first line, the marker, is never among the files compared with it: busybox grep
      // reads an empty pattern file as one empty pattern, which matches every line.
      `{ echo ./${SEED_MARKER}; ${listNames} | grep -v '/$' || true; } > ${target}/${SEEDED_LIST}`,
    );
  }
  return commands;
}

/**
 * Writes the Dockerfile of the build that fills the given cache mounts. From a build context,
 * the context contains one tar archive per cache kind, because BuildKit sends a few large
 * files much faster than a tree of many small ones.
 */
export function seedDockerfile(
  transfers: GoCacheMount[],
  now: Date,
  seedId: string,
  source: SeedSource = { kind: 'context' },
): string {
  const mountFlags = [
    ...(source.kind === 'context' ? ['--mount=type=bind,target=/go-buildx-seed'] : []),
    ...transfers.map((found) => cacheMountFlag(found)),
  ].join(' ');
  const commands = [
    'set -e',
    'echo "go-buildx seed $GO_BUILDX_NONCE"',
    ...transfers.flatMap((found) => seedCommands(found, now, seedId, source)),
    'echo done > /go-buildx-done',
  ];
  return [
    `FROM ${transfers[0].baseImage} AS seed`,
    // Root, whatever USER the image sets: the step writes into root-owned mounts and chowns.
    'USER 0:0',
    'ARG GO_BUILDX_NONCE',
    `RUN ${mountFlags} \\`,
    `    ${commands.join(' && \\\n    ')}`,
    'FROM scratch',
    'COPY --from=seed /go-buildx-done /',
    '',
  ].join('\n');
}

/**
 * Writes the Dockerfile of the build that copies a mount out to `/go-buildx-export`.
 *
 * After a build that this run seeded (`seedId` matches the marker), only the files the build
 * made are copied, with the list of seeded files it used beside them; the runner already has
 * the seeded files. A marker from an earlier run on a warm builder does not count, because
 * the runner then lacks the files it lists. Unused entries are left
 * out, which keeps the saved cache bounded. Without a seed, the whole mount is copied.
 * trim.txt is never copied. busybox tar has no -T and Debian images have no cpio, so new files
 * are copied one by one, and they are few after a one-line change.
 */
export function exportDockerfile(found: GoCacheMount, seedId: string): string {
  const target = shellQuote(found.mount.target);
  const exportDirectory = '/go-buildx-export';
  const copyAll =
    `cp -a . ${exportDirectory}/files/ && ` +
    `rm -f ${exportDirectory}/files/${TRIM_FILE} ${exportDirectory}/files/${SEED_MARKER} ` +
    `${exportDirectory}/files/${SEEDED_LIST}`;
  const copyNew = [
    `find . -type f -newer ${SEED_MARKER} ! -name ${SEED_MARKER} ! -name ${SEEDED_LIST} ! -name ${TRIM_FILE} > /tmp/go-buildx-newer`,
    `{ grep -Fx -f ${SEEDED_LIST} /tmp/go-buildx-newer > ${exportDirectory}/${USED_LIST} || true; }`,
    `{ grep -Fxv -f ${SEEDED_LIST} /tmp/go-buildx-newer > /tmp/go-buildx-new || true; }`,
    `while IFS= read -r file; do mkdir -p "${exportDirectory}/files/\${file%/*}" && cp -p "$file" "${exportDirectory}/files/$file"; done < /tmp/go-buildx-new`,
  ].join(' && ');
  const select =
    found.kind === 'build'
      ? `if [ -n '${seedId}' ] && [ "$(cat ${SEED_MARKER} 2>/dev/null)" = '${seedId}' ] && ` +
        `[ -f ${SEEDED_LIST} ]; then ${copyNew}; else ${copyAll}; fi`
      : copyAll;
  const commands = [
    'set -e',
    'echo "go-buildx export $GO_BUILDX_NONCE"',
    `mkdir -p ${exportDirectory}/files`,
    `cd ${target}`,
    select,
  ];
  return [
    `FROM ${found.baseImage} AS export`,
    // Root, whatever USER the image sets: the mount may hold files of several owners.
    'USER 0:0',
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

/** Where a generated build reads its context and writes its `--output type=local` files. */
interface TransferBuildPaths {
  /** Build context; an empty folder when left out. */
  context?: string;
  /** Output folder; a temporary folder that is removed afterwards when left out. */
  outputDirectory?: string;
}

/**
 * Runs a generated build with `--output type=local`. The nonce build argument changes the
 * cache key of the RUN step, so BuildKit never takes a transfer from its layer cache.
 */
async function runTransferBuild(
  dockerfileText: string,
  paths: TransferBuildPaths,
  builder: string,
  timeoutMs: number,
  abortSignal?: AbortSignal,
): Promise<{ exitCode: number; output: string }> {
  const workDirectory = fs.mkdtempSync(path.join(temporaryDirectory(), 'go-buildx-transfer-'));
  const dockerfilePath = path.join(workDirectory, 'Dockerfile');
  fs.writeFileSync(dockerfilePath, dockerfileText);
  const context = paths.context ?? path.join(workDirectory, 'context');
  fs.mkdirSync(context, { recursive: true });
  const outputDirectory = paths.outputDirectory ?? path.join(workDirectory, 'output');
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
    return await runWithTimeout('docker', args, timeoutMs, abortSignal);
  } finally {
    fs.rmSync(workDirectory, { recursive: true, force: true });
  }
}

/**
 * Runs a command and collects its output. After `timeoutMs` the command's process group gets
 * SIGTERM, and SIGKILL 10 s later: a Buildx export that writes to a full disk was seen to hang
 * instead of failing. The group matters because `docker buildx` runs the Buildx plugin as a
 * child process, which would otherwise live on and keep the output pipes open.
 */
function runWithTimeout(
  command: string,
  args: string[],
  timeoutMs: number,
  abortSignal?: AbortSignal,
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group has already exited.
      }
    };
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), 10_000);
    };
    const timer = setTimeout(stop, timeoutMs);
    abortSignal?.addEventListener('abort', () => {
      clearTimeout(timer);
      if (!timedOut) stop();
    });
    child.on('error', reject);
    // 'exit', not 'close': a killed group's pipes may close late or not at all.
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (timedOut) {
        killGroup('SIGKILL');
        output += abortSignal?.aborted
          ? `\nstopped: ${String(abortSignal.reason)}`
          : `\ntimed out after ${Math.round(timeoutMs / 1000)} s`;
      }
      // Leave a moment for the last output already in the pipes.
      setTimeout(() => resolve({ exitCode: timedOut ? 124 : (code ?? 1), output }), 50);
    });
  });
}

/** Runtime errors of a base image without a shell or the file tools the transfers use. */
const MISSING_TOOL =
  /"\/bin\/sh": stat \/bin\/sh: no such file|\/bin\/sh: not found|executable file not found in \$PATH|\b(?:cp|find|chown|touch|rm|tar|grep|mkdir): not found/;

/** Explains a failed transfer build; a base image without a shell is the usual cause. */
function describeTransferFailure(found: GoCacheMount, output: string): string {
  if (/\ntimed out after \d+ s$/.test(output)) {
    return `the generated build ${output.slice(output.lastIndexOf('\n') + 1)} (input 'cache-timeout')`;
  }
  if (MISSING_TOOL.test(output)) {
    return (
      `the base image ${found.baseImage} of the stage at line ${found.line} has no /bin/sh, ` +
      'tar, cp, find or grep (a distroless-style image), so the cache cannot be copied into its ' +
      'mount. Build Go in an image with a shell, such as golang:<version>'
    );
  }
  if (output.includes(NO_DOWNLOADER)) {
    return `the base image ${found.baseImage} has neither wget nor curl to download the cache`;
  }
  // BuildKit repeats the whole generated command in its error, which buries the cause.
  const shortened = output.replace(/executor failed running \[[\s\S]*?\]: /g, 'RUN failed: ');
  return `the generated build failed: ${lastLines(shortened, 4)}`;
}

/**
 * Fills the given BuildKit cache mounts from their runner directories with one generated
 * build, before the main build. All mounts must share a base image. With a `streamAddress`
 * the build downloads the caches from a server on the runner, and when that fails for any
 * reason the caches are sent again as a build context.
 */
export async function runSeedBuild(
  transfers: MountTransfer[],
  builder: string,
  seedId: string,
  timeoutMs: number,
  streamAddress = '',
): Promise<TransferResult> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const finish = (attempt: SeedAttempt, route: 'stream' | 'context'): TransferResult => ({
    ...attempt,
    seconds: (Date.now() - started) / 1000,
    bytes: 0,
    route,
  });
  if (streamAddress) {
    const streamed = await runStreamedSeedBuild(
      transfers,
      builder,
      seedId,
      timeoutMs,
      streamAddress,
    );
    if (streamed.ok) return finish(streamed, 'stream');
    core.info(
      `Streaming the Go ${transfers.map(({ found }) => found.kind).join(' and ')} cache into ` +
        `the build failed (${streamed.problem}), so it is sent as a build context instead.`,
    );
  }
  const result = await runContextSeedBuild(
    transfers,
    builder,
    seedId,
    Math.max(deadline - Date.now(), 1000),
  );
  return finish(result, 'context');
}

/** Outcome of one seed build, before runSeedBuild adds its time and route. */
type SeedAttempt = { ok: true } | { ok: false; problem: string };

async function runStreamedSeedBuild(
  transfers: MountTransfer[],
  builder: string,
  seedId: string,
  timeoutMs: number,
  streamAddress: string,
): Promise<SeedAttempt> {
  let server: SeedStreamServer;
  try {
    server = await startSeedStreamServer(
      streamAddress,
      Object.fromEntries(transfers.map(({ found, hostDirectory }) => [found.kind, hostDirectory])),
    );
  } catch (error) {
    return { ok: false, problem: `no server could listen on ${streamAddress}: ${String(error)}` };
  }

  // A builder that cannot reach the runner may wait minutes for its connection to fail.
  const connectWatch = new AbortController();
  const connectTimer = setTimeout(() => {
    if (!server.requested()) {
      connectWatch.abort(
        `the builder did not connect to ${streamAddress} within ` +
          `${STREAM_CONNECT_TIMEOUT_MS / 1000} s`,
      );
    }
  }, STREAM_CONNECT_TIMEOUT_MS);
  try {
    const dockerfile = seedDockerfile(
      transfers.map((transfer) => transfer.found),
      new Date(),
      seedId,
      { kind: 'stream', urls: server.urls },
    );
    const result = await runTransferBuild(dockerfile, {}, builder, timeoutMs, connectWatch.signal);
    if (result.exitCode !== 0) {
      const problem = connectWatch.signal.aborted
        ? String(connectWatch.signal.reason)
        : describeTransferFailure(transfers[0].found, result.output);
      return { ok: false, problem };
    }
    const incomplete = server.problem();
    return incomplete ? { ok: false, problem: incomplete } : { ok: true };
  } finally {
    clearTimeout(connectTimer);
    await server.close();
  }
}

async function runContextSeedBuild(
  transfers: MountTransfer[],
  builder: string,
  seedId: string,
  timeoutMs: number,
): Promise<SeedAttempt> {
  const context = fs.mkdtempSync(path.join(temporaryDirectory(), 'go-buildx-seed-'));
  try {
    for (const { found, hostDirectory } of transfers) {
      const archive = path.join(context, `${found.kind}.tar`);
      const members = archiveMembers(hostDirectory);
      await exec.exec('tar', ['-cf', archive, '-C', hostDirectory, ...members], { silent: true });
    }
    const dockerfile = seedDockerfile(
      transfers.map((transfer) => transfer.found),
      new Date(),
      seedId,
    );
    const result = await runTransferBuild(dockerfile, { context }, builder, timeoutMs);
    if (result.exitCode !== 0) {
      return { ok: false, problem: describeTransferFailure(transfers[0].found, result.output) };
    }
    return { ok: true };
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
}

/**
 * Copies a BuildKit cache mount out into `hostDirectory`, after the main build. After a seeded
 * build the export contains the new files and the list of used seeded files: unused files are
 * removed from `hostDirectory` and the new ones added. Otherwise the export replaces it. The
 * directory is changed only when the export succeeded.
 */
export async function exportCacheMount(
  found: GoCacheMount,
  hostDirectory: string,
  builder: string,
  seedId: string,
  timeoutMs: number,
): Promise<TransferResult> {
  const started = Date.now();
  const outputDirectory = `${hostDirectory}.export-${process.pid}`;
  fs.rmSync(outputDirectory, { recursive: true, force: true });
  try {
    const result = await runTransferBuild(
      exportDockerfile(found, seedId),
      { outputDirectory },
      builder,
      timeoutMs,
    );
    const seconds = (Date.now() - started) / 1000;
    if (result.exitCode !== 0) {
      const problem = describeTransferFailure(found, result.output);
      return { ok: false, seconds, bytes: 0, problem };
    }
    const exportedFiles = path.join(outputDirectory, 'files');
    const bytes = directorySize(exportedFiles);
    const usedList = path.join(outputDirectory, USED_LIST);
    if (fs.existsSync(usedList)) {
      mergeExport(hostDirectory, exportedFiles, fs.readFileSync(usedList, 'utf8'));
    } else {
      makeWritable(hostDirectory);
      fs.rmSync(hostDirectory, { recursive: true, force: true });
      fs.renameSync(exportedFiles, hostDirectory);
    }
    return { ok: true, seconds, bytes, finalBytes: directorySize(hostDirectory) };
  } finally {
    makeWritable(outputDirectory);
    fs.rmSync(outputDirectory, { recursive: true, force: true });
  }
}

/**
 * Removes the files of `hostDirectory` that are not in `usedList` (lines of `./path`), then
 * moves the new files from `exportedFiles` in.
 */
export function mergeExport(hostDirectory: string, exportedFiles: string, usedList: string): void {
  const used = new Set(
    usedList
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => path.normalize(line)),
  );
  for (const file of listFiles(hostDirectory)) {
    if (!used.has(file)) fs.rmSync(path.join(hostDirectory, file));
  }
  for (const file of listFiles(exportedFiles)) {
    const destination = path.join(hostDirectory, file);
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.renameSync(path.join(exportedFiles, file), destination);
  }
}

/** Lists the regular files below `directory` as normalized relative paths. */
function listFiles(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)));
}
