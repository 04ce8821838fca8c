// The JSON size report file: its schema, writing it, and reading it back with validation.
// A report read back is also the `report` baseline of a later build, and in the two-workflow
// comment pattern it comes from an artifact of a pull request, so reading it trusts nothing.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageMeasurement, PlatformImage } from '../docker/image-size.js';
import {
  BudgetLimits,
  BudgetResult,
  BudgetViolation,
  checkBudgets,
  IncreaseLimit,
  SizeKind,
} from './budget.js';
import {
  Baseline,
  BaselinePlatform,
  BaseImageShare,
  computeDelta,
  LayerSize,
  PlatformDelta,
  PlatformSize,
  SizeDelta,
} from './delta.js';

export const REPORT_TOOL = 'go-buildx-action';
export const REPORT_SCHEMA_VERSION = 1;

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The image a report describes. */
export interface ReportImage {
  /** Image name without tag, for example `ghcr.io/acme/api`, or empty. */
  name: string;
  /** Full references the build tagged, for example `ghcr.io/acme/api:1.4.0`. */
  tags: string[];
  /** Image ID, `sha256:…`, or empty when not known. */
  imageId: string;
  /** Manifest digest of the pushed image, or empty when not pushed. */
  digest: string;
}

/** Origin of a report: repository, commit and workflow run, as far as the caller knows them. */
export interface ReportRun {
  repository?: string;
  ref?: string;
  sha?: string;
  workflow?: string;
  runId?: string;
  runUrl?: string;
}

export interface ReportBudgets {
  limits: BudgetLimits;
  sizeKind: SizeKind;
  /** True when no budget is violated. Skipped checks do not fail. */
  passed: boolean;
  violations: BudgetViolation[];
  skipped: string[];
}

/** Contents of a JSON size report file, schema version 1. */
export interface JsonReport {
  schemaVersion: 1;
  tool: typeof REPORT_TOOL;
  /** ISO 8601 time the report was made. */
  createdAt: string;
  run: ReportRun;
  image: ReportImage;
  platforms: PlatformSize[];
  /** Cache results as the caller records them, one object per cache. */
  caches: JsonObject[];
  /** Durations in seconds by name, for example `build`. */
  timings: Record<string, number>;
  baseline: Baseline;
  delta: PlatformDelta[];
  budgets: ReportBudgets;
}

export interface JsonReportInput {
  image: ReportImage;
  platforms: PlatformSize[];
  caches?: JsonObject[];
  timings?: Record<string, number>;
  baseline?: Baseline | null;
  limits?: BudgetLimits;
  run?: ReportRun;
  createdAt?: Date;
}

/** Builds a report and computes its delta against the baseline and its budget results. */
export function buildJsonReport(input: JsonReportInput): JsonReport {
  const baseline = input.baseline ?? { kind: 'none', reason: 'no baseline was given' };
  const limits = input.limits ?? {};
  const budgetResult: BudgetResult = checkBudgets(input.platforms, baseline, limits);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: REPORT_TOOL,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    run: input.run ?? {},
    image: input.image,
    platforms: input.platforms,
    caches: input.caches ?? [],
    timings: input.timings ?? {},
    baseline,
    delta: computeDelta(input.platforms, baseline),
    budgets: {
      limits,
      sizeKind: limits.sizeKind ?? 'uncompressed',
      passed: budgetResult.violations.length === 0,
      violations: budgetResult.violations,
      skipped: budgetResult.skipped,
    },
  };
}

/**
 * Converts a measurement of an image in the local image store to a report platform. With
 * `pushed`, the registry's compressed sizes replace the local gzip estimates. Its layers are
 * matched by position, so they are used only when both list the same number of layers.
 */
