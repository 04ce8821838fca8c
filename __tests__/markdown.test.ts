import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { buildJsonReport, JsonReport, JsonReportInput } from '../src/report/json-report.js';
import {
  escapeMarkdown,
  MAX_COMMENT_LENGTH,
  renderSizeComment,
  renderSizeSummary,
  renderSizeTable,
  splitImageReference,
} from '../src/report/markdown.js';
import { LayerSize } from '../src/report/delta.js';

const HOSTILE_INSTRUCTION =
  'RUN echo #12 @octocat\nsecond line "<img src=x onerror=alert(1)>" | tee `id` ' +
  '[click](https://evil.example) *bold* _it_ ~~gone~~ $x$ \\ &';

function report(overrides: Partial<JsonReportInput> = {}): JsonReport {
  return buildJsonReport({
    image: {
      name: 'ghcr.io/acme/api',
      tags: ['ghcr.io/acme/api:1.4.0', 'ghcr.io/acme/api:latest'],
      imageId: 'sha256:0123456789abcdef' + '0'.repeat(48),
      digest: '',
    },
    platforms: [
      {
        platform: 'linux/amd64',
        uncompressedBytes: 36_494_118,
        compressedBytes: 15_000_000,
        layers: [
          {
            uncompressedBytes: 5_000_000,
            compressedBytes: 2_000_000,
            createdBy: 'ADD alpine-minirootfs.tar.gz /',
            fromBaseImage: true,
          },
          {
            uncompressedBytes: 31_494_118,
            compressedBytes: 13_000_000,
            createdBy: 'COPY /out/app /app # buildkit',
          },
        ],
        baseImage: { reference: 'alpine:3.20', uncompressedBytes: 5_000_000 },
      },
    ],
    baseline: {
      kind: 'report',
      source: 'size-report-main.json',
      platforms: [
        { platform: 'linux/amd64', uncompressedBytes: 35_294_118, compressedBytes: 15_000_000 },
      ],
    },
    run: { sha: 'abcdef1234567890abcdef1234567890abcdef12' },
    ...overrides,
  });
}

function hostileReport(): JsonReport {
  return report({
    image: {
      name: 'evil|name',
      tags: ['ghcr.io/acme/api:<b>x</b>|y', 'ghcr.io/acme/api:@octocat'],
      imageId: 'sha256:<script>',
      digest: '',
    },
    platforms: [
      {
        platform: 'linux/amd64',
        uncompressedBytes: 60_000_000,
        layers: [{ uncompressedBytes: 60_000_000, createdBy: HOSTILE_INSTRUCTION }],
        baseImage: { reference: 'alpine`:3.20', uncompressedBytes: 0 },
      },
    ],
    limits: { maxSize: { bytes: 50_000_000, text: '50MB' } },
  });
}

describe('escapeMarkdown', () => {
  test.each([
    ['&', '&amp;'],
    ['<b>', '&lt;b&gt;'],
    ['a|b', 'a&#124;b'],
    ['`code`', '&#96;code&#96;'],
    ['[x](y)', '&#91;x&#93;(y)'],
    ['![x](y)', '!&#91;x&#93;(y)'],
    ['*a* _b_', '&#42;a&#42; &#95;b&#95;'],
    ['~~s~~', '&#126;&#126;s&#126;&#126;'],
    ['$x$', '&#36;x&#36;'],
    ['a\\b', 'a&#92;b'],
    ['"q" \'s\'', '&quot;q&quot; &#39;s&#39;'],
    ['@octocat', '@&#8203;octocat'],
    ['#12', '#&#8203;12'],
    ['a @ b # c', 'a @ b # c'],
    ['user@example.com', 'user@&#8203;example.com'],
    ['line\nbreak\r\nand\ttab', 'line break and tab'],
    ['a\u2028b\u0000c', 'a b c'],
    ['plain text 1.2', 'plain text 1.2'],
  ])('%j', (text, expected) => {
    expect(escapeMarkdown(text)).toBe(expected);
  });

  test('marker cannot be forged', () => {
    const forged = escapeMarkdown('<!-- go-buildx-action:size-report:x -->');
    expect(forged).not.toContain('<!--');
    expect(forged).not.toContain('-->');
  });
});

