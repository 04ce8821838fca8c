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
  makeTempDirectory,
  removeModuleCache,
  startFreshRunner,
} from './support.js';

/** Environment of a stand-in runner whose Go caches live below `work`. */
function runnerEnv(project: string, work: string): Record<string, string> {
  return {
    GITHUB_WORKSPACE: path.dirname(project),
    GOMODCACHE: path.join(work, 'gomodcache'),
    GOCACHE: path.join(work, 'gocache'),
  };
}

describeWithDocker('faults and unusual Dockerfiles', () => {
  // A builder image with Go but no shell, cp or find, like a distroless image.
  const noShellImage = 'go-noshell:e2e';

  beforeAll(() => {
    const imageContext = makeTempDirectory('noshell-image-');
    fs.writeFileSync(
      path.join(imageContext, 'Dockerfile'),
      [
        'FROM golang:1.26 AS go',
        'RUN mkdir -p /out/tmp && chmod 1777 /out/tmp',
        'FROM scratch',
        'COPY --from=go /usr/local/go /usr/local/go',
        'COPY --from=go /out/tmp /tmp',
        'ENV PATH=/usr/local/go/bin HOME=/root GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false',
        '',
      ].join('\n'),
    );
    docker(['buildx', 'build', '--quiet', '--load', '--tag', noShellImage, imageContext]);
  }, ACTION_RUN_TIMEOUT_MS);

  describe('builder without a shell', () => {
    const work = makeTempDirectory('e2e-noshell-');
    const project = path.join(makeTempDirectory('noshell-project-'), 'noshell');
    let run: ActionRun;

    beforeAll(async () => {
      fs.mkdirSync(project);
      fs.writeFileSync(path.join(project, 'go.mod'), 'module example.com/noshell\n\ngo 1.26\n');
      fs.writeFileSync(
        path.join(project, 'main.go'),
        'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("noshell: built without a shell") }\n',
      );
      fs.writeFileSync(
        path.join(project, 'Dockerfile'),
        [
          `FROM ${noShellImage} AS build`,
          'WORKDIR /src',
          'COPY . .',
          'RUN --mount=type=cache,target=/root/.cache/go-build ["go", "build", "-o", "/src/app", "."]',
          'FROM scratch',
          'COPY --from=build /src/app /app',
          'ENTRYPOINT ["/app"]',
          '',
        ].join('\n'),
      );
      const env = runnerEnv(project, work);
      startFreshRunner(env);
      run = await runAction({
        inputs: {
          'working-directory': 'noshell',
          tags: 'noshell:e2e',
          'local-cache-dir': path.join(work, 'store'),
        },
        env,
      });
    }, ACTION_RUN_TIMEOUT_MS);

    test('build succeeds', () => {
      expect(run.main.exitCode).toBe(0);
      expect(execFileSync('docker', ['run', '--rm', 'noshell:e2e'], { encoding: 'utf8' })).toBe(
        'noshell: built without a shell\n',
      );
    });

    test('seed warns about the image', () => {
      expect(run.main.stdout).toContain(
        `::warning::Go build cache mount /root/.cache/go-build was not seeded: the base image ${noShellImage} of the stage at line 4 has no /bin/sh, tar, cp, find or grep`,
      );
    });

    test('export warns about the image', () => {
      expect(run.main.stdout).toContain(
        `::warning::Go build cache mount /root/.cache/go-build was not exported: the base image ${noShellImage} of the stage at line 4 has no /bin/sh, tar, cp, find or grep`,
      );
    });

    test('post step keeps old entry', () => {
      expect(run.post?.exitCode).toBe(0);
      expect(run.post?.stdout).toContain(
        'Go build cache not saved: the export from the Docker build failed',
      );
    });
  });

  describe('no Go cache mounts', () => {
    const work = makeTempDirectory('e2e-nomounts-');
    const project = copyExample('go2docker');
    let run: ActionRun;

    beforeAll(async () => {
      const dockerfile = path.join(project, 'Dockerfile');
      fs.writeFileSync(
        dockerfile,
        fs.readFileSync(dockerfile, 'utf8').replace(/--mount=type=cache,target=\S+ *\\?\n? */g, ''),
      );
      run = await runAction({
        inputs: {
          'working-directory': 'go2docker',
          tags: 'go2docker:nomounts',
          'local-cache-dir': path.join(work, 'store'),
        },
        env: runnerEnv(project, work),
      });
    }, ACTION_RUN_TIMEOUT_MS);

    test('Dockerfile has no mounts left', () => {
      expect(fs.readFileSync(path.join(project, 'Dockerfile'), 'utf8')).not.toContain('--mount');
    });

    test('build succeeds with advice', () => {
      expect(run.main.exitCode).toBe(0);
      expect(run.outputs['cache-routes']).toBe('');
      expect(run.main.stdout).toContain(
        "::warning::The Go caches cannot reach this Dockerfile's build.",
      );
      expect(run.summary).toContain('The caches did not reach the build. Add these flags');
    });
  });

  describe('locked mounts of a non-root user', () => {
    const work = makeTempDirectory('e2e-nonroot-');
    const project = copyExample('go2docker');
    const env = runnerEnv(project, work);
    const inputs = {
      'working-directory': 'go2docker',
      tags: 'go2docker:nonroot',
      'local-cache-dir': path.join(work, 'store'),
    };
    let first: ActionRun;
    let second: ActionRun;

    beforeAll(async () => {
      fs.writeFileSync(
        path.join(project, 'Dockerfile'),
        [
          'FROM golang:1.26 AS build',
          "RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && mkdir -p /home/app/src && chown -R 1000:1000 /home/app",
          'USER 1000',
          'ENV HOME=/home/app GOPATH=/home/app/go GOCACHE=/home/app/.cache/go-build',
          'WORKDIR /home/app/src',
          'COPY --chown=1000:1000 . .',
          'RUN --mount=type=cache,target=/home/app/go/pkg/mod,uid=1000,gid=1000,sharing=locked \\',
          '    --mount=type=cache,target=/home/app/.cache/go-build,uid=1000,gid=1000,sharing=locked \\',
          '    CGO_ENABLED=0 go build -o /home/app/app .',
          'FROM scratch',
          'COPY --from=build /home/app/app /app',
          'ENTRYPOINT ["/app"]',
          '',
        ].join('\n'),
      );
      startFreshRunner(env);
      first = await runAction({ inputs, env });
      startFreshRunner(env);
      second = await runAction({ inputs, env });
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(() => {
      removeModuleCache(env.GOMODCACHE);
    });

    test('both builds succeed', () => {
      expect(first.main.exitCode).toBe(0);
      expect(second.main.exitCode).toBe(0);
      expect(first.main.stdout).not.toContain('::warning::');
      expect(second.main.stdout).not.toContain('::warning::');
    });

    test('second run seeds both mounts', () => {
      expect(second.main.stdout).toMatch(
        /Go modules cache mount \/home\/app\/go\/pkg\/mod \(id \/home\/app\/go\/pkg\/mod\) seeded with/,
      );
      expect(second.main.stdout).toMatch(
        /Go build cache mount \/home\/app\/\.cache\/go-build \(id \/home\/app\/\.cache\/go-build\) seeded with/,
      );
    });

    test('image runs', () => {
      expect(
        execFileSync('docker', ['run', '--rm', 'go2docker:nonroot'], { encoding: 'utf8' }),
      ).toMatch(/^go2docker: hello from /);
    });
  });

  describe('truncated cache archive', () => {
    const work = makeTempDirectory('e2e-truncated-');
    const project = copyExample('go2docker');
    const env = runnerEnv(project, work);
    const store = path.join(work, 'store');
    const inputs = {
      'working-directory': 'go2docker',
      tags: 'go2docker:truncated',
      'local-cache-dir': store,
    };
    let second: ActionRun;

    beforeAll(async () => {
      await runAction({ inputs, env });
      const archives = fs.readdirSync(store).filter((name) => name.endsWith('.tar'));
      for (const name of archives) {
        const archive = path.join(store, name);
        fs.truncateSync(archive, Math.floor(fs.statSync(archive).size / 2));
      }
      removeModuleCache(env.GOMODCACHE);
      second = await runAction({ inputs, env });
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(() => {
      removeModuleCache(env.GOMODCACHE);
    });

    test('restore warns and build goes on', () => {
      expect(second.main.stdout).toMatch(
        /::warning::Restoring the Go modules cache failed, so the build goes on without it: cache archive .* is corrupt or truncated/,
      );
      expect(second.main.exitCode).toBe(0);
      expect(second.outputs['cache-hit']).toBe('false');
    });

    test('modules downloaded again', () => {
      expect(second.main.stdout).toMatch(/go mod download added [1-9]\d* module archives/);
    });
  });
  describe('tampered module cache', () => {
    const work = makeTempDirectory('e2e-tampered-');
    const project = copyExample('go2docker');
    const env = runnerEnv(project, work);
    const store = path.join(work, 'store');
    const inputs = {
      'working-directory': 'go2docker',
      tags: 'go2docker:tampered',
      'local-cache-dir': store,
    };
    let second: ActionRun;

    beforeAll(async () => {
      await runAction({ inputs, env });
      // Change one file of a module and save the archive again under the same key, as a
      // poisoned cache entry would arrive.
      const archive = fs.readdirSync(store).find((name) => name.startsWith('go-buildx-gomod-'))!;
      const uuidFile = path.join(env.GOMODCACHE, 'github.com', 'google', 'uuid@v1.6.0', 'uuid.go');
      fs.chmodSync(uuidFile, 0o644);
      fs.appendFileSync(uuidFile, '\n// tampered\n');
      fs.rmSync(path.join(store, archive));
      execFileSync('tar', ['-cf', path.join(store, archive), '-C', '/', env.GOMODCACHE.slice(1)]);
      removeModuleCache(env.GOMODCACHE);
      second = await runAction({ inputs, env });
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(() => {
      removeModuleCache(env.GOMODCACHE);
    });

    test('verify discards the cache', () => {
      expect(second.main.stdout).toContain(
        '::warning::go mod verify found modules in the restored cache',
      );
      expect(second.main.stdout).toContain('github.com/google/uuid v1.6.0: dir has been modified');
      expect(second.outputs['cache-hit']).toBe('false');
    });

    test('modules downloaded again and build succeeds', () => {
      expect(second.main.stdout).toMatch(/go mod download added [1-9]\d* module archives/);
      expect(second.main.exitCode).toBe(0);
    });

    test('module file clean again', () => {
      const uuidFile = path.join(env.GOMODCACHE, 'github.com', 'google', 'uuid@v1.6.0', 'uuid.go');
      expect(fs.readFileSync(uuidFile, 'utf8')).not.toContain('// tampered');
    });
  });
  describe('cancelled during the build', () => {
    const work = makeTempDirectory('e2e-cancelled-');
    const project = copyExample('go2docker');
    const env = runnerEnv(project, work);
    const store = path.join(work, 'store');
    let run: ActionRun;

    beforeAll(async () => {
      startFreshRunner(env);
      run = await runAction({
        inputs: {
          'working-directory': 'go2docker',
          tags: 'go2docker:cancelled',
          'local-cache-dir': store,
        },
        env,
        interruptMainOn: '::group::docker buildx build',
      });
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(() => {
      removeModuleCache(env.GOMODCACHE);
    });

    test('main step ended by the signal', () => {
      expect(run.main.exitCode === null ? run.main.signal : 'exited').toBe('SIGINT');
    });

    test('post step saves downloaded modules', () => {
      expect(run.post?.exitCode).toBe(0);
      expect(run.post?.stdout).toMatch(/Go modules cache saved as go-buildx-gomod-/);
      const archives = fs.readdirSync(store).filter((name) => name.startsWith('go-buildx-gomod-'));
      expect(archives).toHaveLength(1);
    });
  });

  describe('disk full during export', () => {
    const work = makeTempDirectory('e2e-diskfull-');
    const project = copyExample('go2docker');
    // GOCACHE and the exported build cache beside it live on a 1 MiB file system, which the
    // export of a Go build cache (tens of MB) fills.
    const smallDisk = path.join(work, 'small-disk');
    const env: Record<string, string> = {
      ...runnerEnv(project, work),
      GOCACHE: path.join(smallDisk, 'gocache'),
    };
    let run: ActionRun;

    beforeAll(async () => {
      fs.mkdirSync(smallDisk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', smallDisk]);
      startFreshRunner(env);
      run = await runAction({
        inputs: {
          'working-directory': 'go2docker',
          tags: 'go2docker:diskfull',
          'local-cache-dir': path.join(work, 'store'),
          // An export to a full disk was seen to hang in Buildx; the limit bounds the test.
          'cache-timeout': '60',
        },
        env,
      });
    }, ACTION_RUN_TIMEOUT_MS);

    afterAll(() => {
      execFileSync('umount', [smallDisk]);
      removeModuleCache(env.GOMODCACHE);
    });

    test('build succeeds', () => {
      expect(run.main.exitCode).toBe(0);
      expect(run.outputs['image-size']).toMatch(/^\d+$/);
    });

    test('export failure is a warning', () => {
      expect(run.main.stdout).toMatch(
        /::warning::Go build cache mount \/root\/\.cache\/go-build was not exported: /,
      );
    });

    test('post step skips the build cache', () => {
      expect(run.post?.exitCode).toBe(0);
      expect(run.post?.stdout).toContain(
        'Go build cache not saved: the export from the Docker build failed',
      );
    });
  });
});
