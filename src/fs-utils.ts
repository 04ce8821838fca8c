import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Gives the owner write access to `directory` and every directory below it, because Go makes
 * module cache directories read-only. Does nothing when `directory` is not a directory.
 */
export function makeWritable(directory: string): void {
  if (!fs.existsSync(directory) || !fs.statSync(directory).isDirectory()) return;
  const walk = (current: string): void => {
    fs.chmodSync(current, fs.statSync(current).mode | 0o200);
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(current, entry.name));
    }
  };
  walk(directory);
}
