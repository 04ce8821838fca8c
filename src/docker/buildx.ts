import * as core from '@actions/core';
import * as exec from '@actions/exec';
import * as io from '@actions/io';
import * as fs from 'node:fs';

/** Everything `docker buildx build` needs, with absolute paths. */
export interface BuildOptions {
  context: string;
  file: string;
  target: string;
  tags: string[];
  buildArgs: string[];
  platforms: string[];
  load: boolean;
  push: boolean;
  builder: string;
  /** Buildx driver of the builder, from checkDocker. */
  driver: string;
  /** NAME=PATH pairs for --build-context. */
  buildContexts: string[];
  /** `id=<id>,src=<file>` values for --secret. */
  secretFlags: string[];
  iidFile: string;
  metadataFile: string;
}

/**
 * Builds the argument list of `docker buildx build`. Each value is its own argument, so no
 * value ever passes through a shell.
 */
export function buildxBuildArguments(options: BuildOptions): string[] {
  const args = ['buildx', 'build', '--progress', 'plain'];
  if (options.builder) args.push('--builder', options.builder);
  args.push('--file', options.file);
  if (options.target) args.push('--target', options.target);
  for (const tag of options.tags) args.push('--tag', tag);
  for (const buildArg of options.buildArgs) args.push('--build-arg', buildArg);
  for (const buildContext of options.buildContexts) args.push('--build-context', buildContext);
  for (const secret of options.secretFlags) args.push('--secret', secret);
  if (options.platforms.length > 0) args.push('--platform', options.platforms.join(','));
  // The docker driver keeps every image in the engine's image store, and BuildKit before v0.13
  // rejects --load with --push as two outputs, so a pushed image needs no --load there.
  if (options.load && !(options.push && options.driver === 'docker')) args.push('--load');
  if (options.push) args.push('--push');
  args.push('--iidfile', options.iidFile, '--metadata-file', options.metadataFile);
  args.push(options.context);
  return args;
}

/**
 * Checks that the docker CLI is installed, an engine responds, Buildx is installed and the
 * builder exists, and returns the engine version and the builder's driver. Throws with the fix
 * when one is missing.
 */
/** The Docker engine and Buildx builder a build runs on. */
export interface DockerSetup {
  engineVersion: string;
  /** Buildx driver of the builder: docker, docker-container, remote or kubernetes. */
  driver: string;
  /** BuildKit version of the builder's first node, for example v0.8+unknown; '' when unknown. */
  buildkitVersion: string;
}

/**
 * Returns whether the Dockerfile frontend built into BuildKit `version` expands variables in
 * RUN --mount options. Dockerfile frontend 1.3, which BuildKit v0.9 ships, added it; an
 * unknown version is taken as new enough.
 */
export function expandsMountVariables(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) return true;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 0 || minor >= 9;
}

export async function checkDocker(builder: string): Promise<DockerSetup> {
  if (!(await io.which('docker', false))) {
    throw new Error(
      'The docker CLI was not found on PATH. Install Docker on the runner; GitHub-hosted Ubuntu ' +
        'runners have it already.',
    );
  }
  const server = await exec.getExecOutput(
    'docker',
    ['version', '--format', '{{.Server.Version}}'],
    {
      silent: true,
      ignoreReturnCode: true,
    },
  );
  if (server.exitCode !== 0) {
    const target = process.env.DOCKER_HOST || 'the default socket /var/run/docker.sock';
    throw new Error(
      `No Docker engine answered at ${target}: ${lastLines(server.stderr, 3)}. ` +
        'Start the Docker daemon (for example: sudo systemctl start docker) or set DOCKER_HOST ' +
        'to a running engine.',
    );
  }
  const buildx = await exec.getExecOutput('docker', ['buildx', 'version'], {
    silent: true,
    ignoreReturnCode: true,
  });
  if (buildx.exitCode !== 0) {
    throw new Error(
      `Docker Buildx is not installed: 'docker buildx version' failed with ` +
        `'${lastLines(buildx.stderr, 2)}'. Install the docker-buildx plugin into ` +
        '~/.docker/cli-plugins/, or add the docker/setup-buildx-action step before this one.',
    );
  }
  const inspect = await exec.getExecOutput(
    'docker',
    ['buildx', 'inspect', ...(builder ? [builder] : [])],
    { silent: true, ignoreReturnCode: true },
  );
  if (inspect.exitCode !== 0) {
    const fix = builder
      ? "List builders with 'docker buildx ls', or leave builder empty to use the current one."
      : "Create one with 'docker buildx create --use', or set input 'builder'.";
    throw new Error(
      `Input 'builder' is '${builder || '(current builder)'}', but Buildx has no such builder: ` +
        `${lastLines(inspect.stderr, 2)}. ${fix}`,
    );
  }
  const driver = /^Driver:\s*(\S+)/m.exec(inspect.stdout)?.[1] ?? 'unknown';
  const buildkitVersion = /^BuildKit(?: version)?:\s*(\S+)/m.exec(inspect.stdout)?.[1] ?? '';
  core.info(
    `Docker engine ${server.stdout.trim()}, ${buildx.stdout.trim()}, builder driver ${driver}.`,
  );
  return { engineVersion: server.stdout.trim(), driver, buildkitVersion };
}

