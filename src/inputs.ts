import * as core from '@actions/core';
import * as os from 'node:os';
import * as path from 'node:path';
import { GoCacheKind, parseManualMountTargets } from './cache/mount-finder.js';
import { CACHE_SAVE_POLICIES, CacheSavePolicy } from './cache/save-policy.js';
import { Input } from './constants.js';
import { IncreaseLimit, parseIncrease, parseSize, SizeKind, SizeLimit } from './report/budget.js';
import { COMMENT_MODES, CommentMode } from './report/comment.js';
import { BuildSecret, parseSecrets } from './docker/secrets.js';
import { InputError } from './input-error.js';
import {
  MAX_BUILD_ARG_LENGTH,
  truncate,
  validateImageReference,
  validateInsideWorkspace,
  validateName,
  validatePlatform,
} from './input-validation.js';

export { InputError };

/** Inputs of the size report: budgets, baseline, report file and pull request comment. */
export interface SizeReportInputs {
  maxSize?: SizeLimit;
  maxIncrease?: IncreaseLimit;
  budgetSizeKind: SizeKind;
  baselineImage: string;
  baselineSize?: SizeLimit;
  /** Absolute path of the JSON report file. */
  reportFile: string;
  comment: boolean;
  commentMode: CommentMode;
  /** Registered with core.setSecret when read. */
  githubToken: string;
}

/** Validated action inputs, read once by the main step. Paths are absolute. */
export interface ActionInputs {
  workingDirectory: string;
  context: string;
  file: string;
  target: string;
  tags: string[];
  buildArgs: string[];
  platforms: string[];
  load: boolean;
  push: boolean;
  builder: string;
  cache: boolean;
  cacheKeyPrefix: string;
  cacheSave: CacheSavePolicy;
  /** Time limit in seconds of each cache restore and of each copy into or out of the build. */
  cacheTimeoutSeconds: number;
  /** Run go mod verify on a restored module cache. */
  verifyModules: boolean;
  /** Extra cache mount targets mapped to a Go cache, from the cache-mounts input. */
  cacheMounts: Map<string, GoCacheKind>;
  localCacheDir: string;
  /** Build secrets; each value is already registered with core.setSecret. */
  secrets: BuildSecret[];
  sizeReport: SizeReportInputs;
}

const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

/** Reads a YAML 1.2 core-schema boolean, with `fallback` for an empty value. */
export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  const trimmed = value.trim();
  if (trimmed === '') return fallback;
  if (TRUE_VALUES.includes(trimmed)) return true;
  if (FALSE_VALUES.includes(trimmed)) return false;
  throw new InputError(
    `Invalid boolean for input '${name}': '${value}'. Use true or false (YAML 1.2 core schema).`,
  );
}

/**
 * Splits a list input on newlines and, when `splitOnComma` is set, on commas. Blank entries
 * and `#` comment lines are dropped.
 */
export function parseList(value: string, splitOnComma: boolean): string[] {
  const separator = splitOnComma ? /[\n,]/ : /\n/;
  return value
    .split(separator)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
}

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks that each build argument is NAME=VALUE with a name that Dockerfile ARG accepts. */
export function parseBuildArgs(value: string): string[] {
  const buildArgs = parseList(value, false);
  for (const buildArg of buildArgs) {
    const separatorIndex = buildArg.indexOf('=');
    const name = separatorIndex < 0 ? buildArg : buildArg.slice(0, separatorIndex);
    if (buildArg.length > MAX_BUILD_ARG_LENGTH) {
      throw new InputError(
        `Invalid entry in input 'build-args': '${truncate(buildArg)}' is over ` +
          `${MAX_BUILD_ARG_LENGTH} characters. Pass large values as a file in the build context.`,
      );
    }
    if (separatorIndex < 0 || !BUILD_ARG_NAME.test(name)) {
      throw new InputError(
        `Invalid entry in input 'build-args': '${truncate(buildArg)}'. ` +
          'Write one NAME=VALUE per line, where NAME starts with a letter or underscore, ' +
          'for example GOFLAGS=-trimpath.',
      );
    }
  }
  return buildArgs;
}

const CACHE_KEY_PREFIX = /^[A-Za-z0-9._-]{1,100}$/;

function parseCacheKeyPrefix(value: string): string {
  const prefix = value.trim();
  if (!CACHE_KEY_PREFIX.test(prefix)) {
    throw new InputError(
      `Invalid input 'cache-key-prefix': '${truncate(value)}'. Use 1 to 100 letters, digits, '.', '_' or '-', ` +
        'for example go-buildx.',
    );
  }
  return prefix;
}

function parseCacheTimeout(value: string): number {
  const text = value.trim() || '600';
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < 1 || seconds > 21600) {
    throw new InputError(
      `Invalid input 'cache-timeout': '${truncate(value)}'. Use a whole number of seconds from 1 ` +
        'to 21600, for example 300.',
    );
  }
  return seconds;
}

function parseCacheSave(value: string): CacheSavePolicy {
  const policy = value.trim() || 'default-branch';
  if (!CACHE_SAVE_POLICIES.includes(policy as CacheSavePolicy)) {
    throw new InputError(
      `Invalid input 'cache-save': '${truncate(value)}'. Use one of ${CACHE_SAVE_POLICIES.join(', ')}.`,
    );
  }
  return policy as CacheSavePolicy;
}

