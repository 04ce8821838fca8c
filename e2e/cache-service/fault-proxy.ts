// An HTTP proxy on 127.0.0.1 in front of a v1 cache server (the one e2e/cache-service/main.go
// starts), which injects one selected fault into the requests of @actions/cache and records
// every request for the test's assertions.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The v1 cache protocol requests of @actions/cache 6 (under `/_apis/artifactcache/`). */
export type CacheRoute = 'lookup' | 'reserve' | 'upload' | 'commit' | 'download' | 'other';

/**
 * A fault, applied to every matching request while it is set, retries included, as a broken
 * service would.
 *
 * - `status-500`: respond to the request of `route` with HTTP 500 and do not forward it. The
 *   proxy reads the whole request body first, unless `early` is set: then it responds at once
 *   and discards the rest of the body, as a server that rejects an upload early does.
 * - `stall`: accept the request of `route` and never respond, until `endStalls()` or `close()`.
 * - `disconnect`: forward a download's headers (with the full Content-Length) and the first
 *   `keep` of its body, then destroy the connection.
 * - `truncated`: respond to a download with only the first `keep` of the archive and a
 *   Content-Length that matches them, so the response itself is complete.
 * - `corrupt`: respond to a download with the archive's length in bytes, the first `keep` of
 *   them from the archive and the rest random.
 *
 * `cacheKey` limits a fault to the requests whose cache key contains it.
 */
export type Fault =
  | {
      kind: 'status-500';
      route: 'lookup' | 'reserve' | 'upload' | 'commit';
      early?: boolean;
      cacheKey?: string;
    }
  | { kind: 'stall'; route: 'lookup' | 'download'; cacheKey?: string }
  | DownloadFault;

/** A fault that changes the archive a download returns. */
export interface DownloadFault {
  kind: 'disconnect' | 'truncated' | 'corrupt';
  keep: KeptPart;
  cacheKey?: string;
}

/** The part of an archive that a download fault passes on: a byte count or a fraction. */
export type KeptPart = { bytes: number } | { fraction: number };

/** Returns how many bytes of an archive of `length` bytes `keep` stands for. */
export function keptBytes(keep: KeptPart, length: number): number {
  const bytes = 'bytes' in keep ? keep.bytes : Math.floor(length * keep.fraction);
  return Math.max(0, Math.min(length, bytes));
}

/** One request that reached the proxy. */
export interface ProxyRequest {
  method: string;
  route: CacheRoute;
  /** Path and query as the client sent them. */
  path: string;
  /** The cache key of the request where the proxy could tell it, else ''. */
  cacheKey: string;
  /** The fault injected into this request, or '' when it was forwarded as it was. */
  fault: string;
  /** HTTP status sent to the client; 0 while none was sent, or when the connection was cut. */
  status: number;
  /** Response body bytes sent to the client. */
  bytesSent: number;
  /** Times in milliseconds since the epoch; `endedAt` is 0 while the request is open. */
  startedAt: number;
  endedAt: number;
}

const API_PREFIX = '/_apis/artifactcache/';

/** Maps a request to its route in the v1 cache protocol. */
export function classifyRequest(method: string, pathname: string): CacheRoute {
  if (!pathname.startsWith(API_PREFIX)) return 'other';
  const resource = pathname.slice(API_PREFIX.length);
  if (method === 'GET' && resource === 'cache') return 'lookup';
  if (method === 'POST' && resource === 'caches') return 'reserve';
  if (method === 'PATCH' && /^caches\/\d+$/.test(resource)) return 'upload';
  if (method === 'POST' && /^caches\/\d+$/.test(resource)) return 'commit';
  if (method === 'GET' && /^artifacts\/\d+$/.test(resource)) return 'download';
  return 'other';
}

/** Returns the numeric id at the end of a cache or artifact path, or '' when there is none. */
function trailingId(pathname: string): string {
  return /\/(\d+)$/.exec(pathname)?.[1] ?? '';
}

/** Reads a whole request or response body. */
export function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Headers of an upstream response to copy to the client, less the hop-by-hop ones. */
function forwardedHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const copy: http.OutgoingHttpHeaders = { ...headers };
  delete copy.connection;
  delete copy['keep-alive'];
  delete copy['transfer-encoding'];
  return copy;
}

/** A fault-injecting proxy in front of a v1 cache server. Create it with `startFaultProxy`. */
export class FaultProxy {
  /** Every request so far, in arrival order. */
  readonly requests: ProxyRequest[] = [];
  /** Base URL for ACTIONS_CACHE_URL, for example `http://127.0.0.1:41234/`. */
  readonly url: string;

