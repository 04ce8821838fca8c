// Markdown for image size reports: the job summary section and the pull request comment.
//
// Every string that comes from a report (image names, tags, layer instructions, baseline
// sources, budget messages) goes through escapeMarkdown, because a report can come from a
// pull request's Dockerfile or from an artifact of a fork.

import { summarizeInstruction } from './budget.js';
import { formatBytesOneDecimal, formatSizeDelta, PlatformSize, roundedPercent } from './delta.js';
import { formatDockerSize } from './format.js';
import { JsonReport } from './json-report.js';
import { shortImageId } from './summary.js';

/** GitHub rejects issue comment bodies longer than this many characters. */
export const MAX_COMMENT_LENGTH = 65536;

/** Layers listed per platform; the rest are counted in a note. */
const MAX_LAYER_ROWS = 100;

/** Characters of a layer instruction shown in the layer table. */
const MAX_INSTRUCTION_LENGTH = 160;

const ZERO_WIDTH_SPACE = '&#8203;';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '|': '&#124;',
  '`': '&#96;',
  '\\': '&#92;',
  '*': '&#42;',
  _: '&#95;',
  '[': '&#91;',
  ']': '&#93;',
  '~': '&#126;',
  $: '&#36;',
};

/**
 * Escapes text for a Markdown table cell, list item or HTML element of a comment or summary.
 *
 * - Line breaks, tabs and other control characters become one space, so text stays in its
 *   table row.
 * - HTML and Markdown syntax characters become numeric character references. CommonMark
 *   never reads a character reference as syntax, and HTML decodes it, so the text shows as
 *   written in both contexts. This covers tags, `|` cell breaks, code spans, emphasis,
 *   `[text](url)` links and images, and `$` math.
 * - A zero-width space goes after `@` and `#` when a letter or digit follows, so that
 *   `@name` does not mention anyone and `#12` does not reference an issue.
 *
 * Bare URLs are left as they are, so GitHub may still link them; such a link shows its
 * own target. Never put the result inside a backtick code span, where references stay
 * undecoded.
 */
export function escapeMarkdown(text: string): string {
  // One pass, so that the `#` of a character reference written here is never escaped again.
  return text
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/[&<>"'|`\\*_[\]~$]|[@#](?=[\p{L}\p{N}])/gu, (character) =>
      character === '@' || character === '#'
        ? `${character}${ZERO_WIDTH_SPACE}`
        : ENTITIES[character],
    );
}

/** Splits `registry/name:tag` or `name@sha256:…` into repository and tag, as docker shows them. */
export function splitImageReference(reference: string): { repository: string; tag: string } {
  const withoutDigest = reference.split('@')[0];
  const hasDigest = withoutDigest !== reference;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const tagColon = withoutDigest.indexOf(':', lastSlash + 1);
  if (tagColon === -1) return { repository: withoutDigest, tag: hasDigest ? '<none>' : 'latest' };
  return { repository: withoutDigest.slice(0, tagColon), tag: withoutDigest.slice(tagColon + 1) };
}

