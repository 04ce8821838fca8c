// Image size measurements, the baselines they are compared with, and the size delta.
// The measurement types contain only what the report layer reads, and they are the JSON
// report's schema. platformSizeFromMeasurement in json-report.ts converts the output of
// src/docker/image-size.ts to them.

/** One layer of an image, as `docker history` lists it. */
export interface LayerSize {
  /** Uncompressed bytes the layer adds to the image. */
  uncompressedBytes: number;
  /** Bytes of the layer's compressed blob in the registry, when known. */
  compressedBytes?: number;
  /** Instruction that created the layer (`docker history` CREATED BY). */
  createdBy: string;
  /** True for layers that come from the base image of the final stage. */
  fromBaseImage?: boolean;
}

/** Size of the part of an image that its base image contributes. */
export interface BaseImageShare {
  /** Base image reference, for example `gcr.io/distroless/static:nonroot`; empty when unknown. */
  reference: string;
  uncompressedBytes: number;
  compressedBytes?: number;
}

/** Sizes of the image for one platform. */
export interface PlatformSize {
  /** Platform in `os/arch[/variant]` form, for example `linux/arm64`; empty when unknown. */
  platform: string;
  /** Uncompressed size in bytes, as `docker image ls` counts it. */
  uncompressedBytes: number;
  /** Sum of the compressed layer blobs, which is what a pull downloads; absent when unknown. */
  compressedBytes?: number;
  /** True when compressedBytes is a local gzip estimate, not read from a registry. */
  compressedIsEstimate?: boolean;
  layers: LayerSize[];
  baseImage?: BaseImageShare;
}

/** Sizes of one platform of a baseline, without its layers. */
export interface BaselinePlatform {
  platform: string;
  uncompressedBytes: number;
  compressedBytes?: number;
}

/**
 * The sizes a build is compared with: a previous JSON report (`report`), another image
 * measured the same way (`image`), or a number of uncompressed bytes from the `baseline-size`
 * input (`number`). `none` records why there is no baseline.
 */
export type Baseline =
  | { kind: 'report' | 'image'; source: string; platforms: BaselinePlatform[] }
  | { kind: 'number'; source: string; uncompressedBytes: number }
  | { kind: 'none'; reason: string };

/** A size change against a baseline value. */
export interface SizeChange {
  baselineBytes: number;
  currentBytes: number;
  /** Current minus baseline bytes, negative when the image shrank. */
  bytes: number;
  /** Change relative to the baseline in percent, rounded to 0.1; null when the baseline is 0. */
  percent: number | null;
}

/** A size change that cannot be computed, with the reason. */
export interface MissingChange {
  bytes: null;
  percent: null;
  reason: string;
}

export type SizeDelta = SizeChange | MissingChange;

/** Size deltas of one platform of the current image. */
export interface PlatformDelta {
  platform: string;
  uncompressed: SizeDelta;
  compressed: SizeDelta;
}

/** Builds the `none` baseline, which makes every delta a MissingChange with this reason. */
export function noBaseline(reason: string): Baseline {
  return { kind: 'none', reason };
}

/**
 * Rounds a change to 0.1 %, half away from zero, so +0.05 % and −0.05 % round to +0.1 %
 * and −0.1 %. The division happens once on whole numbers, which keeps exact halves exact.
 */
export function roundedPercent(changeBytes: number, baselineBytes: number): number | null {
  if (baselineBytes === 0) return null;
  const tenths = Math.round((Math.abs(changeBytes) * 1000) / baselineBytes);
  if (tenths === 0) return 0;
  return (Math.sign(changeBytes) * tenths) / 10;
}

export function sizeChange(baselineBytes: number, currentBytes: number): SizeChange {
  const bytes = currentBytes - baselineBytes;
  return { baselineBytes, currentBytes, bytes, percent: roundedPercent(bytes, baselineBytes) };
}

function missing(reason: string): MissingChange {
  return { bytes: null, percent: null, reason };
}

