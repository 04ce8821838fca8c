// Tests for the pull request size comment. A node:http server on 127.0.0.1 stands in for the
// GitHub REST API, because that API cannot run here. The server implements only the endpoints
// that upsertSizeComment calls (GET /user, and listing, creating and updating issue comments),
// pages its lists with Link headers as GitHub does, and records every request.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import {
  commentKey,
  commentMarker,
  upsertSizeComment,
  UpsertSizeCommentOptions,
} from '../src/report/comment.js';
import { buildJsonReport } from '../src/report/json-report.js';
import { renderSizeComment } from '../src/report/markdown.js';

interface FakeUser {
  login: string;
  type: 'User' | 'Bot';
}

interface FakeComment {
  id: number;
  body: string;
  html_url: string;
  user: FakeUser;
}

interface RecordedRequest {
  method: string;
  path: string;
  page: string | null;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
}

const BOT: FakeUser = { login: 'github-actions[bot]', type: 'Bot' };
const OTHER_BOT: FakeUser = { login: 'dependabot[bot]', type: 'Bot' };
const ALICE: FakeUser = { login: 'alice', type: 'User' };
const MALLORY: FakeUser = { login: 'mallory', type: 'User' };

/** Comment store and request log of the stand-in API. */
class FakeGitHub {
  comments: FakeComment[] = [];
  requests: RecordedRequest[] = [];
  /** Maximum comments per page, below GitHub's 100 so tests can reach page 2. */
  pageSize = 100;
  /** Account the token acts as. With null, GET /user responds 403, as for GITHUB_TOKEN. */
  tokenUser: FakeUser | null = null;
  /** Error status and headers that comment writes (POST and PATCH) get instead of a write. */
  writeFailure?: { status: number; message: string; headers?: Record<string, string> };
  /** Error status that comment lists get instead of the comments. */
  listFailure?: { status: number; message: string };
  private nextId = 1000;
  private server = http.createServer((request, response) => this.handle(request, response));
  baseUrl = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  reset(): void {
    this.comments = [];
    this.requests = [];
    this.pageSize = 100;
    this.tokenUser = null;
    this.writeFailure = undefined;
    this.listFailure = undefined;
  }

  addComment(user: FakeUser, body: string): FakeComment {
    const id = this.nextId++;
    const comment = {
      id,
      body,
      user,
      html_url: `https://github.test/acme/api/pull/7#issuecomment-${id}`,
    };
    this.comments.push(comment);
    return comment;
  }

  /** Method and path of each request, for example `GET /repos/acme/api/issues/7/comments`. */
  routes(): string[] {
    return this.requests.map((request) => `${request.method} ${request.path}`);
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', this.baseUrl);
      // GitHub Enterprise Server serves the API under /api/v3.
      const path = url.pathname.replace(/^\/api\/v3/, '');
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      this.requests.push({
        method: request.method ?? '',
        path,
        page: url.searchParams.get('page'),
        authorization: request.headers.authorization,
        body,
      });
      this.route(request.method ?? '', path, url, body, response);
    });
  }

  private route(
    method: string,
    path: string,
    url: URL,
    body: Record<string, unknown> | undefined,
    response: http.ServerResponse,
  ): void {
    const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(data));
    };

    if (method === 'GET' && path === '/user') {
      if (!this.tokenUser) return send(403, { message: 'Resource not accessible by integration' });
      return send(200, this.tokenUser);
    }

    const list = /^\/repos\/acme\/api\/issues\/7\/comments$/.exec(path);
    if (list && method === 'GET') {
      if (this.listFailure)
        return send(this.listFailure.status, { message: this.listFailure.message });
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), this.pageSize);
      const page = Number(url.searchParams.get('page') ?? 1);
      const items = this.comments.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < this.comments.length) {
        const next = new URL(url);
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next.toString()}>; rel="next"`;
      }
      return send(200, items, headers);
    }
    if (list && method === 'POST') {
      if (this.writeFailure) {
        const { status, message, headers } = this.writeFailure;
        return send(status, { message }, headers);
      }
      const comment = this.addComment(this.tokenUser ?? BOT, String(body?.body));
      return send(201, comment);
    }

    const update = /^\/repos\/acme\/api\/issues\/comments\/(\d+)$/.exec(path);
    if (update && method === 'PATCH') {
      if (this.writeFailure) {
        const { status, message, headers } = this.writeFailure;
        return send(status, { message }, headers);
      }
      const comment = this.comments.find((candidate) => candidate.id === Number(update[1]));
      if (!comment) return send(404, { message: 'Not Found' });
      comment.body = String(body?.body);
      return send(200, comment);
    }
    return send(404, { message: 'Not Found' });
  }
}

const github = new FakeGitHub();
const MARKER = commentMarker(commentKey('image', 'CI', 'ghcr.io/acme/api:1.4.0'));

function options(overrides: Partial<UpsertSizeCommentOptions> = {}): UpsertSizeCommentOptions {
  return {
    token: 'test-token',
    repository: { owner: 'acme', repo: 'api' },
    issueNumber: 7,
    marker: MARKER,
    body: `${MARKER}\n\n### Image size\n\nnew body`,
    apiUrl: github.baseUrl,
    ...overrides,
  };
}

