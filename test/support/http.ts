/**
 * Plain HTTP for the tests: calls to a local host (without keep-alive: hosts restart under
 * tests), and the pieces of the small servers tests stand up (webhooks, proxies).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

import { pollFor } from './poll';

/** An answer: its status, its body as text and, when the text is JSON, parsed. */
export interface Answer {
  status: number;
  body: string;
  json: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface CallOptions {
  /** The function key, sent as `?code=`. */
  key?: string;
  /** A body, sent as JSON. */
  body?: unknown;
  /** A body, sent as it is (instead of `body`). */
  raw?: string | Buffer;
  /** Headers, over `content-type: application/json` (sent when there is a body). */
  headers?: Record<string, string>;
  /** Send the body's `content-length` (else Node sends the body chunked). */
  length?: boolean;
}

/** A call to `route` of the host at `base`. */
export function call(
  base: string,
  method: string,
  route: string,
  options: CallOptions = {},
): Promise<Answer> {
  const url = new URL(route, base);
  if (options.key !== undefined) url.searchParams.set('code', options.key);
  const payload =
    options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(payload !== undefined && options.length
            ? { 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        void readAll(res).then((raw) => {
          const text = raw.toString('utf8');
          let json: unknown;
          try {
            json = text ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json, headers: res.headers });
        }, reject);
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A host of the app: where it serves, and its function key. */
export interface HostTarget {
  url: string;
  key: string;
}

/** A call to the host, with its function key. */
export function api(
  host: HostTarget,
  method: string,
  route: string,
  options: Omit<CallOptions, 'key'> = {},
): Promise<Answer> {
  return call(host.url, method, route, { key: host.key, ...options });
}

/** A plain HTTP request to a URL (its body sent as JSON). */
export function request(
  url: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return call(url, method, url, { body, headers });
}

/** A request a test's server got, its body read whole. */
export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Reads a request a test's server got. */
export async function receive(req: http.IncomingMessage): Promise<Received> {
  const body = (await readAll(req)).toString('utf8');
  return { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
}

/** All of a request's or a response's body. */
export function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Starts a server on a free loopback port; answers its base URL (`http://127.0.0.1:<port>`). */
export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops a server, closing the connections still open to it. */
export function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * A webhook that keeps the JSON body of every POST and answers 202: what the service posts to
 * (the approval Logic App's HTTP trigger), as the tests see it.
 */
export class JsonReceiver<T> {
  readonly posts: T[] = [];
  private readonly server = http.createServer((req, res) => {
    void readAll(req).then((raw) => {
      this.posts.push(JSON.parse(raw.toString('utf8')) as T);
      res.writeHead(202).end();
    });
  });
  url = '';

  /** Listens, at `path` of a free loopback port. */
  async start(path = '/'): Promise<this> {
    this.url = `${await listen(this.server)}${path}`;
    return this;
  }

  /** The first post `match` holds of, once it has come. */
  next(match: (post: T) => boolean, timeoutMs = 20_000): Promise<T> {
    return pollFor(`a post to ${this.url}`, () => Promise.resolve(this.posts.find(match)), {
      timeoutMs,
      intervalMs: 25,
    });
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}
