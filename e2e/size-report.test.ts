import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ActionRun, runAction } from '../scripts/local-runner.mjs';
import {
  ACTION_RUN_TIMEOUT_MS,
  copyExample,
  describeWithRegistry,
  docker,
  makeTempDirectory,
  REGISTRY,
  removeModuleCache,
} from './support.js';

interface JsonReportFile {
  platforms: Array<{
    uncompressedBytes: number;
    compressedBytes?: number;
    compressedIsEstimate?: boolean;
  }>;
  baseline: { kind: string; source?: string };
  delta: Array<{ uncompressed: { bytes: number | null; percent: number | null } }>;
  budgets: { passed: boolean; violations: Array<{ message: string }> };
}

function readReport(run: ActionRun): JsonReportFile {
  return JSON.parse(fs.readFileSync(run.outputs['report-file'], 'utf8')) as JsonReportFile;
}

function inspectSize(reference: string): number {
  return Number(docker(['image', 'inspect', '--format', '{{.Size}}', reference]));
}

/** Adds (or resizes) a file of `bytes` bytes to the final stage of the go2docker Dockerfile. */
function growImage(project: string, bytes: number): void {
  fs.writeFileSync(path.join(project, 'padding.bin'), Buffer.alloc(bytes, 7));
  const dockerfile = path.join(project, 'Dockerfile');
  const text = fs.readFileSync(dockerfile, 'utf8');
  fs.writeFileSync(
    dockerfile,
    text.replace('ENTRYPOINT', 'COPY padding.bin /padding.bin\nENTRYPOINT'),
  );
}