beforeAll(async () => {
  await github.start();
});

afterAll(async () => {
  await github.stop();
});

beforeEach(() => {
  github.reset();
});

describe('commentKey', () => {
  test('image mode drops tag', () => {
    expect(commentKey('image', 'CI', 'ghcr.io/acme/api:1.4.0')).toBe('image:CI:ghcr.io/acme/api');
    expect(commentKey('image', 'CI', 'ghcr.io/acme/api@sha256:abc')).toBe(
      'image:CI:ghcr.io/acme/api',
    );
  });

  test('image mode keeps registry port', () => {
    expect(commentKey('image', 'CI', 'localhost:5000/api')).toBe('image:CI:localhost:5000/api');
  });

  test('workflow mode', () => {
    expect(commentKey('workflow', 'Build images', 'ghcr.io/acme/api:1')).toBe(
      'workflow:Build-images',
    );
  });

  test('unsafe characters replaced', () => {
    expect(commentKey('workflow', 'a -- b --> <c>', 'x')).toBe('workflow:a-b-c');
  });

  test('empty parts', () => {
    expect(commentKey('image', '', '')).toBe('image:workflow:image');
  });
});

describe('commentMarker', () => {
  test('format', () => {
    expect(MARKER).toBe('<!-- go-buildx-action:size-report:image:CI:ghcr.io/acme/api -->');
  });

  test('key cannot close comment', () => {
    const marker = commentMarker('x --> <script>');
    expect(marker).toBe('<!-- go-buildx-action:size-report:x-script -->');
    expect(marker.indexOf('-->')).toBe(marker.length - 3);
  });
});