export function platformSizeFromMeasurement(
  local: ImageMeasurement,
  pushed?: PlatformImage,
): PlatformSize {
  const registryLayers =
    pushed && pushed.layers.length === local.layers.length ? pushed.layers : undefined;
  const layers: LayerSize[] = local.layers.map((layer, index) => ({
    uncompressedBytes: layer.size ?? 0,
    compressedBytes: registryLayers ? registryLayers[index].size : layer.compressedSize,
    createdBy: layer.createdBy,
    fromBaseImage: layer.fromBase,
  }));
  const platform: PlatformSize = {
    platform: local.platform,
    uncompressedBytes: local.size,
    compressedBytes: pushed ? pushed.compressedSize : local.compressedSize,
    compressedIsEstimate: pushed === undefined,
    layers,
  };
  if (local.base.kind === 'found') {
    platform.baseImage = {
      reference: local.base.imageRef,
      uncompressedBytes: local.base.size,
      compressedBytes: local.base.compressedSize,
    };
  }
  return platform;
}

/** Builds a `report` baseline from a report read back, keeping only the platform sizes. */
export function baselineFromReport(report: JsonReport, source: string): Baseline {
  const platforms: BaselinePlatform[] = report.platforms.map((platform) => ({
    platform: platform.platform,
    uncompressedBytes: platform.uncompressedBytes,
    ...(platform.compressedBytes === undefined
      ? {}
      : { compressedBytes: platform.compressedBytes }),
  }));
  return { kind: 'report', source, platforms };
}

/** A report file that is missing, unreadable, or not a valid report of this schema version. */
export class ReportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportFileError';
  }
}

/**
 * Writes the report as indented JSON, creating the parent directory. The report is validated
 * first, so a file this writes always reads back. The file is replaced by a rename, so a reader
 * never sees half of it.
 */
export function writeJsonReport(filePath: string, report: JsonReport): void {
  validateJsonReport(JSON.parse(JSON.stringify(report)) as unknown, filePath);
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const temporaryPath = `${filePath}.${process.pid}.tmp`;
  fs.writeFileSync(temporaryPath, `${JSON.stringify(report, null, 2)}\n`);
  fs.renameSync(temporaryPath, filePath);
}

