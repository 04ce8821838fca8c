// Builds and starts the cache server of e2e/cache-service/main.go for end-to-end tests.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** Time limit for the server to print its URL after it starts. */
const START_TIMEOUT_MS = 30_000;

/** A running cache server process. */
export interface CacheServer {
  /** ACTIONS_CACHE_URL of the server, for example `http://127.0.0.1:41234/<token>/`. */
  url: string;
  /** File that receives the server's standard error: its log. */
  logFile: string;
  /** Stops the server with SIGTERM and waits for it to exit. */
  stop(): Promise<void>;
}

/** Builds the server into `binary` with scripts/build-cache-server.sh. */
export function buildCacheServer(projectRoot: string, binary: string): void {
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'build-cache-server.sh'), binary], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `binary` on a free port of 127.0.0.1 with its entries in `storeDirectory`, and
 * resolves once it printed its URL. The server also exits when this process ends, because
 * it stops when its standard input closes.
 */
export async function startCacheServer(
  binary: string,
  storeDirectory: string,
  logFile: string,
): Promise<CacheServer> {
  fs.mkdirSync(storeDirectory, { recursive: true });
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(binary, ['-dir', storeDirectory, '-exit-on-stdin-eof', '-verbose'], {
    stdio: ['pipe', 'pipe', logFd],
  });
  fs.closeSync(logFd);

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitForExit(child);
  };

  const lines = readline.createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the cache server printed no URL within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      lines.on('line', (line) => {
        const match = /^ACTIONS_CACHE_URL=(\S+)$/.exec(line);
        if (match) resolve(match[1]);
      });
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`the cache server exited with ${signal ?? `code ${code}`}`)),
      );
    });
    return { url, logFile, stop };
  } catch (error) {
    await stop();
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim() : '';
    throw new Error(
      `Starting the cache server ${binary} failed: ${error instanceof Error ? error.message : String(error)}. ` +
        `Its log (${logFile}):\n${log}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