function parseChoice<T extends string>(
  input: string,
  value: string,
  choices: readonly T[],
  fallback: T,
): T {
  const choice = value.trim() || fallback;
  if (!choices.includes(choice as T)) {
    throw new InputError(
      `Invalid input '${input}': '${truncate(value)}'. Use one of ${choices.join(', ')}.`,
    );
  }
  return choice as T;
}

/** Reads the size report inputs; relative paths are resolved against the workspace. */
function getSizeReportInputs(workspace: string): SizeReportInputs {
  const githubToken = core.getInput(Input.GithubToken);
  if (githubToken) core.setSecret(githubToken);
  const reportFile = core.getInput(Input.ReportFile);
  const baselineImage = core.getInput(Input.BaselineImage);
  if (baselineImage) validateImageReference(baselineImage, Input.BaselineImage);
  return {
    maxSize: parseSize(Input.MaxSize, core.getInput(Input.MaxSize)),
    maxIncrease: parseIncrease(Input.MaxIncrease, core.getInput(Input.MaxIncrease)),
    budgetSizeKind: parseChoice(
      Input.BudgetSizeKind,
      core.getInput(Input.BudgetSizeKind),
      ['uncompressed', 'compressed'] as const,
      'uncompressed',
    ),
    baselineImage,
    baselineSize: parseSize(Input.BaselineSize, core.getInput(Input.BaselineSize)),
    reportFile: path.resolve(
      workspace,
      reportFile || path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'go-buildx-report.json'),
    ),
    comment: parseBoolean(Input.Comment, core.getInput(Input.Comment), false),
    commentMode: parseChoice(
      Input.CommentMode,
      core.getInput(Input.CommentMode),
      COMMENT_MODES,
      'image',
    ),
    githubToken,
  };
}

function defaultLocalCacheDir(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || '/tmp', '.cache');
  return path.join(cacheHome, 'go-buildx-action');
}

/**
 * Reads and validates every input. Relative paths in `context` and `file` are resolved against
 * `working-directory`, which is resolved against GITHUB_WORKSPACE (or the current directory).
 * Checks that need the file system or Docker are left to the preflight step.
 */
export function getInputs(): ActionInputs {
  // Read first, so the values are masked even when another input turns out to be invalid.
  const secrets = parseSecrets(core.getInput(Input.Secrets));
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const workingDirectory = path.resolve(workspace, core.getInput(Input.WorkingDirectory) || '.');
  const context = path.resolve(workingDirectory, core.getInput(Input.Context) || '.');
  const fileInput = core.getInput(Input.File);
  const file = fileInput
    ? path.resolve(workingDirectory, fileInput)
    : path.join(context, 'Dockerfile');

  validateInsideWorkspace(Input.WorkingDirectory, workingDirectory, workspace);
  validateInsideWorkspace(Input.Context, context, workspace);
  validateInsideWorkspace(Input.File, file, workspace);

  const load = parseBoolean(Input.Load, core.getInput(Input.Load), true);
  const push = parseBoolean(Input.Push, core.getInput(Input.Push), false);
  const tags = parseList(core.getInput(Input.Tags), true);
  const platforms = parseList(core.getInput(Input.Platforms), true);
  tags.forEach((tag) => validateImageReference(tag));
  platforms.forEach(validatePlatform);
  const target = core.getInput(Input.Target);
  const builder = core.getInput(Input.Builder);
  validateName('target', target);
  validateName('builder', builder);

  if (push && tags.length === 0) {
    throw new InputError(
      "Input 'push' is true but 'tags' is empty. Add at least one tag with a registry, " +
        'for example tags: registry.example.com/team/app:1.0.',
    );
  }
  if (load && platforms.length > 1) {
    throw new InputError(
      `Input 'load' is true but 'platforms' lists ${platforms.length} platforms ` +
        `(${platforms.join(', ')}). The Docker image store takes one platform at a time: ` +
        'set load: false and push: true, or build one platform per step.',
    );
  }

  const localCacheDirInput = core.getInput(Input.LocalCacheDir);
  return {
    workingDirectory,
    context,
    file,
    target,
    tags,
    buildArgs: parseBuildArgs(core.getInput(Input.BuildArgs)),
    platforms,
    load,
    push,
    builder,
    cache: parseBoolean(Input.Cache, core.getInput(Input.Cache), true),
    cacheKeyPrefix: parseCacheKeyPrefix(core.getInput(Input.CacheKeyPrefix) || 'go-buildx'),
    cacheSave: parseCacheSave(core.getInput(Input.CacheSave)),
    cacheTimeoutSeconds: parseCacheTimeout(core.getInput(Input.CacheTimeout)),
    verifyModules: parseBoolean(Input.VerifyModules, core.getInput(Input.VerifyModules), true),
    cacheMounts: parseManualMountTargets(parseList(core.getInput(Input.CacheMounts), false)),
    secrets,
    sizeReport: getSizeReportInputs(workspace),
    localCacheDir: localCacheDirInput
      ? path.resolve(workspace, localCacheDirInput)
      : defaultLocalCacheDir(),
  };
}
