import { Mount, ParsedDockerfile, resolveBaseImage, Stage } from '../docker/dockerfile.js';
import { InputError } from '../input-error.js';

/** Kind of Go cache in a BuildKit cache mount. */
export type GoCacheKind = 'modules' | 'build';

/** A `RUN --mount=type=cache` whose target is a Go cache. */
export interface GoCacheMount {
  kind: GoCacheKind;
  mount: Mount;
  stageName: string;
  /** The image the stage starts from, after following FROM <stage> links. */
  baseImage: string;
  line: number;
}

export interface MountSearchResult {
  /** One mount per BuildKit cache id, in Dockerfile order. */
  mounts: GoCacheMount[];
  warnings: string[];
}

/** Go's cache paths inside a stage, from its ENV and USER, with the golang image's defaults. */
export function stageGoPaths(stage: Stage): Record<GoCacheKind, string[]> {
  const env = stage.variables;
  const gopath = (env.get('GOPATH') || '/go').split(':')[0];
  const isRoot = ['', 'root', '0'].includes(stage.user.split(':')[0]);
  const home = env.get('HOME') || (isRoot ? '/root' : '');
  const cacheHome = env.get('XDG_CACHE_HOME') || (home ? `${home}/.cache` : '');
  const modules = [env.get('GOMODCACHE') || `${gopath}/pkg/mod`, '/go/pkg/mod'];
  const build = [
    env.get('GOCACHE') || (cacheHome ? `${cacheHome}/go-build` : ''),
    '/root/.cache/go-build',
  ];
  return {
    modules: unique(modules.filter(Boolean)),
    build: unique(build.filter(Boolean)),
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

const GO_BUILD_ALL = /\bgo\s+(?:build|install)\b[^;&|\n]*\s-a(?=\s|$)/;

/**
 * Finds the Go module and build cache mounts of a parsed Dockerfile. `manualTargets` maps
 * further mount targets to a kind, for Dockerfiles that keep the caches elsewhere. Also
 * returns warnings for Dockerfile lines that quietly defeat the Go build cache.
 */
export function findGoCacheMounts(
  dockerfile: ParsedDockerfile,
  manualTargets: Map<string, GoCacheKind> = new Map(),
): MountSearchResult {
  const mounts: GoCacheMount[] = [];
  const warnings: string[] = [];
  const seenIds = new Set<string>();

  for (const stage of dockerfile.stages) {
    const goPaths = stageGoPaths(stage);
    const stageLabel = stage.name ? `stage '${stage.name}'` : `stage ${stage.index}`;
    for (const run of stage.runs) {
      const runPaths = withCommandAssignments(goPaths, run.command);
      if (GO_BUILD_ALL.test(run.command)) {
        warnings.push(
          `Line ${run.line} (${stageLabel}) runs go build -a, which rebuilds every package and ` +
            'ignores the Go build cache. Remove -a to let the restored cache work.',
        );
      }
      for (const mount of run.mounts) {
        if (mount.type !== 'cache') continue;
        if (mount.target === '') {
          warnings.push(
            `Line ${run.line} (${stageLabel}): the cache mount target '${mount.rawTarget}' expands ` +
              'to an empty path, so BuildKit mounts nothing useful. Define the variable with ARG or ' +
              'ENV before this line, or write the path out.',
          );
          continue;
        }
        const kind = classifyTarget(mount.target, runPaths, manualTargets);
        if (!kind) continue;
        if (!isRootUser(stage.user) && (mount.uid === undefined || mount.uid === '0')) {
          warnings.push(
            `Line ${run.line} (${stageLabel}) runs as USER ${stage.user}, but the Go ${kind} cache ` +
              `mount ${mount.target} is owned by root, so Go cannot write to it. Add ` +
              'uid=<the user id> (and gid) to the --mount flag.',
          );
        }
        if (seenIds.has(mount.id)) continue;
        seenIds.add(mount.id);
        mounts.push({
          kind,
          mount,
          stageName: stage.name || String(stage.index),
          baseImage: resolveBaseImage(dockerfile, stage),
          line: run.line,
        });
      }
    }
  }
  return { mounts, warnings };
}

const COMMAND_ASSIGNMENT = /(?:^|[\s;&|])(GOCACHE|GOMODCACHE|GOPATH)=("[^"]*"|'[^']*'|[^\s;&|]+)/g;

/**
 * Adds the Go cache paths that a RUN command sets for itself, as in
 * `GOCACHE=/cache/go go build .`, to the stage's paths.
 */
export function withCommandAssignments(
  goPaths: Record<GoCacheKind, string[]>,
  command: string,
): Record<GoCacheKind, string[]> {
  const result = { modules: [...goPaths.modules], build: [...goPaths.build] };
  for (const match of command.matchAll(COMMAND_ASSIGNMENT)) {
    const value = match[2].replace(/^["']|["']$/g, '').replace(/\/+$/, '');
    if (!value.startsWith('/')) continue;
    if (match[1] === 'GOCACHE') result.build.push(value);
    else if (match[1] === 'GOMODCACHE') result.modules.push(value);
    else result.modules.push(`${value.split(':')[0]}/pkg/mod`);
  }
  return result;
}

function isRootUser(user: string): boolean {
  return ['', 'root', '0'].includes(user.split(':')[0]);
}

function classifyTarget(
  target: string,
  goPaths: Record<GoCacheKind, string[]>,
  manualTargets: Map<string, GoCacheKind>,
): GoCacheKind | undefined {
  const manual = manualTargets.get(target);
  if (manual) return manual;
  if (goPaths.modules.includes(target)) return 'modules';
  if (goPaths.build.includes(target)) return 'build';
  return undefined;
}

/**
 * Parses the `cache-mounts` input: lines of `modules=<target>` or `build=<target>`.
 */
export function parseManualMountTargets(lines: string[]): Map<string, GoCacheKind> {
  const targets = new Map<string, GoCacheKind>();
  for (const line of lines) {
    const match = /^(modules|build)=(\/.*)$/.exec(line);
    if (!match) {
      throw new InputError(
        `Invalid entry in input 'cache-mounts': '${line}'. Write modules=<mount target> or ` +
          'build=<mount target> with an absolute path, for example build=/cache/go-build.',
      );
    }
    targets.set(match[2].replace(/\/+$/, '') || '/', match[1] as GoCacheKind);
  }
  return targets;
}