/** Reads and validates a report file. Throws ReportFileError with the reason and the fix. */
export function readJsonReport(filePath: string): JsonReport {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'not found' : `not readable (${code ?? String(error)})`;
    throw new ReportFileError(
      `Size report ${filePath} is ${reason}. Check the path, or download the report artifact first.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ReportFileError(
      `Size report ${filePath} is not valid JSON (${(error as Error).message}). ` +
        `Use a file that ${REPORT_TOOL} wrote with report-file.`,
    );
  }
  return validateJsonReport(data, filePath);
}

/**
 * Checks that parsed JSON is a report of schema version 1 and returns it typed. Optional
 * numbers that are null are dropped. Throws ReportFileError naming the field and the file.
 */
export function validateJsonReport(data: unknown, source: string): JsonReport {
  if (!isObject(data) || data.tool !== REPORT_TOOL) {
    throw new ReportFileError(
      `${source} is not a ${REPORT_TOOL} size report: it has no "tool": "${REPORT_TOOL}" field. ` +
        'Use a file that this action wrote with report-file.',
    );
  }
  const version = data.schemaVersion;
  if (typeof version === 'number' && version > REPORT_SCHEMA_VERSION) {
    throw new ReportFileError(
      `Size report ${source} has schema version ${version}, newer than the version ` +
        `${REPORT_SCHEMA_VERSION} this action reads. Update the action, or make the baseline ` +
        'report with this version.',
    );
  }
  if (version !== REPORT_SCHEMA_VERSION) {
    const found =
      version === undefined
        ? 'no schemaVersion field'
        : `schema version ${JSON.stringify(version)}`;
    throw new ReportFileError(
      `Size report ${source} has ${found}, but this action reads version ` +
        `${REPORT_SCHEMA_VERSION}. Make the baseline report again with this version.`,
    );
  }

  const reader = new FieldReader(source);
  const image = reader.object(data.image, 'image');
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: REPORT_TOOL,
    createdAt: reader.string(data.createdAt, 'createdAt'),
    run: readRun(reader, data.run),
    image: {
      name: reader.string(image.name, 'image.name'),
      tags: reader
        .array(image.tags, 'image.tags')
        .map((tag, i) => reader.string(tag, `image.tags[${i}]`)),
      imageId: reader.string(image.imageId, 'image.imageId'),
      digest: reader.string(image.digest, 'image.digest'),
    },
    platforms: reader
      .array(data.platforms, 'platforms')
      .map((platform, i) => readPlatform(reader, platform, `platforms[${i}]`)),
    caches: reader
      .array(data.caches, 'caches')
      .map((cache, i) => reader.object(cache, `caches[${i}]`) as JsonObject),
    timings: readTimings(reader, data.timings),
    baseline: readBaseline(reader, data.baseline),
    delta: reader
      .array(data.delta, 'delta')
      .map((delta, i) => readPlatformDelta(reader, delta, `delta[${i}]`)),
    budgets: readBudgets(reader, data.budgets),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Typed field access that throws ReportFileError naming the field. */
class FieldReader {
  constructor(private readonly source: string) {}

  fail(field: string, expected: string, value: unknown): never {
    const valueText = value === undefined ? 'missing' : `${JSON.stringify(value)?.slice(0, 60)}`;
    throw new ReportFileError(
      `Size report ${this.source} is invalid: field ${field} must be ${expected}, but is ${valueText}. ` +
        'Use a file that this action wrote with report-file.',
    );
  }

  object(value: unknown, field: string): Record<string, unknown> {
    return isObject(value) ? value : this.fail(field, 'an object', value);
  }

  array(value: unknown, field: string): unknown[] {
    return Array.isArray(value) ? value : this.fail(field, 'an array', value);
  }

  string(value: unknown, field: string): string {
    return typeof value === 'string' ? value : this.fail(field, 'a string', value);
  }

  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, field);
  }

  boolean(value: unknown, field: string): boolean {
    return typeof value === 'boolean' ? value : this.fail(field, 'true or false', value);
  }

  /** Returns a finite number, or with `whole` a safe integer, as byte counts are. */
  number(value: unknown, field: string, whole = false): number {
    const valid =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!whole || Number.isSafeInteger(value));
    return valid ? value : this.fail(field, whole ? 'a whole number' : 'a number', value);
  }

  bytes(value: unknown, field: string): number {
    const bytes = this.number(value, field, true);
    return bytes >= 0 ? bytes : this.fail(field, 'a byte count of 0 or more', value);
  }

  optionalBytes(value: unknown, field: string): number | undefined {
    return value === undefined || value === null ? undefined : this.bytes(value, field);
  }
}

function readRun(reader: FieldReader, value: unknown): ReportRun {
  const run = reader.object(value, 'run');
  const result: ReportRun = {};
  for (const key of ['repository', 'ref', 'sha', 'workflow', 'runId', 'runUrl'] as const) {
    const text = reader.optionalString(run[key], `run.${key}`);
    if (text !== undefined) result[key] = text;
  }
  return result;
}

function readLayer(reader: FieldReader, value: unknown, field: string): LayerSize {
  const layer = reader.object(value, field);
  const result: LayerSize = {
    uncompressedBytes: reader.bytes(layer.uncompressedBytes, `${field}.uncompressedBytes`),
    createdBy: reader.string(layer.createdBy, `${field}.createdBy`),
  };
  const compressed = reader.optionalBytes(layer.compressedBytes, `${field}.compressedBytes`);
  if (compressed !== undefined) result.compressedBytes = compressed;
  if (layer.fromBaseImage !== undefined && layer.fromBaseImage !== null)
    result.fromBaseImage = reader.boolean(layer.fromBaseImage, `${field}.fromBaseImage`);
  return result;
}

function readBaseImage(reader: FieldReader, value: unknown, field: string): BaseImageShare {
  const base = reader.object(value, field);
  const result: BaseImageShare = {
    reference: reader.string(base.reference, `${field}.reference`),
    uncompressedBytes: reader.bytes(base.uncompressedBytes, `${field}.uncompressedBytes`),
  };
  const compressed = reader.optionalBytes(base.compressedBytes, `${field}.compressedBytes`);
  if (compressed !== undefined) result.compressedBytes = compressed;
  return result;
}

function readPlatform(reader: FieldReader, value: unknown, field: string): PlatformSize {
  const platform = reader.object(value, field);
  const result: PlatformSize = {
    platform: reader.string(platform.platform, `${field}.platform`),
    uncompressedBytes: reader.bytes(platform.uncompressedBytes, `${field}.uncompressedBytes`),
    layers: reader
      .array(platform.layers, `${field}.layers`)
      .map((layer, i) => readLayer(reader, layer, `${field}.layers[${i}]`)),
  };
  const compressed = reader.optionalBytes(platform.compressedBytes, `${field}.compressedBytes`);
  if (compressed !== undefined) result.compressedBytes = compressed;
  if (platform.compressedIsEstimate !== undefined && platform.compressedIsEstimate !== null)
    result.compressedIsEstimate = reader.boolean(
      platform.compressedIsEstimate,
      `${field}.compressedIsEstimate`,
    );
  if (platform.baseImage !== undefined && platform.baseImage !== null)
    result.baseImage = readBaseImage(reader, platform.baseImage, `${field}.baseImage`);
  return result;
}

function readTimings(reader: FieldReader, value: unknown): Record<string, number> {
  const timings = reader.object(value, 'timings');
  const result: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(timings)) {
    result[name] = reader.number(seconds, `timings.${name}`);
  }
  return result;
}

function readBaselinePlatform(
  reader: FieldReader,
  value: unknown,
  field: string,
): BaselinePlatform {
  const platform = reader.object(value, field);
  const result: BaselinePlatform = {
    platform: reader.string(platform.platform, `${field}.platform`),
    uncompressedBytes: reader.bytes(platform.uncompressedBytes, `${field}.uncompressedBytes`),
  };
  const compressed = reader.optionalBytes(platform.compressedBytes, `${field}.compressedBytes`);
  if (compressed !== undefined) result.compressedBytes = compressed;
  return result;
}

function readBaseline(reader: FieldReader, value: unknown): Baseline {
  const baseline = reader.object(value, 'baseline');
  switch (baseline.kind) {
    case 'none':
      return { kind: 'none', reason: reader.string(baseline.reason, 'baseline.reason') };
    case 'number':
      return {
        kind: 'number',
        source: reader.string(baseline.source, 'baseline.source'),
        uncompressedBytes: reader.bytes(baseline.uncompressedBytes, 'baseline.uncompressedBytes'),
      };
    case 'report':
    case 'image':
      return {
        kind: baseline.kind,
        source: reader.string(baseline.source, 'baseline.source'),
        platforms: reader
          .array(baseline.platforms, 'baseline.platforms')
          .map((platform, i) => readBaselinePlatform(reader, platform, `baseline.platforms[${i}]`)),
      };
    default:
      return reader.fail('baseline.kind', 'one of report, image, number, none', baseline.kind);
  }
}

function readSizeDelta(reader: FieldReader, value: unknown, field: string): SizeDelta {
  const delta = reader.object(value, field);
  if (delta.bytes === null) {
    return { bytes: null, percent: null, reason: reader.string(delta.reason, `${field}.reason`) };
  }
  return {
    baselineBytes: reader.bytes(delta.baselineBytes, `${field}.baselineBytes`),
    currentBytes: reader.bytes(delta.currentBytes, `${field}.currentBytes`),
    bytes: reader.number(delta.bytes, `${field}.bytes`, true),
    percent: delta.percent === null ? null : reader.number(delta.percent, `${field}.percent`),
  };
}

function readPlatformDelta(reader: FieldReader, value: unknown, field: string): PlatformDelta {
  const delta = reader.object(value, field);
  return {
    platform: reader.string(delta.platform, `${field}.platform`),
    uncompressed: readSizeDelta(reader, delta.uncompressed, `${field}.uncompressed`),
    compressed: readSizeDelta(reader, delta.compressed, `${field}.compressed`),
  };
}

function readSizeKind(reader: FieldReader, value: unknown, field: string): SizeKind {
  return value === 'uncompressed' || value === 'compressed'
    ? value
    : reader.fail(field, 'uncompressed or compressed', value);
}

function readIncreaseLimit(reader: FieldReader, value: unknown, field: string): IncreaseLimit {
  const limit = reader.object(value, field);
  const text = reader.string(limit.text, `${field}.text`);
  if (limit.kind === 'bytes')
    return { kind: 'bytes', bytes: reader.bytes(limit.bytes, `${field}.bytes`), text };
  if (limit.kind === 'percent') {
    const percent = reader.number(limit.percent, `${field}.percent`);
    return percent >= 0
      ? { kind: 'percent', percent, text }
      : reader.fail(`${field}.percent`, '0 or more', percent);
  }
  return reader.fail(`${field}.kind`, 'bytes or percent', limit.kind);
}

function readLimits(reader: FieldReader, value: unknown): BudgetLimits {
  const limits = reader.object(value, 'budgets.limits');
  const result: BudgetLimits = {};
  if (limits.maxSize !== undefined && limits.maxSize !== null) {
    const maxSize = reader.object(limits.maxSize, 'budgets.limits.maxSize');
    result.maxSize = {
      bytes: reader.bytes(maxSize.bytes, 'budgets.limits.maxSize.bytes'),
      text: reader.string(maxSize.text, 'budgets.limits.maxSize.text'),
    };
  }
  if (limits.maxIncrease !== undefined && limits.maxIncrease !== null)
    result.maxIncrease = readIncreaseLimit(
      reader,
      limits.maxIncrease,
      'budgets.limits.maxIncrease',
    );
  if (limits.sizeKind !== undefined && limits.sizeKind !== null)
    result.sizeKind = readSizeKind(reader, limits.sizeKind, 'budgets.limits.sizeKind');
  return result;
}

function readViolation(reader: FieldReader, value: unknown, field: string): BudgetViolation {
  const violation = reader.object(value, field);
  const budget = violation.budget;
  if (budget !== 'max-size' && budget !== 'max-increase')
    reader.fail(`${field}.budget`, 'max-size or max-increase', budget);
  return {
    budget: budget as BudgetViolation['budget'],
    platform: reader.string(violation.platform, `${field}.platform`),
    sizeKind: readSizeKind(reader, violation.sizeKind, `${field}.sizeKind`),
    actualBytes: reader.number(violation.actualBytes, `${field}.actualBytes`, true),
    limitBytes: reader.number(violation.limitBytes, `${field}.limitBytes`, true),
    largestLayers: reader
      .array(violation.largestLayers, `${field}.largestLayers`)
      .map((layer, i) => readLayer(reader, layer, `${field}.largestLayers[${i}]`)),
    message: reader.string(violation.message, `${field}.message`),
  };
}

function readBudgets(reader: FieldReader, value: unknown): ReportBudgets {
  const budgets = reader.object(value, 'budgets');
  return {
    limits: readLimits(reader, budgets.limits),
    sizeKind: readSizeKind(reader, budgets.sizeKind, 'budgets.sizeKind'),
    passed: reader.boolean(budgets.passed, 'budgets.passed'),
    violations: reader
      .array(budgets.violations, 'budgets.violations')
      .map((violation, i) => readViolation(reader, violation, `budgets.violations[${i}]`)),
    skipped: reader
      .array(budgets.skipped, 'budgets.skipped')
      .map((note, i) => reader.string(note, `budgets.skipped[${i}]`)),
  };
}