describe('splitImageReference', () => {
  test.each([
    ['ghcr.io/acme/api:1.4.0', 'ghcr.io/acme/api', '1.4.0'],
    ['api', 'api', 'latest'],
    ['localhost:5000/api', 'localhost:5000/api', 'latest'],
    ['localhost:5000/api:dev', 'localhost:5000/api', 'dev'],
    ['api@sha256:abc', 'api', '<none>'],
    ['api:1@sha256:abc', 'api', '1'],
  ])('%s', (reference, repository, tag) => {
    expect(splitImageReference(reference)).toEqual({ repository, tag });
  });
});

describe('renderSizeTable', () => {
  test('docker image ls columns', () => {
    const lines = renderSizeTable([report()]).split('\n');
    expect(lines[0]).toBe(
      '| REPOSITORY | TAG | PLATFORM | IMAGE ID | SIZE | COMPRESSED | CHANGE | COMPRESSED CHANGE |',
    );
    expect(lines[2]).toBe(
      '| ghcr.io/acme/api | 1.4.0 | linux/amd64 | 0123456789ab | 36.5MB | 15MB | +1.2 MB (+3.4 %) | no change |',
    );
  });

  test('row per tag and platform', () => {
    const twoPlatforms = report({
      platforms: [
        { platform: 'linux/amd64', uncompressedBytes: 10_000_000, layers: [] },
        { platform: 'linux/arm64', uncompressedBytes: 9_000_000, layers: [] },
      ],
    });
    const rows = renderSizeTable([twoPlatforms]).split('\n').slice(2);
    expect(rows).toHaveLength(4);
    expect(rows.map((row) => row.split(' | ').slice(1, 3).join(' '))).toEqual([
      '1.4.0 linux/amd64',
      '1.4.0 linux/arm64',
      'latest linux/amd64',
      'latest linux/arm64',
    ]);
  });

  test('shrink and missing values', () => {
    const smaller = report({
      platforms: [{ platform: 'linux/amd64', uncompressedBytes: 34_000_000, layers: [] }],
    });
    const row = renderSizeTable([smaller]).split('\n')[2];
    expect(row).toContain('| 34MB | – | \u22121.3 MB (\u22123.7 %) | – |');
  });

  test('estimated compressed size marked', () => {
    const estimated = report({
      platforms: [
        {
          platform: 'linux/amd64',
          uncompressedBytes: 12_000_000,
          compressedBytes: 5_000_000,
          compressedIsEstimate: true,
          layers: [],
        },
      ],
    });
    const table = renderSizeTable([estimated]);
    expect(table.split('\n')[2]).toContain('| 12MB | ≈5MB |');
    expect(table).toContain('≈ Compressed size estimated locally with gzip');
  });

  test('no estimate note for registry sizes', () => {
    expect(renderSizeTable([report()])).not.toContain('≈');
  });

  test('untagged image', () => {
    const untagged = report({ image: { name: 'api', tags: [], imageId: '', digest: '' } });
    expect(renderSizeTable([untagged]).split('\n')[2]).toMatch(
      /^\| api \| &lt;none&gt; \| linux\/amd64 \| – \|/,
    );
  });
});

