const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Formats bytes the way `docker image ls` does: decimal units (1 kB = 1000 B) and three
 * significant digits, for example 2.05MB.
 */
export function formatDockerSize(bytes: number): string {
  let size = bytes;
  let unitIndex = 0;
  while (size >= 1000 && unitIndex < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unitIndex++;
  }
  return `${Number(size.toPrecision(3))}${DECIMAL_UNITS[unitIndex]}`;
}

/** Formats bytes for a log line or summary: `2.05 MB (2048000 bytes)`. */
export function formatSizeWithBytes(bytes: number): string {
  const human = formatDockerSize(bytes).replace(/^([\d.]+)/, '$1 ');
  return `${human} (${bytes} bytes)`;
}

export function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined ? '–' : `${seconds.toFixed(1)} s`;
}
