// Size budgets: parsing the max-size and max-increase inputs, and checking an image against them.

import { InputError } from '../input-error.js';
import { Baseline, computeDelta, LayerSize, PlatformSize, SizeChange } from './delta.js';
import { formatSizeWithBytes } from './format.js';

/** A byte limit and the input text it was parsed from, for messages. */
export interface SizeLimit {
  bytes: number;
  text: string;
}

/** Maximum growth against the baseline, in bytes or in percent of the baseline. */
export type IncreaseLimit =
  | { kind: 'bytes'; bytes: number; text: string }
  | { kind: 'percent'; percent: number; text: string };

/** Size measure that the budgets check. */
export type SizeKind = 'uncompressed' | 'compressed';

export interface BudgetLimits {
  maxSize?: SizeLimit;
  maxIncrease?: IncreaseLimit;
  /** Size the budgets check, `uncompressed` (the `docker image ls` size) when not set. */
  sizeKind?: SizeKind;
}

/** A budget that one platform of the image exceeds. */
export interface BudgetViolation {
  budget: 'max-size' | 'max-increase';
  platform: string;
  sizeKind: SizeKind;
  /** The size (max-size) or the increase (max-increase) in bytes. */
  actualBytes: number;
  /** The limit in bytes. For a percent limit, this is that percentage of the baseline. */
  limitBytes: number;
  /** The three largest layers by the checked size, largest first. */
  largestLayers: LayerSize[];
  /** Plain-text message with the size, the limit and the largest layers. */
  message: string;
}

export interface BudgetResult {
  /** Exceeded budgets, empty when every checked budget is met. */
  violations: BudgetViolation[];
  /** Budgets that could not be checked, each with the reason. */
  skipped: string[];
}

const DECIMAL_MULTIPLIERS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

const BINARY_MULTIPLIERS: Record<string, number> = {
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const SIZE_HELP =
  'Use a whole number of bytes (52428800) or a number with a unit: B, kB, MB, GB ' +
  '(1000-based, as docker image ls counts) or KiB, MiB, GiB (1024-based), for example 50MB or 48MiB.';

const SIZE_PATTERN = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/** Parses a size such as `52428800`, `50MB` or `48 MiB` into bytes. Units are case-insensitive. */
function parseSizeText(input: string, value: string, text: string): number {
  const match = SIZE_PATTERN.exec(text);
  if (!match) {
    throw new InputError(`Invalid size for input '${input}': '${value}'. ${SIZE_HELP}`);
  }
  const [, sign, digits, unitText] = match;
  if (sign === '-') {
    throw new InputError(`Invalid size for input '${input}': '${value}' is negative. ${SIZE_HELP}`);
  }

  const unit = unitText.toLowerCase();
  const multiplier = unit === '' ? 1 : (DECIMAL_MULTIPLIERS[unit] ?? BINARY_MULTIPLIERS[unit]);
  if (multiplier === undefined) {
    throw new InputError(
      `Invalid size for input '${input}': '${value}' has the unknown unit '${unitText}'. ${SIZE_HELP}`,
    );
  }
  const number = Number(digits);
  if (multiplier === 1 && !Number.isInteger(number)) {
    throw new InputError(
      `Invalid size for input '${input}': '${value}' is not a whole number of bytes. ${SIZE_HELP}`,
    );
  }
  const bytes = Math.round(number * multiplier);
  if (!Number.isSafeInteger(bytes)) {
    throw new InputError(
      `Invalid size for input '${input}': '${value}' is too large. ${SIZE_HELP}`,
    );
  }
  return bytes;
}

/**
 * Parses a size input such as `max-size` into a limit in bytes. An empty value returns
 * undefined, or throws InputError when `required` is set. Zero is rejected because a budget of
 * 0 bytes fails every image. Leaving the input empty turns the check off.
 */
export function parseSize(input: string, value: string): SizeLimit | undefined;
export function parseSize(input: string, value: string, options: { required: true }): SizeLimit;
export function parseSize(
  input: string,
  value: string,
  options: { required?: boolean } = {},
): SizeLimit | undefined {
  const text = value.trim();
  if (text === '') {
    if (!options.required) return undefined;
    throw new InputError(`Missing value for input '${input}'. ${SIZE_HELP}`);
  }
  const bytes = parseSizeText(input, value, text);
  if (bytes === 0) {
    throw new InputError(
      `Invalid size for input '${input}': '${value}' is zero, which no image can meet. ` +
        `Set a size above 0, or leave '${input}' empty to turn the check off.`,
    );
  }
  return { bytes, text };
}

const PERCENT_PATTERN = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)\s*%$/;