  private fault: Fault | undefined;
  /** Cache keys by artifact id (from lookups) and by cache id (from reserves). */
  private readonly artifactKeys = new Map<string, string>();
  private readonly reservedKeys = new Map<string, string>();
  private readonly stalled = new Set<http.ServerResponse>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/`;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  /** Sets the fault for the requests from now on; undefined forwards every request as it is. */
  setFault(fault: Fault | undefined): void {
    this.fault = fault;
  }

  /** Returns the recorded requests of one route. */
  requestsOf(route: CacheRoute): ProxyRequest[] {
    return this.requests.filter((request) => request.route === route);
  }

  /** Returns the recorded requests that got a fault. */
  faultedRequests(): ProxyRequest[] {
    return this.requests.filter((request) => request.fault !== '');
  }

  /** Formats the recorded requests one per line, for test failure messages and logs. */
  formatLog(): string {
    return this.requests
      .map((request) => {
        const seconds = request.endedAt
          ? `${((request.endedAt - request.startedAt) / 1000).toFixed(1)} s`
          : 'open';
        const fault = request.fault ? ` fault=${request.fault}` : '';
        return (
          `${new Date(request.startedAt).toISOString()} ${request.method} ${request.route} ` +
          `key=${request.cacheKey || '-'} status=${request.status} bytes=${request.bytesSent} ` +
          `${seconds}${fault}`
        );
      })
      .join('\n');
  }

  /** Ends every stalled request by destroying its connection, which the client sees as a reset. */
  endStalls(): void {
    for (const response of this.stalled) response.destroy();
    this.stalled.clear();
  }

  /** Ends the stalls, destroys every open connection and stops listening. */
  async close(): Promise<void> {
    this.endStalls();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private matchingFault(route: CacheRoute, cacheKey: string): Fault | undefined {
    const fault = this.fault;
    if (!fault) return undefined;
    if (fault.cacheKey !== undefined && !cacheKey.includes(fault.cacheKey)) return undefined;
    if (fault.kind === 'status-500' || fault.kind === 'stall') {
      return fault.route === route ? fault : undefined;
    }
    return route === 'download' ? fault : undefined;
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const method = request.method ?? 'GET';
    const requestUrl = new URL(request.url ?? '/', this.url);
    const route = classifyRequest(method, requestUrl.pathname);
    const record: ProxyRequest = {
      method,
      route,
      path: `${requestUrl.pathname}${requestUrl.search}`,
      cacheKey: this.findCacheKey(route, requestUrl),
      fault: '',
      status: 0,
      bytesSent: 0,
      startedAt: Date.now(),
      endedAt: 0,
    };
    this.requests.push(record);
    response.on('close', () => {
      record.endedAt = Date.now();
      this.stalled.delete(response);
    });

    // A reserve names its key only in the body, so the body is read before a fault is chosen.
    const requestBody = route === 'reserve' ? await readBody(request) : undefined;
    if (route === 'reserve') {
      const key = parseJson(requestBody ?? Buffer.alloc(0))?.key;
      record.cacheKey = typeof key === 'string' ? key : '';
    }

    const fault = this.matchingFault(route, record.cacheKey);
    if (fault?.kind === 'status-500') {
      record.fault = `status-500 on ${route}${fault.early ? ' before the body was read' : ''}`;
      if (fault.early) request.resume();
      else if (!requestBody) await readBody(request);
      this.sendJson(response, record, 500, { message: `fault proxy: injected 500 on ${route}` });
      return;
    }
    if (fault?.kind === 'stall') {
      // The request body is still read, so an upload cannot block on a full socket buffer.
      record.fault = `stall on ${route}`;
      request.resume();
      this.stalled.add(response);
      return;
    }

    const upstreamResponse = await this.forward(request, requestBody);
    if (route === 'lookup' && upstreamResponse.statusCode === 200) {
      await this.relayLookup(upstreamResponse, response, record);
      return;
    }
    if (route === 'reserve') {
      await this.relayReserve(upstreamResponse, response, record);
      return;
    }
    if (route === 'download' && fault && upstreamResponse.statusCode === 200) {
      await this.relayFaultyDownload(upstreamResponse, response, record, fault);
      return;
    }
    record.status = upstreamResponse.statusCode ?? 0;
    response.writeHead(record.status, forwardedHeaders(upstreamResponse.headers));
    upstreamResponse.on('data', (chunk: Buffer) => {
      record.bytesSent += chunk.length;
    });
    upstreamResponse.pipe(response);
  }

  private findCacheKey(route: CacheRoute, requestUrl: URL): string {
    if (route === 'lookup') return requestUrl.searchParams.get('keys') ?? '';
    const id = trailingId(requestUrl.pathname);
    if (route === 'download') return this.artifactKeys.get(id) ?? '';
    if (route === 'upload' || route === 'commit') return this.reservedKeys.get(id) ?? '';
    return '';
  }

  /** Sends the request to the cache server, with the server's path prefix in front. */
  private forward(
    request: http.IncomingMessage,
    body: Buffer | undefined,
  ): Promise<http.IncomingMessage> {
    const upstreamPath = `${this.upstream.pathname.replace(/\/$/, '')}${request.url ?? '/'}`;
    const headers = { ...request.headers, host: this.upstream.host };
    return new Promise((resolve, reject) => {
      const upstreamRequest = http.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: request.method,
          path: upstreamPath,
          headers,
        },
        resolve,
      );
      upstreamRequest.on('error', reject);
      if (body) upstreamRequest.end(body);
      else request.pipe(upstreamRequest);
    });
  }

  /** Rewrites archiveLocation to point at the proxy, and notes the artifact's key. */
  private async relayLookup(
    upstreamResponse: http.IncomingMessage,
    response: http.ServerResponse,
    record: ProxyRequest,
  ): Promise<void> {
    const entry = parseJson(await readBody(upstreamResponse)) ?? {};
    const location = typeof entry.archiveLocation === 'string' ? entry.archiveLocation : '';
    if (location) {
      const archiveUrl = new URL(location);
      const upstreamPrefix = this.upstream.pathname.replace(/\/$/, '');
      const proxyPath = archiveUrl.pathname.startsWith(upstreamPrefix)
        ? archiveUrl.pathname.slice(upstreamPrefix.length)
        : archiveUrl.pathname;
      entry.archiveLocation = new URL(proxyPath, this.url).toString();
      if (typeof entry.cacheKey === 'string') {
        this.artifactKeys.set(trailingId(proxyPath), entry.cacheKey);
      }
    }
    this.sendJson(response, record, 200, entry);
  }

  /** Relays a reserve and notes which key the returned cache id belongs to. */
  private async relayReserve(
    upstreamResponse: http.IncomingMessage,
    response: http.ServerResponse,
    record: ProxyRequest,
  ): Promise<void> {
    const body = await readBody(upstreamResponse);
    const cacheId = parseJson(body)?.cacheId;
    if (cacheId !== undefined) this.reservedKeys.set(String(cacheId), record.cacheKey);
    record.status = upstreamResponse.statusCode ?? 0;
    record.bytesSent = body.length;
    response.writeHead(record.status, forwardedHeaders(upstreamResponse.headers));
    response.end(body);
  }

  private async relayFaultyDownload(
    upstreamResponse: http.IncomingMessage,
    response: http.ServerResponse,
    record: ProxyRequest,
    fault: DownloadFault,
  ): Promise<void> {
    const archive = await readBody(upstreamResponse);
    const headers = forwardedHeaders(upstreamResponse.headers);
    const bytes = keptBytes(fault.keep, archive.length);
    record.status = 200;
    if (fault.kind === 'disconnect') {
      record.fault = `disconnect after ${bytes} of ${archive.length} bytes`;
      response.writeHead(200, { ...headers, 'content-length': archive.length });
      record.bytesSent = bytes;
      // The callback runs once the bytes are handed to the socket, so they reach the client
      // before the connection is destroyed.
      response.write(archive.subarray(0, bytes), () => response.destroy());
      return;
    }
    let body: Buffer;
    if (fault.kind === 'truncated') {
      body = archive.subarray(0, bytes);
      record.fault = `truncated to ${bytes} of ${archive.length} bytes`;
    } else {
      body = Buffer.concat([
        archive.subarray(0, bytes),
        crypto.randomBytes(archive.length - bytes),
      ]);
      record.fault = `corrupt after ${bytes} of ${archive.length} bytes`;
    }
    record.bytesSent = body.length;
    response.writeHead(200, { ...headers, 'content-length': body.length });
    response.end(body);
  }

  private sendJson(
    response: http.ServerResponse,
    record: ProxyRequest,
    status: number,
    value: unknown,
  ): void {
    const body = Buffer.from(JSON.stringify(value));
    record.status = status;
    record.bytesSent = body.length;
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.length,
    });
    response.end(body);
  }
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) in front of the cache server at `upstreamUrl`, the
 * ACTIONS_CACHE_URL the server printed. Only a loopback upstream is accepted.
 */
export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  if (upstream.protocol !== 'http:' || upstream.hostname !== '127.0.0.1') {
    throw new Error(
      `Invalid cache server URL ${upstreamUrl}: the fault proxy forwards only to http://127.0.0.1.`,
    );
  }
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return new FaultProxy(server, upstream);
}
