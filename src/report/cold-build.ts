import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * File in the Docker build cache directory that records the Go compile time of the last
 * build that started without a restored build cache. It travels with the cache entry, so a
 * later run can report the time its restored cache saved.
 */
const COLD_BUILD_FILE = '.go-buildx-cold-build.json';

export interface ColdBuildRecord {
  compileSeconds: number;
  recordedAt: string;
}

export function readColdBuildRecord(buildCacheDirectory: string): ColdBuildRecord | undefined {
  try {
    const record = JSON.parse(
      fs.readFileSync(path.join(buildCacheDirectory, COLD_BUILD_FILE), 'utf8'),
    ) as ColdBuildRecord;
    return typeof record.compileSeconds === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

export function writeColdBuildRecord(buildCacheDirectory: string, compileSeconds: number): void {
  const record: ColdBuildRecord = { compileSeconds, recordedAt: new Date().toISOString() };
  fs.mkdirSync(buildCacheDirectory, { recursive: true });
  fs.writeFileSync(path.join(buildCacheDirectory, COLD_BUILD_FILE), JSON.stringify(record) + '\n');
}