/**
 * Finds the baseline platform to compare `platform` with: the one with the same name, or the
 * only one when both sides have a single platform, because the local image store may leave the
 * platform empty.
 */
function matchBaselinePlatform(
  platform: string,
  currentCount: number,
  baselinePlatforms: BaselinePlatform[],
): BaselinePlatform | undefined {
  const sameName = baselinePlatforms.find((candidate) => candidate.platform === platform);
  if (sameName) return sameName;
  if (currentCount === 1 && baselinePlatforms.length === 1) return baselinePlatforms[0];
  return undefined;
}

function describeBaseline(baseline: Exclude<Baseline, { kind: 'none' }>): string {
  if (baseline.kind === 'number') return `baseline-size ${baseline.uncompressedBytes} bytes`;
  return `baseline ${baseline.kind} ${baseline.source}`;
}

/**
 * Computes the uncompressed and compressed size delta of each platform of `current` against
 * the baseline. A `number` baseline is uncompressed bytes and applies to every platform, so
 * its compressed delta is missing. A null or undefined baseline counts as `none`.
 */
export function computeDelta(
  current: PlatformSize[],
  baseline: Baseline | null | undefined,
): PlatformDelta[] {
  const effective = baseline ?? noBaseline('no baseline was given');
  return current.map((platformSize) => {
    const { platform } = platformSize;
    if (effective.kind === 'none') {
      return {
        platform,
        uncompressed: missing(effective.reason),
        compressed: missing(effective.reason),
      };
    }
    if (effective.kind === 'number') {
      return {
        platform,
        uncompressed: sizeChange(effective.uncompressedBytes, platformSize.uncompressedBytes),
        compressed: missing('baseline-size gives the uncompressed size only'),
      };
    }

    const matched = matchBaselinePlatform(platform, current.length, effective.platforms);
    if (!matched) {
      const reason = `${describeBaseline(effective)} has no ${platform || 'matching'} platform`;
      return { platform, uncompressed: missing(reason), compressed: missing(reason) };
    }
    const uncompressed = sizeChange(matched.uncompressedBytes, platformSize.uncompressedBytes);
    let compressed: SizeDelta;
    if (platformSize.compressedBytes === undefined) {
      compressed = missing('the compressed size of this image was not measured');
    } else if (matched.compressedBytes === undefined) {
      compressed = missing(`the compressed size of ${describeBaseline(effective)} is not known`);
    } else {
      compressed = sizeChange(matched.compressedBytes, platformSize.compressedBytes);
    }
    return { platform, uncompressed, compressed };
  });
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
const MINUS = '\u2212';

/**
 * Formats a byte count with decimal units (1 kB = 1000 B, as `docker image ls` counts) and
 * one decimal place above 1 kB: `512 B`, `1.2 kB`, `12.3 MB`.
 */
export function formatBytesOneDecimal(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  let unitIndex = 0;
  let size = bytes;
  // Step up while the value would round to 1000.0 in the current unit.
  while (size >= 999.95 && unitIndex < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unitIndex++;
  }
  return `${size.toFixed(1)} ${DECIMAL_UNITS[unitIndex]}`;
}

/**
 * Formats a size delta for people: `+1.2 MB (+3.4 %)`, `−512 B (−0.1 %)`, `no change`, and
 * `+5 B (+<0.1 %)` when the change rounds to 0.0 %. The minus sign is U+2212. A missing change
 * formats as `–`.
 */
export function formatSizeDelta(delta: SizeDelta): string {
  if (delta.bytes === null) return '–';
  if (delta.bytes === 0) return 'no change';
  const sign = delta.bytes > 0 ? '+' : MINUS;
  const size = `${sign}${formatBytesOneDecimal(Math.abs(delta.bytes))}`;
  if (delta.percent === null) return `${size} (baseline 0 B)`;
  const percent = delta.percent === 0 ? '<0.1' : Math.abs(delta.percent).toFixed(1);
  return `${size} (${sign}${percent} %)`;
}