describe('renderSizeSummary', () => {
  const text = renderSizeSummary(
    report({ limits: { maxSize: { bytes: 50_000_000, text: '50MB' } } }),
  );

  test('heading and blank edges', () => {
    expect(text.startsWith('\n### Image size\n\n| REPOSITORY')).toBe(true);
    expect(text.endsWith('</details>\n')).toBe(true);
  });

  test('baseline line', () => {
    expect(text).toContain(
      'Change against the baseline report <code>size-report-main.json</code>.',
    );
  });

  test('base image share', () => {
    expect(text).toContain(
      'Base image <code>alpine:3.20</code> on linux/amd64: 5.0 MB of 36.5 MB (13.7 %).',
    );
  });

  test('budgets passed', () => {
    expect(text).toContain('Size budgets passed (max-size 50MB on the uncompressed size).');
  });

  test('layers folded', () => {
    expect(text).toContain(
      '<details>\n<summary>Layers of ghcr.io/acme/api for linux/amd64: 2 layers</summary>\n\n',
    );
    expect(text).toContain('| 31.5MB | 13MB | <code>COPY /out/app /app</code> |');
    expect(text).toContain(
      '| 5MB | 2MB | <code>ADD alpine-minirootfs.tar.gz /</code> (base image) |',
    );
  });

  test('no baseline reason', () => {
    const summary = renderSizeSummary(
      report({ baseline: { kind: 'none', reason: 'baseline-image api:main was not found' } }),
    );
    expect(summary).toContain('No size change shown: baseline-image api:main was not found.');
  });

  test('number baseline', () => {
    const summary = renderSizeSummary(
      report({
        baseline: { kind: 'number', source: 'baseline-size', uncompressedBytes: 30_000_000 },
      }),
    );
    expect(summary).toContain(
      'Change against baseline-size 30.0 MB (30000000 bytes). Not compared: baseline-size gives the uncompressed size only.',
    );
  });

  test('many layers capped', () => {
    const layers: LayerSize[] = Array.from({ length: 130 }, (_, i) => ({
      uncompressedBytes: i,
      createdBy: `RUN step ${i}`,
    }));
    const summary = renderSizeSummary(
      report({ platforms: [{ platform: 'linux/amd64', uncompressedBytes: 8_385, layers }] }),
    );
    expect(summary).toContain('RUN step 99</code>');
    expect(summary).not.toContain('RUN step 100</code>');
    expect(summary).toContain('30 more layers not listed.');
  });
});

describe('hostile text escaped', () => {
  const summary = renderSizeSummary(hostileReport());
  const comment = renderSizeComment([hostileReport()], {
    marker: '<!-- go-buildx-action:size-report:k -->',
  });

  test.each([
    ['summary', summary],
    ['comment', comment],
  ])('%s has no raw markup', (_, text) => {
    expect(text).not.toContain('<img');
    expect(text).not.toContain('<script');
    expect(text).not.toContain('<b>');
    expect(text).not.toContain('[click]');
    expect(text).not.toContain('`');
    expect(text).not.toContain('@octocat');
    expect(text).not.toMatch(/(?<!&)#12/);
    expect(text).not.toContain('*bold*');
    expect(text).not.toContain('$x$');
  });

  test('table rows keep eight cells', () => {
    const rows = summary.split('\n').filter((line) => line.startsWith('| ghcr.io'));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.split(' | ')).toHaveLength(8);
  });

  test('instruction stays on one row', () => {
    const layerRow = summary.split('\n').find((line) => line.startsWith('| 60MB |'));
    expect(layerRow).toContain('second line &quot;');
    expect(layerRow).toContain('&#92; &amp;</code> |');
    expect(layerRow?.split(' | ')).toHaveLength(3);
  });

  test('violation message escaped', () => {
    const item = summary.split('\n').find((line) => line.startsWith('- linux/amd64'));
    expect(item).toContain(
      'Largest layers: 60 MB (60000000 bytes) RUN echo #&#8203;12 @&#8203;octocat second line &quot;&lt;img',
    );
  });
});

