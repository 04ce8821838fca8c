import * as core from '@actions/core';
import * as exec from '@actions/exec';
import { ChildProcess, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as net from 'node:net';

// A seed build can read the runner's caches over HTTP instead of from its build context. The
// docker driver runs RUN steps on the engine's default bridge network, so a server that listens
// on the bridge's gateway address, which belongs to the runner, is reachable from the step.
// The runner pipes `tar -c` straight into the response and the step pipes the download into
// `tar -x`: no archive is written on either side, and BuildKit neither copies nor checksums a
// build context. Measured on 2 cores with Docker 20.10 (BuildKit v0.8), 334 MB of Go caches
// took 2.8 s this way and 8.7 s as a build context, in the same minute.

/** Serves one tar stream per cache directory to a seed build, for the length of that build. */
export interface SeedStreamServer {
  /** URL of each directory's tar stream, by cache kind. */
  urls: Record<string, string>;
  /**
   * Returns why a stream was not sent in full, or '' when every archive was. A build that
   * succeeded still counts as failed when this is set, because a download cut short can
   * look like a complete, smaller archive to the extracting tar.
   */
  problem(): string;
  /** Returns whether any archive was requested. */
  requested(): boolean;
  close(): Promise<void>;
}

/**
 * Returns the address a seed stream server can listen on so that the builder's RUN steps reach
 * it, or '' when there is none. Only the docker driver is known to run its steps on the
 * engine's bridge network, and the address must belong to this machine, which rules out most
 * remote engines.
 */
export async function findSeedStreamAddress(driver: string): Promise<string> {
  // NOTE: a docker-container builder on this machine may reach the gateway too, but that was
  // never run here, so it keeps the build-context route.
  if (driver !== 'docker') return '';
  const result = await exec.getExecOutput(
    'docker',
    ['network', 'inspect', 'bridge', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}'],
    { silent: true, ignoreReturnCode: true },
  );
  if (result.exitCode !== 0) return '';
  for (const address of result.stdout.trim().split(/\s+/)) {
    if (net.isIPv4(address) && (await canListenOn(address))) return address;
  }
  return '';
}

/**
 * Returns whether a server can listen on `address`, which holds only for an address of this
 * machine. os.networkInterfaces() is no test, because it leaves out a bridge without
 * containers, whose link is down.
 */
function canListenOn(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, address, () => probe.close(() => resolve(true)));
  });
}

/**
 * Returns the `tar -c` members for a cache directory: its top-level entries, with Go's module
 * download cache (`cache`) last. A seed cut short then leaves module folders without their
 * `.ziphash` files in cache/download, and Go extracts such a module again instead of trusting
 * a half-written folder (cmd/go/internal/modfetch, DownloadDir).
 */
export function archiveMembers(directory: string): string[] {
  const names = fs.existsSync(directory) ? fs.readdirSync(directory) : [];
  if (names.length === 0) return ['.'];
  const ordered = [
    ...names.filter((name) => name !== 'cache').sort(),
    ...names.filter((name) => name === 'cache'),
  ];
  return ordered.map((name) => `./${name}`);
}

type StreamState = { sent: false; problem: string } | { sent: true };

/**
 * Starts a server on `address` that sends each directory as an uncompressed tar stream. The
 * URLs carry a random token, because other containers on the bridge network can reach the
 * server too.
 */
export async function startSeedStreamServer(
  address: string,
  directories: Record<string, string>,
): Promise<SeedStreamServer> {
  const token = crypto.randomBytes(16).toString('hex');
  const states = new Map<string, StreamState>(
    Object.keys(directories).map((kind) => [kind, { sent: false, problem: 'never requested' }]),
  );
  const archivers = new Set<ChildProcess>();
  let requestCount = 0;

  /** Pipes `tar -c` of the directory of `kind` into the response and records the outcome. */
  const sendArchive = (kind: string, response: http.ServerResponse): void => {
    requestCount++;
    const directory = directories[kind];
    const archiver = spawn('tar', ['-cf', '-', '-C', directory, ...archiveMembers(directory)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    archivers.add(archiver);
    states.set(kind, { sent: false, problem: 'the download did not finish' });
    let tarErrors = '';
    archiver.stderr.on('data', (chunk: Buffer) => (tarErrors += chunk.toString()));

    response.writeHead(200, { 'Content-Type': 'application/x-tar' });
    archiver.stdout.pipe(response, { end: false });
    archiver.on('error', (error) => {
      states.set(kind, { sent: false, problem: `tar could not start: ${error.message}` });
      response.destroy();
    });
    archiver.on('close', (code) => {
      archivers.delete(archiver);
      if (code === 0) {
        response.end();
        return;
      }
      const detail = tarErrors.trim().split('\n').slice(-2).join(' ');
      states.set(kind, { sent: false, problem: `tar -c exited with ${code}: ${detail}` });
      // Cutting the chunked response short makes the download fail instead of end cleanly.
      response.destroy();
    });

    response.on('finish', () => {
      if (archiver.exitCode === 0) states.set(kind, { sent: true });
    });
    response.on('close', () => {
      if (!response.writableFinished) archiver.kill();
    });
  };

  const server = http.createServer((request, response) => {
    const match = /^\/([0-9a-f]+)\/([a-z]+)\.tar$/.exec(request.url ?? '');
    const kind = match?.[2] ?? '';
    if (request.method === 'GET' && match?.[1] === token && kind in directories) {
      sendArchive(kind, response);
      return;
    }
    // The path is not logged, because a wrong token in it may be a guess at the real one.
    core.debug(
      `Seed stream server: rejected ${request.method} from ${request.socket.remoteAddress} with 404.`,
    );
    response.writeHead(404).end();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  core.debug(`Seed stream server listening on ${address}:${port}.`);
  const urls: Record<string, string> = {};
  for (const kind of Object.keys(directories)) {
    urls[kind] = `http://${address}:${port}/${token}/${kind}.tar`;
  }

  return {
    urls,
    problem() {
      const problems = [...states]
        .filter(([, state]) => !state.sent)
        .map(([kind, state]) => `${kind} archive: ${(state as { problem: string }).problem}`);
      return problems.join('; ');
    },
    requested() {
      return requestCount > 0;
    },
    close() {
      for (const archiver of archivers) archiver.kill();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
