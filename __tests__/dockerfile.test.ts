import { describe, expect, test } from '@jest/globals';
import {
  expandVariables,
  parseDockerfile,
  parseMount,
  resolveBaseImage,
} from '../src/docker/dockerfile.js';
import {
  findGoCacheMounts,
  parseManualMountTargets,
  stageGoPaths,
} from '../src/cache/mount-finder.js';

const multiStage = `# syntax=docker/dockerfile:1
# escape=\\
ARG GO_VERSION=1.26
FROM golang:\${GO_VERSION} AS build
ENV GOMODCACHE=/cache/mod GOFLAGS=-trimpath
WORKDIR /src
# A comment between instructions.
RUN --mount=type=cache,target=\${GOMODCACHE} \\
    # a comment inside a continuation
    --mount=type=cache,id=gobuild,target=/root/.cache/go-build,sharing=locked \\
    go build -o /out/app .

FROM build AS test
RUN --mount=type=cache,target=/cache/mod go test ./...

FROM scratch
COPY --from=build /out/app /app
`;

describe('parseDockerfile', () => {
  const parsed = parseDockerfile(multiStage);

  test('directives', () => {
    expect(parsed.directives.get('syntax')).toBe('docker/dockerfile:1');
    expect(parsed.directives.get('escape')).toBe('\\');
  });

  test('stages and base images', () => {
    expect(parsed.stages.map((stage) => [stage.name, stage.baseImage])).toEqual([
      ['build', 'golang:1.26'],
      ['test', 'build'],
      ['', 'scratch'],
    ]);
    expect(resolveBaseImage(parsed, parsed.stages[1])).toBe('golang:1.26');
  });

  test('continued RUN with mounts', () => {
    const run = parsed.stages[0].runs[0];
    expect(run.line).toBe(8);
    expect(run.command).toBe('go build -o /out/app .');
    expect(run.mounts.map((mount) => [mount.target, mount.id, mount.sharing])).toEqual([
      ['/cache/mod', '/cache/mod', 'shared'],
      ['/root/.cache/go-build', 'gobuild', 'locked'],
    ]);
  });

  test('child stage inherits ENV', () => {
    expect(parsed.stages[1].env.get('GOMODCACHE')).toBe('/cache/mod');
  });

  test('build arg overrides ARG default', () => {
    const overridden = parseDockerfile(multiStage, ['GO_VERSION=1.25']);
    expect(overridden.stages[0].baseImage).toBe('golang:1.25');
  });

  test('backtick escape directive', () => {
    const text =
      '# escape=`\nFROM golang:1.26\nRUN --mount=type=cache,target=/go/pkg/mod `\n  go build .\n';
    const run = parseDockerfile(text).stages[0].runs[0];
    expect(run.mounts[0].target).toBe('/go/pkg/mod');
    expect(run.command).toBe('go build .');
  });

  test('ARG in stage takes global value', () => {
    const text =
      'ARG CACHE=/gocache\nFROM golang:1.26\nARG CACHE\nRUN --mount=type=cache,target=$CACHE go build .\n';
    expect(parseDockerfile(text).stages[0].runs[0].mounts[0].target).toBe('/gocache');
  });

  test('legacy ENV form', () => {
    const stage = parseDockerfile('FROM golang:1.26\nENV GOCACHE /build cache\n').stages[0];
    expect(stage.env.get('GOCACHE')).toBe('/build cache');
  });

  test('heredoc body not parsed as instructions', () => {
    const text = 'FROM golang:1.26\nRUN <<EOF\nFROM nothing\nEOF\nRUN echo done\n';
    const parsed = parseDockerfile(text);
    expect(parsed.stages).toHaveLength(1);
    expect(parsed.stages[0].runs).toHaveLength(2);
  });
});

describe('expandVariables', () => {
  const variables = new Map([
    ['A', 'x'],
    ['EMPTY', ''],
  ]);
  test.each([
    ['$A/y', 'x/y'],
    ['${A}y', 'xy'],
    ['${MISSING:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${A:+alt}', 'alt'],
    ['${MISSING:+alt}', ''],
    ['\\$A', '$A'],
    ['$MISSING', ''],
    ['cost $5', 'cost $5'],
  ])('%p', (text, expected) => {
    expect(expandVariables(text, variables)).toBe(expected);
  });
});