function tableRow(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function sizeCell(bytes: number | undefined): string {
  return bytes === undefined ? '–' : formatDockerSize(bytes);
}

/** Formats the compressed size, with `≈` before a local estimate. */
function compressedCell(platform: PlatformSize): string {
  const size = sizeCell(platform.compressedBytes);
  return platform.compressedIsEstimate && platform.compressedBytes !== undefined
    ? `≈${size}`
    : size;
}

function rowsOf(report: JsonReport): string[] {
  const references =
    report.image.tags.length > 0
      ? report.image.tags.map(splitImageReference)
      : [{ repository: report.image.name || '<none>', tag: '<none>' }];
  const imageId = escapeMarkdown(shortImageId(report.image.imageId));
  const rows: string[] = [];
  for (const { repository, tag } of references) {
    report.platforms.forEach((platform, index) => {
      const delta = report.delta[index];
      rows.push(
        tableRow([
          escapeMarkdown(repository),
          escapeMarkdown(tag),
          escapeMarkdown(platform.platform || '–'),
          imageId,
          sizeCell(platform.uncompressedBytes),
          compressedCell(platform),
          delta ? formatSizeDelta(delta.uncompressed) : '–',
          delta ? formatSizeDelta(delta.compressed) : '–',
        ]),
      );
    });
  }
  return rows;
}

/**
 * Renders the `docker image ls`-style table, one row per tag and platform of each report, and a
 * note below it when a compressed size is a local estimate.
 */
export function renderSizeTable(reports: JsonReport[]): string {
  const header = tableRow([
    'REPOSITORY',
    'TAG',
    'PLATFORM',
    'IMAGE ID',
    'SIZE',
    'COMPRESSED',
    'CHANGE',
    'COMPRESSED CHANGE',
  ]);
  const alignment = '| --- | --- | --- | --- | ---: | ---: | ---: | ---: |';
  const table = [header, alignment, ...reports.flatMap(rowsOf)].join('\n');
  const hasEstimate = reports.some((report) =>
    report.platforms.some((platform) => platform.compressedIsEstimate),
  );
  if (!hasEstimate) return table;
  return `${table}\n\n≈ Compressed size estimated locally with gzip; the registry's size may differ slightly.`;
}

function describeBaseline(report: JsonReport): string {
  const { baseline } = report;
  if (baseline.kind === 'none') return `No size change shown: ${escapeMarkdown(baseline.reason)}.`;
  let against: string;
  if (baseline.kind === 'number') {
    against = `baseline-size ${formatBytesOneDecimal(baseline.uncompressedBytes)} (${baseline.uncompressedBytes} bytes)`;
  } else {
    against = `the baseline ${baseline.kind} <code>${escapeMarkdown(baseline.source)}</code>`;
  }
  const reasons = new Set<string>();
  for (const delta of report.delta) {
    for (const size of [delta.uncompressed, delta.compressed]) {
      if (size.bytes === null) reasons.add(escapeMarkdown(size.reason));
    }
  }
  const missing = [...reasons].map((reason) => ` Not compared: ${reason}.`).join('');
  return `Change against ${against}.${missing}`;
}

function describeBaseImage(platform: PlatformSize): string | undefined {
  const base = platform.baseImage;
  if (!base) return undefined;
  const share = roundedPercent(base.uncompressedBytes, platform.uncompressedBytes);
  const name = base.reference ? `<code>${escapeMarkdown(base.reference)}</code>` : 'unknown';
  const where = platform.platform ? ` on ${escapeMarkdown(platform.platform)}` : '';
  const shareText = share === null ? '' : ` (${share.toFixed(1)} %)`;
  return (
    `Base image ${name}${where}: ${formatBytesOneDecimal(base.uncompressedBytes)} ` +
    `of ${formatBytesOneDecimal(platform.uncompressedBytes)}${shareText}.`
  );
}

function describeLimits(report: JsonReport): string {
  const { limits, sizeKind } = report.budgets;
  const parts: string[] = [];
  if (limits.maxSize) parts.push(`max-size ${escapeMarkdown(limits.maxSize.text)}`);
  if (limits.maxIncrease) parts.push(`max-increase ${escapeMarkdown(limits.maxIncrease.text)}`);
  return `${parts.join(', ')} on the ${sizeKind} size`;
}

function renderBudgets(report: JsonReport): string | undefined {
  const { budgets } = report;
  if (!budgets.limits.maxSize && !budgets.limits.maxIncrease) return undefined;
  const lines: string[] = [];
  if (budgets.violations.length === 0) {
    lines.push(`Size budgets passed (${describeLimits(report)}).`);
  } else {
    lines.push(`**Size budgets exceeded** (${describeLimits(report)}):`, '');
    for (const violation of budgets.violations)
      lines.push(`- ${escapeMarkdown(violation.message)}`);
  }
  if (budgets.skipped.length > 0) {
    lines.push('');
    for (const note of budgets.skipped) lines.push(`- ${escapeMarkdown(note)}`);
  }
  return lines.join('\n');
}

function renderLayers(report: JsonReport, platform: PlatformSize): string {
  const name = report.image.name || report.image.tags[0] || 'the image';
  const where = platform.platform ? ` for ${platform.platform}` : '';
  const count = platform.layers.length;
  const rows = platform.layers.slice(0, MAX_LAYER_ROWS).map((layer) => {
    const instruction = `<code>${escapeMarkdown(summarizeInstruction(layer.createdBy, MAX_INSTRUCTION_LENGTH))}</code>`;
    const origin = layer.fromBaseImage ? ' (base image)' : '';
    return tableRow([
      sizeCell(layer.uncompressedBytes),
      sizeCell(layer.compressedBytes),
      `${instruction}${origin}`,
    ]);
  });
  const lines = [
    '<details>',
    `<summary>Layers of ${escapeMarkdown(name + where)}: ${count} ${count === 1 ? 'layer' : 'layers'}</summary>`,
    '',
    tableRow(['SIZE', 'COMPRESSED', 'CREATED BY']),
    '| ---: | ---: | --- |',
    ...rows,
  ];
  if (count > MAX_LAYER_ROWS) lines.push('', `${count - MAX_LAYER_ROWS} more layers not listed.`);
  lines.push('', '</details>');
  return lines.join('\n');
}

/** Renders the baseline, base image, budget and layer sections of one report. */
function renderReportDetails(report: JsonReport, includeLayers: boolean): string[] {
  const blocks = [describeBaseline(report)];
  const baseLines = report.platforms
    .map(describeBaseImage)
    .filter((line): line is string => line !== undefined);
  if (baseLines.length > 0) blocks.push(baseLines.join('\n'));
  const budgets = renderBudgets(report);
  if (budgets) blocks.push(budgets);
  if (includeLayers) {
    for (const platform of report.platforms) {
      if (platform.layers.length > 0) blocks.push(renderLayers(report, platform));
    }
  }
  return blocks;
}

/**
 * Renders the image size section of the job summary. It starts and ends with a blank line, so
 * it can follow or precede the HTML that `core.summary` writes.
 */
export function renderSizeSummary(report: JsonReport): string {
  const blocks = [
    '### Image size',
    renderSizeTable([report]),
    ...renderReportDetails(report, true),
  ];
  return `\n${blocks.join('\n\n')}\n`;
}

export interface CommentOptions {
  /** Hidden marker that finds this comment again, from commentMarker(). */
  marker: string;
  /** Link to the workflow run, from the trusted context of the run that posts the comment. */
  runUrl?: string;
}

function renderComment(
  reports: JsonReport[],
  options: CommentOptions,
  includeLayers: boolean,
): string {
  const blocks = [options.marker, '### Image size', renderSizeTable(reports)];
  for (const report of reports) {
    if (reports.length > 1) {
      const name = report.image.name || report.image.tags[0] || report.image.imageId;
      blocks.push(`#### ${escapeMarkdown(name)}`);
    }
    blocks.push(...renderReportDetails(report, includeLayers));
  }
  if (!includeLayers) {
    blocks.push(
      `Layer tables left out: with them this comment would exceed GitHub's limit of ${MAX_COMMENT_LENGTH} characters.`,
    );
  }
  const sha = reports[0]?.run.sha;
  const commit = sha && /^[0-9a-f]{7,40}$/.test(sha) ? ` for commit ${sha.slice(0, 7)}` : '';
  // Only a run URL from the caller becomes a link, never one from a report file.
  const run =
    options.runUrl && /^https:\/\/[^\s<>"'()]+$/.test(options.runUrl)
      ? ` in [this workflow run](${options.runUrl})`
      : '';
  blocks.push(`<sub>Measured by go-buildx-action${commit}${run}.</sub>`);
  return `${blocks.join('\n\n')}\n`;
}

/**
 * Renders the pull request comment for one or more reports, starting with the hidden marker.
 * When the body would exceed GitHub's comment limit, the layer tables are left out.
 */
export function renderSizeComment(reports: JsonReport[], options: CommentOptions): string {
  const full = renderComment(reports, options, true);
  if (full.length <= MAX_COMMENT_LENGTH) return full;
  const short = renderComment(reports, options, false);
  if (short.length <= MAX_COMMENT_LENGTH) return short;
  // Cut at a line end, so no row or character reference is cut in half.
  const note = '\n\nThe size report was cut to fit the comment limit.\n';
  const cut = short.lastIndexOf('\n', MAX_COMMENT_LENGTH - note.length);
  return short.slice(0, cut) + note;
}