// One project is built on a stand-in default branch, which saves its size report, then grown
// by 300 kB on a stand-in pull request branch, which finds that report as its baseline.
describeWithRegistry('size report', () => {
  const work = makeTempDirectory('e2e-size-');
  const project = copyExample('go2docker');
  const store = path.join(work, 'store');
  const env = {
    GITHUB_WORKSPACE: path.dirname(project),
    GOMODCACHE: path.join(work, 'gomodcache'),
    GOCACHE: path.join(work, 'gocache'),
  };
  const baseTag = `${REGISTRY}/go2docker-size:main`;
  const prTag = `${REGISTRY}/go2docker-size:pr`;
  let base: ActionRun;
  let pullRequest: ActionRun;
  let overBudget: ActionRun;
  let baselineImage: ActionRun;

  beforeAll(async () => {
    base = await runAction({
      inputs: {
        'working-directory': 'go2docker',
        tags: baseTag,
        push: 'true',
        'local-cache-dir': store,
      },
      env: { ...env, GITHUB_REF_NAME: 'main' },
    });
    growImage(project, 300_000);
    pullRequest = await runAction({
      inputs: {
        'working-directory': 'go2docker',
        tags: prTag,
        'local-cache-dir': store,
        'max-increase': '50%',
        'report-file': path.join(work, 'pr-report.json'),
      },
      env: { ...env, GITHUB_REF_NAME: 'feature', GITHUB_BASE_REF: 'main' },
    });
    overBudget = await runAction({
      inputs: {
        'working-directory': 'go2docker',
        tags: prTag,
        'local-cache-dir': store,
        'max-size': '2MB',
        'max-increase': '5%',
      },
      env: { ...env, GITHUB_REF_NAME: 'feature', GITHUB_BASE_REF: 'main' },
    });
    baselineImage = await runAction({
      inputs: {
        'working-directory': 'go2docker',
        tags: prTag,
        'local-cache-dir': store,
        'baseline-image': baseTag,
      },
      env: { ...env, GITHUB_REF_NAME: 'feature' },
    });
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    removeModuleCache(env.GOMODCACHE);
  });

  describe('push to registry', () => {
    test('digest and compressed size from registry', async () => {
      expect(base.main.exitCode).toBe(0);
      expect(base.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const response = await fetch(`http://${REGISTRY}/v2/go2docker-size/manifests/main`, {
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      const manifest = (await response.json()) as { layers: Array<{ size: number }> };
      const layerSum = manifest.layers.reduce((total, layer) => total + layer.size, 0);
      expect(base.outputs['image-size-compressed']).toBe(String(layerSum));
      expect(readReport(base).platforms[0].compressedIsEstimate).toBe(false);
    });

    test('report saved for later baselines', () => {
      expect(base.post?.stdout).toMatch(/Size report saved as go-buildx-size-report-main-/);
    });
  });

  describe('pull request against base branch', () => {
    test('baseline found in cache', () => {
      expect(pullRequest.main.exitCode).toBe(0);
      const report = readReport(pullRequest);
      expect(report.baseline.kind).toBe('report');
      expect(report.baseline.source).toMatch(/^cache entry go-buildx-size-report-main-/);
    });

    test('delta equals image difference', () => {
      const expected = inspectSize(prTag) - inspectSize(baseTag);
      expect(expected).toBeGreaterThanOrEqual(300_000);
      expect(pullRequest.outputs['size-delta']).toBe(String(expected));
      const percent = ((expected / inspectSize(baseTag)) * 100).toFixed(1);
      expect(pullRequest.outputs['size-delta-percent']).toBe(percent);
    });

    test('summary shows the change', () => {
      expect(pullRequest.summary).toContain('### Image size');
      expect(pullRequest.summary).toMatch(/\+3\d\d(\.\d)? kB \(\+1\d\.\d %\)/);
      expect(pullRequest.summary).toContain('<details>');
    });

    test('report file at requested path', () => {
      expect(pullRequest.outputs['report-file']).toBe(path.join(work, 'pr-report.json'));
      expect(readReport(pullRequest).budgets.passed).toBe(true);
    });
  });

  describe('budgets exceeded', () => {
    test('step fails after reporting', () => {
      expect(overBudget.main.exitCode).toBe(1);
      expect(overBudget.outputs['budget-violations']).toBe('2');
      expect(fs.existsSync(overBudget.outputs['report-file'])).toBe(true);
      expect(overBudget.summary).toContain('Size budget exceeded.');
    });

    test('message names size, limit and layers', () => {
      const errorLines = overBudget.main.stdout
        .split('\n')
        .filter((line) => line.startsWith('::error::'));
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toContain('2MB');
      expect(errorLines[0]).toContain('5%');
      expect(errorLines[0]).toContain('COPY padding.bin /padding.bin');
    });

    test('image still built', () => {
      expect(overBudget.outputs['image-id']).toMatch(/^sha256:/);
    });
  });

  describe('baseline-image', () => {
    test('delta against the named image', () => {
      expect(baselineImage.main.exitCode).toBe(0);
      const report = readReport(baselineImage);
      expect(report.baseline).toMatchObject({ kind: 'image', source: baseTag });
      expect(baselineImage.outputs['size-delta']).toBe(
        String(inspectSize(prTag) - inspectSize(baseTag)),
      );
    });
  });
});

/** Comment requests a stand-in GitHub REST API received, with the one comment it keeps. */
interface FakeGitHub {
  server: http.Server;
  url: string;
  requests: Array<{ method: string; path: string; body: string }>;
  comments: Array<{
    id: number;
    body: string;
    user: { login: string; type: string };
    html_url: string;
  }>;
  rejectWrites: boolean;
}

/**
 * Starts a stand-in for the GitHub REST API on loopback, because the real API cannot be
 * reached here. It serves the three comment endpoints the action calls.
 */
async function startFakeGitHub(): Promise<FakeGitHub> {
  const fake: FakeGitHub = {
    server: http.createServer(),
    url: '',
    requests: [],
    comments: [],
    rejectWrites: false,
  };
  fake.server.on('request', (request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      fake.requests.push({ method: request.method ?? '', path: url.pathname, body });
      const send = (status: number, value: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (request.method === 'GET' && url.pathname === '/repos/acme/api/issues/7/comments') {
        send(200, fake.comments);
      } else if (fake.rejectWrites) {
        send(403, { message: 'Resource not accessible by integration' });
      } else if (
        request.method === 'POST' &&
        url.pathname === '/repos/acme/api/issues/7/comments'
      ) {
        const comment = {
          id: 100 + fake.comments.length,
          body: (JSON.parse(body) as { body: string }).body,
          user: { login: 'github-actions[bot]', type: 'Bot' },
          html_url: `https://github.example/acme/api/pull/7#issuecomment-${100 + fake.comments.length}`,
        };
        fake.comments.push(comment);
        send(201, comment);
      } else if (
        request.method === 'PATCH' &&
        url.pathname.startsWith('/repos/acme/api/issues/comments/')
      ) {
        const comment = fake.comments.find((candidate) =>
          url.pathname.endsWith(`/${candidate.id}`),
        );
        if (!comment) return send(404, { message: 'Not Found' });
        comment.body = (JSON.parse(body) as { body: string }).body;
        send(200, comment);
      } else {
        send(404, { message: 'Not Found' });
      }
    });
  });
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake;
}

describeWithRegistry('pull request comment', () => {
  const work = makeTempDirectory('e2e-comment-');
  const project = copyExample('go2docker');
  const eventFile = path.join(work, 'event.json');
  let fake: FakeGitHub;
  let requestsBeforeFork = 0;
  const runs: ActionRun[] = [];

  function commentEnv(): Record<string, string> {
    return {
      GITHUB_WORKSPACE: path.dirname(project),
      GOMODCACHE: path.join(work, 'gomodcache'),
      GOCACHE: path.join(work, 'gocache'),
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_REPOSITORY: 'acme/api',
      GITHUB_WORKFLOW: 'images',
      GITHUB_API_URL: fake.url,
      GITHUB_REF_NAME: '7/merge',
      GITHUB_BASE_REF: 'main',
    };
  }

  const inputs = {
    'working-directory': 'go2docker',
    tags: 'go2docker-comment:pr',
    comment: 'true',
    'github-token': 'test-token-not-secret-xyz',
    'local-cache-dir': path.join(work, 'store'),
  };

  beforeAll(async () => {
    fake = await startFakeGitHub();
    fs.writeFileSync(
      eventFile,
      JSON.stringify({ pull_request: { number: 7 }, repository: { default_branch: 'main' } }),
    );
    runs.push(await runAction({ inputs, env: commentEnv() }));
    growImage(project, 50_000);
    runs.push(await runAction({ inputs, env: commentEnv() }));
    requestsBeforeFork = fake.requests.length;
    fake.rejectWrites = true;
    growImage(project, 10_000);
    runs.push(await runAction({ inputs, env: commentEnv() }));
  }, ACTION_RUN_TIMEOUT_MS);

  afterAll(() => {
    fake.server.close();
    removeModuleCache(path.join(work, 'gomodcache'));
  });

  test('first run creates the comment', () => {
    expect(runs[0].main.exitCode).toBe(0);
    expect(runs[0].outputs['comment-url']).toBe(
      'https://github.example/acme/api/pull/7#issuecomment-100',
    );
    const creates = fake.requests.filter((request) => request.method === 'POST');
    expect(creates).toHaveLength(1);
  });

  test('second run updates it in place', () => {
    expect(runs[1].main.exitCode).toBe(0);
    expect(fake.comments).toHaveLength(1);
    const updates = fake.requests
      .slice(0, requestsBeforeFork)
      .filter((request) => request.method === 'PATCH');
    expect(updates).toHaveLength(1);
  });

  test('comment carries marker and size', () => {
    const body = fake.comments[0].body;
    expect(body).toMatch(/^<!-- go-buildx-action:size-report:[^>]+ -->/);
    expect(body).toContain('### Image size');
    expect(body).toContain('go2docker-comment');
  });

  test('read-only token only warns', () => {
    expect(runs[2].main.exitCode).toBe(0);
    expect(runs[2].main.stdout).toMatch(/::warning::Size comment not posted \(HTTP 403\)/);
    expect(runs[2].summary).toContain('### Image size');
  });

  test('token never in output', () => {
    for (const run of runs) {
      const lines = run.main.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
      expect(lines.join('\n')).not.toContain('test-token-not-secret-xyz');
      expect(run.summary).not.toContain('test-token-not-secret-xyz');
    }
  });
});
