/** Reading request bodies and writing responses on node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Largest request body the Functions host accepts, as Azure's: 104,857,600 bytes (100 MB,
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger#limits),
 * or the app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT. A route that needs less refuses more
 * itself (shared/http/route.ts), the same way under either host.
 */
export const HOST_MAX_BODY_BYTES = 104_857_600;

/** Event Grid delivers at most 1 MB a batch: anything larger is no delivery of its own. */
export const EVENT_GRID_MAX_BODY_BYTES = 1024 * 1024;

/** The host's limit for an app's settings: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, else Azure's default. */
export function hostBodyLimit(setting: string | undefined): number {
  const bytes = Number(setting);
  return setting !== undefined && Number.isSafeInteger(bytes) && bytes > 0
    ? bytes
    : HOST_MAX_BODY_BYTES;
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The whole request body; rejects with BodyTooLargeError past `limit`. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** A response the host's own endpoints produce. */
export interface HostResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
}

export function json(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): HostResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

/** Azure's error body shape for host-level errors. */
export function errorResponse(status: number, code: string, message: string): HostResponse {
  return json(status, { error: { code, message } });
}

export function send(res: ServerResponse, response: HostResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  res.end(response.body ?? '');
}

/** Parses JSON text; undefined for an empty body, a SyntaxError for bad JSON. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  return JSON.parse(text) as unknown;
}
