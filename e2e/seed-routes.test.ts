import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import {
  ACTION_RUN_TIMEOUT_MS,
  copyExample,
  describeWithDocker,
  docker,
  expectFasterCompile,
  makeTempDirectory,
  removeModuleCache,
  startFreshRunner,
} from './support.js';

// The two ways a seed build gets the runner's caches, each on a builder image with the userland
// of Debian-based images such as the official golang ones. That userland is dash as /bin/sh and
// GNU tar, coreutils, findutils and grep, which the test copies with their libraries from this
// host into golang:1.26. The first image also has GNU wget, so the seed streams the caches from
// the runner. The second has neither wget nor curl, so streaming fails and the seed falls back
// to sending the caches as a build context. Each image gets a cold run and then a run on a
// fresh runner after a one-line change, and the go build steps of the two runs are compared.

/** Host programs copied into the images, besides wget. */
const USERLAND = ['dash', 'tar', 'find', 'grep', 'mkdir', 'touch', 'chown', 'cp', 'rm', 'cat'];

/** Returns the full host path of `name`, resolved through symlinks. */
function hostProgram(name: string): string {
  return fs.realpathSync(execFileSync('which', [name], { encoding: 'utf8' }).trim());
}

/** Returns the shared libraries that `program` loads, from ldd. */
function sharedLibraries(program: string): string[] {
  const output = execFileSync('ldd', [program], { encoding: 'utf8' });
  return [...output.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((match) => match[1]);
}

/**
 * Builds `tag` from golang:1.26 with the host's programs in /usr/bin, which comes before the
 * busybox applets in /bin on PATH, and dash as /bin/sh. busybox's wget link is removed.
 */
function buildGnuBuilderImage(tag: string, programs: string[]): void {
  const context = makeTempDirectory('e2e-gnu-builder-');
  const rootfs = path.join(context, 'rootfs');
  const files = new Set<string>();
  for (const name of programs) {
    const program = hostProgram(name);
    fs.mkdirSync(path.join(rootfs, 'usr', 'bin'), { recursive: true });
    fs.copyFileSync(program, path.join(rootfs, 'usr', 'bin', name));
    fs.chmodSync(path.join(rootfs, 'usr', 'bin', name), 0o755);
    for (const library of sharedLibraries(program)) files.add(library);
  }
  for (const library of files) {
    const destination = path.join(rootfs, library);
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.copyFileSync(fs.realpathSync(library), destination);
  }
  fs.writeFileSync(
    path.join(context, 'Dockerfile'),
    [
      'FROM golang:1.26',
      'COPY rootfs/ /',
      'RUN ["/usr/bin/dash", "-c", "rm -f /usr/bin/wget /bin/wget && ln -sf /usr/bin/dash /bin/sh"]',
      '',
    ].join('\n'),
  );
  const wget = programs.includes('wget') ? 'COPY wget/ /usr/bin/\n' : '';
  if (wget) {
    fs.mkdirSync(path.join(context, 'wget'));
    fs.renameSync(path.join(rootfs, 'usr', 'bin', 'wget'), path.join(context, 'wget', 'wget'));
    fs.appendFileSync(path.join(context, 'Dockerfile'), wget);
  }
  docker(['buildx', 'build', '--load', '--tag', tag, context]);
  fs.rmSync(context, { recursive: true, force: true });
}

/**
 * Runs the action cold and then on a fresh runner after a source change, on go2docker whose
 * build stage starts FROM `builderImage`.
 */
async function runColdThenFresh(
  builderImage: string,
  name: string,
  dockerfileText?: string,
): Promise<[ActionRun, ActionRun]> {
  const work = makeTempDirectory(`e2e-seed-${name}-`);
  const project = copyExample('go2docker');
  const dockerfile = path.join(project, 'Dockerfile');
  fs.writeFileSync(
    dockerfile,
    dockerfileText ??
      fs
        .readFileSync(dockerfile, 'utf8')
        .replace('FROM golang:1.26 AS build', `FROM ${builderImage} AS build`),
  );
  const env = {
    GITHUB_WORKSPACE: path.dirname(project),
    GOMODCACHE: path.join(work, 'gomodcache'),
    GOCACHE: path.join(work, 'gocache'),
  };
  const inputs = {
    'working-directory': 'go2docker',
    tags: `go2docker:e2e-seed-${name}`,
    'local-cache-dir': path.join(work, 'cache-store'),
  };
  try {
    startFreshRunner(env);
    const cold = await runAction({ inputs, env });
    const main = path.join(project, 'main.go');
    fs.appendFileSync(main, '\n// changed\n');
    startFreshRunner(env);
    const fresh = await runAction({ inputs, env });
    return [cold, fresh];
  } finally {
    removeModuleCache(env.GOMODCACHE);
  }
}

describeWithDocker('seed routes on a GNU userland builder', () => {
  const streamImage = 'go-buildx-e2e/golang-gnu-wget:1.26';
  const fallbackImage = 'go-buildx-e2e/golang-gnu-nowget:1.26';

  describe('streamed with GNU wget', () => {
    let cold: ActionRun;
    let fresh: ActionRun;

    beforeAll(async () => {
      buildGnuBuilderImage(streamImage, [...USERLAND, 'wget']);
      [cold, fresh] = await runColdThenFresh(streamImage, 'stream');
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(() => {
      docker(['image', 'rm', '--force', streamImage]);
    });

    test('image has dash and GNU tools', () => {
      const shell = docker([
        'run',
        '--rm',
        '--entrypoint',
        '/bin/sh',
        streamImage,
        '-c',
        'readlink /bin/sh; tar --version; wget --version',
      ]);
      expect(shell).toContain('/usr/bin/dash');
      expect(shell).toContain('GNU tar');
      expect(shell).toContain('GNU Wget');
    });

    test('both runs succeed', () => {
      expect(cold.main.exitCode).toBe(0);
      expect(cold.post?.exitCode).toBe(0);
      expect(fresh.main.exitCode).toBe(0);
    });

    test('fresh run streams both caches', () => {
      expect(fresh.main.stdout).toMatch(
        /Go modules cache mount \/go\/pkg\/mod \(id \/go\/pkg\/mod\) seeded with [\d.]+ MB in [\d.]+ s \(streamed from the runner\)\./,
      );
      expect(fresh.main.stdout).toMatch(
        /Go build cache mount \/root\/\.cache\/go-build \(id \/root\/\.cache\/go-build\) seeded with [1-9][\d.]* MB in [\d.]+ s \(streamed from the runner\)\./,
      );
      expect(fresh.main.stdout).not.toContain('Streaming the Go');
    });

    test('export keeps used seeded files', () => {
      // The list of seeded files comes from GNU tar's verbose output here. Were it empty or
      // wrong, the export would drop the seeded entries and save only the few new ones.
      const restored = /Go build cache restored from .*\n/.exec(fresh.main.stdout);
      expect(restored).not.toBeNull();
      const exported =
        /Go build cache mount \/root\/\.cache\/go-build exported: ([\d.]+) MB copied out in [\d.]+ s, ([\d.]+) MB to save\./.exec(
          fresh.main.stdout,
        );
      expect(exported).not.toBeNull();
      expect(Number(exported?.[2])).toBeGreaterThan(Number(exported?.[1]) * 5);
    });

    test('fresh compile several times faster', () => {
      expectFasterCompile(cold, fresh, 'streamed seed');
    });
  });

  describe('build context without wget or curl', () => {
    let cold: ActionRun;
    let fresh: ActionRun;

    beforeAll(async () => {
      buildGnuBuilderImage(fallbackImage, USERLAND);
      [cold, fresh] = await runColdThenFresh(fallbackImage, 'fallback');
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(() => {
      docker(['image', 'rm', '--force', fallbackImage]);
    });

    test('image has no wget or curl', () => {
      const shell = docker([
        'run',
        '--rm',
        '--entrypoint',
        '/bin/sh',
        fallbackImage,
        '-c',
        'command -v wget curl || echo none',
      ]);
      expect(shell).toBe('none');
    });

    test('both runs succeed', () => {
      expect(cold.main.exitCode).toBe(0);
      expect(cold.post?.exitCode).toBe(0);
      expect(fresh.main.exitCode).toBe(0);
    });

    test('streaming failure is information', () => {
      expect(fresh.main.stdout).toMatch(
        /^Streaming the Go build cache into the build failed \(.+\), so it is sent as a build context instead\.$/m,
      );
      expect(fresh.main.stdout).not.toMatch(/^::warning::.*Streaming/m);
    });

    test('fresh run seeds from context', () => {
      expect(fresh.main.stdout).toMatch(
        /Go build cache mount \/root\/\.cache\/go-build \(id \/root\/\.cache\/go-build\) seeded with [1-9][\d.]* MB in [\d.]+ s \(sent as a build context\)\./,
      );
      expect(fresh.main.stdout).toMatch(
        /Go modules cache mount \/go\/pkg\/mod \(id \/go\/pkg\/mod\) seeded with [\d.]+ MB in [\d.]+ s \(sent as a build context\)\./,
      );
    });

    test('fresh compile several times faster', () => {
      expectFasterCompile(cold, fresh, 'context seed');
    });
  });
});

// An image whose USER is not root and whose TZ is west of UTC, like many hardened builder
// images. The seed and export must still run as root, and the seed marker's time must not
// move with the time zone, or the export finds no used entries and saves nothing.
describeWithDocker('seed on a non-root builder west of UTC', () => {
  const image = 'go-buildx-e2e/golang-nobody-pst:1.26';
  let cold: ActionRun;
  let fresh: ActionRun;

  beforeAll(async () => {
    const context = makeTempDirectory('e2e-nobody-');
    fs.writeFileSync(
      path.join(context, 'Dockerfile'),
      'FROM golang:1.26\nENV TZ=PST8PDT\nUSER 65534:65534\n',
    );
    docker(['buildx', 'build', '--load', '--tag', image, context]);
    fs.rmSync(context, { recursive: true, force: true });
    const dockerfile = [
      `FROM ${image} AS build`,
      'ENV GOCACHE=/tmp/gocache GOMODCACHE=/go/pkg/mod HOME=/tmp',
      'WORKDIR /tmp/src',
      'COPY go.mod go.sum ./',
      'RUN --mount=type=cache,id=nobody-mod,target=/go/pkg/mod,uid=65534,gid=65534 go mod download',
      'COPY . .',
      'RUN --mount=type=cache,id=nobody-mod,target=/go/pkg/mod,uid=65534,gid=65534 \\',
      '    --mount=type=cache,id=nobody-build,target=/tmp/gocache,uid=65534,gid=65534 \\',
      '    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /tmp/app .',
      'FROM scratch',
      'COPY --from=build /tmp/app /app',
      'ENTRYPOINT ["/app"]',
      '',
    ].join('\n');
    [cold, fresh] = await runColdThenFresh(image, 'nobody', dockerfile);
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    docker(['image', 'rm', '--force', image]);
  });

  test('both runs succeed', () => {
    expect(cold.main.exitCode).toBe(0);
    expect(cold.post?.exitCode).toBe(0);
    expect(fresh.main.exitCode).toBe(0);
  });

  test('cold run saves build cache', () => {
    expect(cold.post?.stdout).toMatch(/Go build cache saved as go-buildx-gobuild-docker-/);
  });

  test('fresh export keeps used entries', () => {
    const exported =
      /Go build cache mount \/tmp\/gocache exported: ([\d.]+) MB copied out in [\d.]+ s, ([\d.]+) MB to save\./.exec(
        fresh.main.stdout,
      );
    expect(exported).not.toBeNull();
    expect(Number(exported?.[2])).toBeGreaterThan(Number(exported?.[1]) * 5);
    expect(fresh.main.stdout).not.toContain('export from the Docker build is empty');
  });

  test('fresh compile several times faster', () => {
    expectFasterCompile(cold, fresh, 'non-root builder');
  });
});