/** Image ID, digest, metadata and log of a finished build. */
export interface BuildResult {
  imageId: string;
  /** Manifest digest, set when the image was pushed. */
  digest: string;
  metadata: Record<string, unknown>;
  seconds: number;
  /** BuildKit's plain progress output. */
  log: string;
}

/** A failed `docker buildx build`; the message ends with the last lines of its output. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

const OUTPUT_TAIL_LINES = 25;

/** Runs `docker buildx build` with the log in a group, and reads its image ID and metadata. */
export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  const args = buildxBuildArguments(options);
  core.debug(`docker ${JSON.stringify(args)}`);
  const chunks: string[] = [];
  const keepOutput = (data: Buffer): void => {
    chunks.push(data.toString());
  };

  const started = Date.now();
  const exitCode = await core.group('docker buildx build', () =>
    exec.exec('docker', args, {
      ignoreReturnCode: true,
      listeners: { stdout: keepOutput, stderr: keepOutput },
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const log = chunks.join('');
  if (exitCode !== 0) {
    const outputTail = log
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-OUTPUT_TAIL_LINES)
      .join('\n');
    throw new BuildError(
      `docker buildx build failed with exit code ${exitCode} after ${seconds.toFixed(1)} s. ` +
        (await describeLostEngine()) +
        `Last lines of its output:\n${outputTail}`,
      log,
    );
  }

  const metadata = readMetadata(options.metadataFile);
  const imageId =
    readTrimmed(options.iidFile) || String(metadata['containerimage.config.digest'] || '');
  const digest = String(metadata['containerimage.digest'] || '');
  core.info(`Build finished in ${seconds.toFixed(1)} s: image ${imageId || '(no image ID)'}.`);
  return { imageId, digest: options.push ? digest : '', metadata, seconds, log };
}

function readTrimmed(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
}

function readMetadata(file: string): Record<string, unknown> {
  const text = readTrimmed(file);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * Returns a sentence for a build error when the Docker engine no longer responds, or ''. A
 * build whose engine stopped ends only with gRPC's "Unavailable" in Buildx's output.
 */
async function describeLostEngine(): Promise<string> {
  const probe = await exec.getExecOutput('docker', ['version', '--format', '{{.Server.Version}}'], {
    silent: true,
    ignoreReturnCode: true,
  });
  if (probe.exitCode === 0) return '';
  const endpoint =
    process.env.DOCKER_HOST ||
    (process.env.DOCKER_CONTEXT
      ? `context ${process.env.DOCKER_CONTEXT}`
      : 'the default socket /var/run/docker.sock');
  return (
    `The Docker engine at ${endpoint} stopped responding during the build ` +
    `('docker version' now fails: ${lastLines(probe.stderr, 1)}); check that dockerd is running. `
  );
}

/** Returns the last `count` non-blank lines of `text`, joined by ' / '. */
export function lastLines(text: string, count: number): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-count).join(' / ') || '(no output)';
}