/**
 * Parses the `max-increase` input: a size as for parseSize, or a percentage of the baseline
 * such as `10%`. Zero is allowed and means the image must not grow. An empty value returns
 * undefined.
 */
export function parseIncrease(input: string, value: string): IncreaseLimit | undefined {
  const text = value.trim();
  if (text === '') return undefined;

  const percentMatch = PERCENT_PATTERN.exec(text);
  if (percentMatch) {
    if (percentMatch[1] === '-') {
      throw new InputError(
        `Invalid increase for input '${input}': '${value}' is negative. ` +
          'Use a percentage of the baseline such as 10%, or a size such as 5MB.',
      );
    }
    return { kind: 'percent', percent: Number(percentMatch[2]), text };
  }
  if (text.endsWith('%')) {
    throw new InputError(
      `Invalid percentage for input '${input}': '${value}'. Use a number followed by %, for example 10%.`,
    );
  }
  return { kind: 'bytes', bytes: parseSizeText(input, value, text), text };
}

/** Returns the checked size of a layer or platform, or undefined when it was not measured. */
function sizeOf(
  measured: { uncompressedBytes: number; compressedBytes?: number },
  kind: SizeKind,
): number | undefined {
  return kind === 'uncompressed' ? measured.uncompressedBytes : measured.compressedBytes;
}

/** Returns the `count` largest layers by the checked size, largest first. Ties keep image order. */
export function largestLayers(layers: LayerSize[], kind: SizeKind, count = 3): LayerSize[] {
  return layers
    .map((layer, index) => ({ layer, index, size: sizeOf(layer, kind) ?? layer.uncompressedBytes }))
    .sort((a, b) => b.size - a.size || a.index - b.index)
    .slice(0, count)
    .map((entry) => entry.layer);
}

/**
 * Shortens a `docker history` CREATED BY text for one line: drops the `/bin/sh -c #(nop) `
 * prefix of classic builder metadata and BuildKit's ` # buildkit` suffix, collapses
 * whitespace, and cuts the text at `maxLength` characters with `…`.
 */