describe('upsertSizeComment', () => {
  test('creates when none', async () => {
    github.addComment(ALICE, 'Looks good');
    const result = await upsertSizeComment(options());
    expect(result.status).toBe('created');
    expect(github.routes()).toEqual([
      'GET /repos/acme/api/issues/7/comments',
      'POST /repos/acme/api/issues/7/comments',
    ]);
    expect(github.requests[1].body).toEqual({ body: options().body });
    expect(github.comments).toHaveLength(2);
  });

  test('created result has id and URL', async () => {
    const result = await upsertSizeComment(options());
    const created = github.comments[0];
    expect(result).toEqual({ status: 'created', commentId: created.id, url: created.html_url });
  });

  test('sends token', async () => {
    await upsertSizeComment(options());
    expect(github.requests[0].authorization).toBe('token test-token');
  });

  test('updates own comment', async () => {
    github.addComment(ALICE, 'Looks good');
    const own = github.addComment(BOT, `${MARKER}\nold body`);
    const result = await upsertSizeComment(options());
    expect(result).toEqual({ status: 'updated', commentId: own.id, url: own.html_url });
    expect(github.routes()).toEqual([
      'GET /repos/acme/api/issues/7/comments',
      'GET /user',
      `PATCH /repos/acme/api/issues/comments/${own.id}`,
    ]);
    expect(own.body).toBe(options().body);
    expect(github.comments).toHaveLength(2);
  });

  test('marker on page 2', async () => {
    github.pageSize = 2;
    github.addComment(ALICE, 'first');
    github.addComment(MALLORY, 'second');
    github.addComment(ALICE, 'third');
    const own = github.addComment(BOT, `${MARKER}\nold body`);
    const result = await upsertSizeComment(options());
    expect(result.status).toBe('updated');
    expect(
      github.requests
        .filter((request) => request.method === 'GET' && request.path !== '/user')
        .map((request) => request.page),
    ).toEqual([null, '2']);
    expect(github.routes().at(-1)).toBe(`PATCH /repos/acme/api/issues/comments/${own.id}`);
  });

  test('all pages read before create', async () => {
    github.pageSize = 2;
    for (let i = 0; i < 5; i++) github.addComment(ALICE, `comment ${i}`);
    const result = await upsertSizeComment(options());
    expect(result.status).toBe('created');
    expect(
      github.requests.filter((request) => request.method === 'GET').map((request) => request.page),
    ).toEqual([null, '2', '3']);
  });

  test('other marker keys ignored', async () => {
    const otherMarker = commentMarker(commentKey('image', 'CI', 'ghcr.io/acme/api-debug'));
    github.addComment(BOT, `${otherMarker}\nother image`);
    const result = await upsertSizeComment(options());
    expect(result.status).toBe('created');
    expect(github.comments[0].body).toContain('other image');
  });

  test('marker pasted by a person ignored', async () => {
    const pasted = github.addComment(MALLORY, `${MARKER}\nquoted report`);
    const result = await upsertSizeComment(options());
    expect(result.status).toBe('created');
    expect(pasted.body).toBe(`${MARKER}\nquoted report`);
  });

  test('personal token matches its login', async () => {
    github.tokenUser = ALICE;
    github.addComment(BOT, `${MARKER}\nbot copy`);
    const own = github.addComment(ALICE, `${MARKER}\nalice copy`);
    const result = await upsertSizeComment(options());
    expect(result).toMatchObject({ status: 'updated', commentId: own.id });
    expect(github.comments[0].body).toBe(`${MARKER}\nbot copy`);
  });

  test('oldest own comment updated', async () => {
    const first = github.addComment(BOT, `${MARKER}\none`);
    github.addComment(BOT, `${MARKER}\ntwo`);
    const result = await upsertSizeComment(options());
    expect(result).toMatchObject({ status: 'updated', commentId: first.id });
  });

  // NOTE: with an installation token the author check accepts any bot account.
  test('installation token accepts bot', async () => {
    const bot = github.addComment(OTHER_BOT, `${MARKER}\nold`);
    const result = await upsertSizeComment(options());
    expect(result).toMatchObject({ status: 'updated', commentId: bot.id });
  });

  test('identical body left alone', async () => {
    const own = github.addComment(BOT, options().body);
    const result = await upsertSizeComment(options());
    expect(result).toEqual({ status: 'unchanged', commentId: own.id, url: own.html_url });
    expect(github.requests.some((request) => request.method === 'PATCH')).toBe(false);
  });

  test('marker prepended when missing', async () => {
    await upsertSizeComment(options({ body: 'size table' }));
    expect(github.comments[0].body).toBe(`${MARKER}\nsize table`);
  });

  test('fork token forbidden on create', async () => {
    github.writeFailure = { status: 403, message: 'Resource not accessible by integration' };
    const result = await upsertSizeComment(options());
    expect(result.status).toBe('not-permitted');
    if (result.status !== 'not-permitted') return;
    expect(result.httpStatus).toBe(403);
    expect(result.message).toContain('cannot comment on pull request #7 in acme/api');
    expect(result.message).toContain('Resource not accessible by integration');
    expect(result.message).toContain('workflow_run');
    expect(github.comments).toHaveLength(0);
  });

  test('fork token forbidden on update', async () => {
    github.addComment(BOT, `${MARKER}\nold`);
    github.writeFailure = { status: 403, message: 'Resource not accessible by integration' };
    const result = await upsertSizeComment(options());
    expect(result).toMatchObject({ status: 'not-permitted', httpStatus: 403 });
  });

  test('list not found', async () => {
    github.listFailure = { status: 404, message: 'Not Found' };
    const result = await upsertSizeComment(options());
    expect(result).toMatchObject({ status: 'not-permitted', httpStatus: 404 });
  });

  test('rate limit throws', async () => {
    github.writeFailure = {
      status: 403,
      message: 'API rate limit exceeded for installation ID 1.',
      headers: { 'x-ratelimit-remaining': '0' },
    };
    await expect(upsertSizeComment(options())).rejects.toMatchObject({ status: 403 });
  });

  test('server error throws', async () => {
    github.writeFailure = { status: 500, message: 'Server Error' };
    await expect(upsertSizeComment(options())).rejects.toMatchObject({ status: 500 });
  });

  test('enterprise API path', async () => {
    await upsertSizeComment(options({ apiUrl: `${github.baseUrl}/api/v3` }));
    expect(github.routes()).toEqual([
      'GET /repos/acme/api/issues/7/comments',
      'POST /repos/acme/api/issues/7/comments',
    ]);
  });

  test('body escaped end to end', async () => {
    const report = buildJsonReport({
      image: {
        name: 'ghcr.io/acme/api',
        tags: ['ghcr.io/acme/api:<b>pr</b>'],
        imageId: '',
        digest: '',
      },
      platforms: [
        {
          platform: 'linux/amd64',
          uncompressedBytes: 1_000,
          layers: [
            {
              uncompressedBytes: 1_000,
              createdBy: 'RUN echo "<script>x</script>" @octocat [a](b) | `c`',
            },
          ],
        },
      ],
    });
    const body = renderSizeComment([report], { marker: MARKER });
    await upsertSizeComment(options({ body }));

    const sent = String(github.requests[1].body?.body);
    expect(sent).toBe(body);
    expect(sent.split(MARKER)).toHaveLength(2);
    expect(sent).not.toMatch(/<script|<b>|@octocat|\[a\]|`/);
    expect(sent).toContain(
      '<code>RUN echo &quot;&lt;script&gt;x&lt;/script&gt;&quot; @&#8203;octocat &#91;a&#93;(b) &#124; &#96;c&#96;</code>',
    );
  });
});