describe('parseMount', () => {
  test('lists options that use variables', () => {
    const mount = parseMount(
      'type=cache,id=gobuild-${V},target=$GOCACHE,uid=1000',
      new Map([['V', 'c1']]),
    );
    expect(mount.id).toBe('gobuild-c1');
    expect(mount.variableOptions).toEqual(['id=gobuild-${V}', 'target=$GOCACHE']);
  });

  test('no variable options', () => {
    const mount = parseMount('type=cache,target=/go/pkg/mod', new Map());
    expect(mount.variableOptions).toEqual([]);
  });

  test('all fields', () => {
    const mount = parseMount(
      'type=cache,id=m,target=/go/pkg/mod/,sharing=private,uid=1000,gid=1000,mode=0755',
      new Map(),
    );
    expect(mount).toMatchObject({
      type: 'cache',
      target: '/go/pkg/mod',
      id: 'm',
      sharing: 'private',
      uid: '1000',
      gid: '1000',
      mode: '0755',
    });
  });

  test('dst alias and default type', () => {
    expect(parseMount('dst=/x', new Map())).toMatchObject({ type: 'bind', target: '/x', id: '/x' });
  });
});

describe('findGoCacheMounts', () => {
  test('finds module and build mounts once per id', () => {
    const result = findGoCacheMounts(parseDockerfile(multiStage));
    expect(
      result.mounts.map((found) => [found.kind, found.mount.id, found.baseImage, found.line]),
    ).toEqual([
      ['modules', '/cache/mod', 'golang:1.26', 8],
      ['build', 'gobuild', 'golang:1.26', 8],
    ]);
    expect(result.warnings).toEqual([]);
  });

  test('ignores other cache mounts', () => {
    const text = 'FROM golang:1.26\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n';
    expect(findGoCacheMounts(parseDockerfile(text)).mounts).toEqual([]);
  });

  test('manual target mapping', () => {
    const text = 'FROM golang:1.26\nRUN --mount=type=cache,target=/work/.gocache go build .\n';
    const manual = parseManualMountTargets(['build=/work/.gocache/']);
    const result = findGoCacheMounts(parseDockerfile(text), manual);
    expect(result.mounts.map((found) => found.kind)).toEqual(['build']);
  });

  test('warns on go build -a', () => {
    const text =
      'FROM golang:1.26\nRUN --mount=type=cache,target=/root/.cache/go-build go build -a -o /app .\n';
    const [warning] = findGoCacheMounts(parseDockerfile(text)).warnings;
    expect(warning).toMatch(/^Line 2 \(stage 0\) runs go build -a/);
  });

  test('warns on empty target', () => {
    const text = 'FROM golang:1.26\nRUN --mount=type=cache,target=$UNSET go build .\n';
    const [warning] = findGoCacheMounts(parseDockerfile(text)).warnings;
    expect(warning).toContain("the cache mount target '$UNSET' expands to an empty path");
  });

  test('warns on non-root user with root mount', () => {
    const text =
      'FROM golang:1.26 AS build\nUSER 1000\nENV HOME=/home/app\nRUN --mount=type=cache,target=/home/app/.cache/go-build go build .\n';
    const result = findGoCacheMounts(parseDockerfile(text));
    expect(result.mounts).toHaveLength(1);
    expect(result.warnings[0]).toContain(
      'runs as USER 1000, but the Go build cache mount /home/app/.cache/go-build is owned by root',
    );
  });

  test('no warning when uid set', () => {
    const text =
      'FROM golang:1.26\nUSER app\nRUN --mount=type=cache,target=/go/pkg/mod,uid=1000 go mod download\n';
    expect(findGoCacheMounts(parseDockerfile(text)).warnings).toEqual([]);
  });
});

describe('stageGoPaths', () => {
  test('golang image defaults', () => {
    const stage = parseDockerfile('FROM golang:1.26\n').stages[0];
    expect(stageGoPaths(stage)).toEqual({
      modules: ['/go/pkg/mod'],
      build: ['/root/.cache/go-build'],
    });
  });
});

describe('parseManualMountTargets', () => {
  test.each(['cache=/x', 'build=relative', 'modules'])('rejects %p', (line) => {
    expect(() => parseManualMountTargets([line])).toThrow(
      `Invalid entry in input 'cache-mounts': '${line}'`,
    );
  });
});

describe('mounts set on the command line', () => {
  test('GOCACHE assignment in RUN', () => {
    const text =
      'FROM golang:1.26\nRUN --mount=type=cache,target=/var/cache/gob GOCACHE=/var/cache/gob go build .\n';
    const result = findGoCacheMounts(parseDockerfile(text));
    expect(result.mounts.map((found) => [found.kind, found.mount.target])).toEqual([
      ['build', '/var/cache/gob'],
    ]);
  });

  test('GOPATH assignment in RUN', () => {
    const text =
      'FROM golang:1.26\nRUN --mount=type=cache,target=/work/pkg/mod GOPATH=/work go mod download\n';
    const result = findGoCacheMounts(parseDockerfile(text));
    expect(result.mounts.map((found) => found.kind)).toEqual(['modules']);
  });
});