export function summarizeInstruction(createdBy: string, maxLength = 100): string {
  const text = createdBy
    .replace(/^\/bin\/sh -c #\(nop\)\s*/, '')
    .replace(/\s*# buildkit$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= maxLength) return text || '(no instruction recorded)';
  return `${text.slice(0, maxLength - 1)}…`;
}

function describeLargestLayers(layers: LayerSize[], kind: SizeKind): string {
  if (layers.length === 0) return 'The image has no layer records.';
  const descriptions = layers.map((layer) => {
    const size = sizeOf(layer, kind) ?? layer.uncompressedBytes;
    return `${formatSizeWithBytes(size)} ${summarizeInstruction(layer.createdBy)}`;
  });
  return `Largest layers: ${descriptions.join('; ')}.`;
}

/** Prefixes a message with `platform: `, or capitalizes it when there is no platform. */
function forPlatform(platform: string, text: string): string {
  return platform ? `${platform}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
}

function checkMaxSize(
  platformSize: PlatformSize,
  limit: SizeLimit,
  kind: SizeKind,
  result: BudgetResult,
): void {
  const size = sizeOf(platformSize, kind);
  if (size === undefined) {
    result.skipped.push(
      forPlatform(
        platformSize.platform,
        `the max-size budget was not checked: the ${kind} size was not measured.`,
      ),
    );
    return;
  }
  // At the limit passes, and one byte over fails.
  if (size <= limit.bytes) return;
  const layers = largestLayers(platformSize.layers, kind);
  result.violations.push({
    budget: 'max-size',
    platform: platformSize.platform,
    sizeKind: kind,
    actualBytes: size,
    limitBytes: limit.bytes,
    largestLayers: layers,
    message: forPlatform(
      platformSize.platform,
      `the ${kind} image size ${formatSizeWithBytes(size)} ` +
        `is over max-size ${limit.text} (${limit.bytes} bytes) by ${size - limit.bytes} bytes. ` +
        describeLargestLayers(layers, kind),
    ),
  });
}

/**
 * Returns whether an increase is within the limit. The percent comparison multiplies instead
 * of dividing, so that exactly 10 % of a baseline passes a 10% limit despite rounding.
 */
function isIncreaseAllowed(limit: IncreaseLimit, change: SizeChange): boolean {
  if (limit.kind === 'bytes') return change.bytes <= limit.bytes;
  return change.bytes * 100 <= limit.percent * change.baselineBytes;
}

function checkMaxIncrease(
  platformSize: PlatformSize,
  change: SizeChange,
  limit: IncreaseLimit,
  kind: SizeKind,
  result: BudgetResult,
): void {
  // At the limit passes, and one byte over fails. A shrinking image always passes.
  if (isIncreaseAllowed(limit, change)) return;
  // A percent limit against a baseline of 0 bytes allows no growth, because any growth from
  // 0 is an unbounded percentage.
  const allowed =
    limit.kind === 'bytes' ? limit.bytes : Math.floor((limit.percent * change.baselineBytes) / 100);
  const layers = largestLayers(platformSize.layers, kind);
  const growth =
    `the ${kind} size grew by ${formatSizeWithBytes(change.bytes)}, ` +
    `from ${change.baselineBytes} to ${change.currentBytes} bytes`;
  let limitText: string;
  if (limit.kind === 'bytes') {
    limitText = `over max-increase ${limit.text} (${limit.bytes} bytes)`;
  } else if (change.baselineBytes === 0) {
    limitText =
      `over max-increase ${limit.text}, which allows no growth from a baseline of 0 bytes. ` +
      'Set max-increase in bytes, or use a baseline above 0';
  } else {
    limitText =
      `${change.percent?.toFixed(1)} %, over max-increase ${limit.text} ` +
      `(${allowed} bytes of this baseline)`;
  }
  result.violations.push({
    budget: 'max-increase',
    platform: platformSize.platform,
    sizeKind: kind,
    actualBytes: change.bytes,
    limitBytes: allowed,
    largestLayers: layers,
    message: forPlatform(
      platformSize.platform,
      `${growth}, ${limitText}. ${describeLargestLayers(layers, kind)}`,
    ),
  });
}

/**
 * Checks every platform of the image against the limits. Each platform is checked on its
 * own, because a pull fetches one platform. A size exactly at a limit passes, one byte over
 * fails. max-increase is skipped, with the reason in `skipped`, when there is no baseline or
 * the baseline lacks the checked size for a platform, so the first build of an image passes.
 */
export function checkBudgets(
  platforms: PlatformSize[],
  baseline: Baseline | null | undefined,
  limits: BudgetLimits,
): BudgetResult {
  const kind = limits.sizeKind ?? 'uncompressed';
  const result: BudgetResult = { violations: [], skipped: [] };
  const deltas = computeDelta(platforms, baseline);

  platforms.forEach((platformSize, index) => {
    if (limits.maxSize) checkMaxSize(platformSize, limits.maxSize, kind, result);
    if (!limits.maxIncrease) return;
    const change = deltas[index][kind];
    if (change.bytes === null) {
      result.skipped.push(
        forPlatform(
          platformSize.platform,
          `the max-increase budget was not checked: ${change.reason}.`,
        ),
      );
      return;
    }
    checkMaxIncrease(platformSize, change, limits.maxIncrease, kind, result);
  });
  return result;
}