describe('renderSizeComment', () => {
  const marker = '<!-- go-buildx-action:size-report:image:ci:ghcr.io/acme/api -->';

  test('marker first', () => {
    expect(
      renderSizeComment([report()], { marker }).startsWith(`${marker}\n\n### Image size\n`),
    ).toBe(true);
  });

  test('commit and run link', () => {
    const body = renderSizeComment([report()], {
      marker,
      runUrl: 'https://github.com/acme/api/actions/runs/42',
    });
    expect(body).toContain(
      '<sub>Measured by go-buildx-action for commit abcdef1 in [this workflow run](https://github.com/acme/api/actions/runs/42).</sub>',
    );
  });

  test('unsafe run link dropped', () => {
    const body = renderSizeComment([report()], { marker, runUrl: 'javascript:alert(1)' });
    expect(body).toContain('<sub>Measured by go-buildx-action for commit abcdef1.</sub>');
  });

  test('report sha not hex ignored', () => {
    const body = renderSizeComment([report({ run: { sha: '<b>x</b>' } })], { marker });
    expect(body).toContain('<sub>Measured by go-buildx-action.</sub>');
  });

  test('several reports', () => {
    const other = report({
      image: {
        name: 'ghcr.io/acme/worker',
        tags: ['ghcr.io/acme/worker:1'],
        imageId: '',
        digest: '',
      },
    });
    const body = renderSizeComment([report(), other], { marker });
    expect(body.split('\n').filter((line) => line.startsWith('| ghcr.io/acme/'))).toHaveLength(3);
    expect(body).toContain('#### ghcr.io/acme/api');
    expect(body).toContain('#### ghcr.io/acme/worker');
  });

  test('too long drops layers', () => {
    const layers: LayerSize[] = Array.from({ length: 100 }, (_, i) => ({
      uncompressedBytes: i,
      createdBy: `RUN ${'x'.repeat(90)} ${i}`,
    }));
    const big = Array.from({ length: 8 }, () =>
      report({ platforms: [{ platform: 'linux/amd64', uncompressedBytes: 5_000, layers }] }),
    );
    const body = renderSizeComment(big, { marker });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(body).not.toContain('<details>');
    expect(body).toContain(
      "Layer tables left out: with them this comment would exceed GitHub's limit of 65536 characters.",
    );
  });

  test('far too long cut', () => {
    const tags = Array.from({ length: 2000 }, (_, i) => `ghcr.io/acme/api:tag-${i}`);
    const body = renderSizeComment(
      [report({ image: { name: 'api', tags, imageId: '', digest: '' } })],
      { marker },
    );
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(body.startsWith(marker)).toBe(true);
    expect(body.endsWith('\n\nThe size report was cut to fit the comment limit.\n')).toBe(true);
  });
});

// GitHub renders comments with cmark-gfm. When Debian's cmark-gfm command is installed, these
// checks render the output with it; elsewhere they are skipped.
const cmark = spawnSync('cmark-gfm', ['--version'], { encoding: 'utf8' });
const describeWithCmark = cmark.status === 0 ? describe : describe.skip;

function renderGfm(markdown: string): string {
  const result = spawnSync(
    'cmark-gfm',
    ['--unsafe', '-e', 'table', '-e', 'autolink', '-e', 'strikethrough'],
    {
      input: markdown,
      encoding: 'utf8',
    },
  );
  return result.stdout;
}

describeWithCmark('rendered by cmark-gfm', () => {
  const html = renderGfm(renderSizeSummary(hostileReport()));

  test('no injected elements', () => {
    expect(html).not.toMatch(/<img|<script|<b>|<em>|<del>/);
    expect(html.match(/<strong>/g)).toHaveLength(1);
  });

  test('only bare URLs linked', () => {
    // The budget message cuts the instruction inside the URL, so that link ends in "…".
    const links = [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)];
    expect(links.map((link) => link[2])).toEqual(['https://evil.ex…', 'https://evil.example']);
    for (const link of links) expect(decodeURI(link[1])).toBe(link[2]);
    expect(html.match(/<a /g)).toHaveLength(2);
  });

  test('mentions and references broken', () => {
    expect(html).toContain('@\u200Boctocat');
    expect(html).toContain('#\u200B12');
    expect(html).not.toMatch(/@octocat|(?<!&)#12/);
  });

  test('instruction shown as written', () => {
    expect(html).toContain(
      '<code>RUN echo #\u200B12 @\u200Boctocat second line &quot;&lt;img src=x onerror=alert(1)&gt;&quot; | tee `id` ' +
        '[click](<a href="https://evil.example">https://evil.example</a>) *bold* _it_ ~~gone~~ $x$ \\ &amp;</code>',
    );
  });

  test('table rows intact', () => {
    const sizeTable = html.split('</table>')[0];
    expect(sizeTable.match(/<tr>/g)).toHaveLength(3);
    expect(sizeTable.match(/<td[ >]/g)).toHaveLength(16);
  });
});
