import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/** The error body of every /api route: {"error":{"code","message"}}. */
export function errorResponse(status: number, code: string, message: string): HttpResponseInit {
  return { status, jsonBody: { error: { code, message } } };
}

/**
 * Largest request body a route of this app reads unless it says otherwise. A Functions host
 * accepts up to 100 MB (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT), in Azure as under the local host,
 * so each route refuses more than it can need itself, by the declared content-length and by
 * the bytes it reads: the same code, hence the same limit, wherever the app runs.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyText = { ok: true; text: string } | { ok: false; response: HttpResponseInit };

/**
 * The request body as text, or a 413 response once it is over `limit` bytes; `why` tells the
 * caller what the limit is made of.
 */
export async function readBodyText(
  request: HttpRequest,
  limit = MAX_BODY_BYTES,
  why?: string,
): Promise<BodyText> {
  const tooLarge: BodyText = {
    ok: false,
    response: errorResponse(
      413,
      'PayloadTooLarge',
      `The body is larger than ${limit} bytes${why !== undefined ? `, ${why}` : ''}.`,
    ),
  };
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return tooLarge;
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = (request.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        return tooLarge;
      }
      chunks.push(value);
    }
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; response: HttpResponseInit };

/** A request body as read: a JSON value, a form's fields, or nothing at all. */
export type ReadBody =
  | { ok: true; kind: 'json'; value: unknown }
  | { ok: true; kind: 'form'; value: Record<string, string> }
  | { ok: true; kind: 'empty'; value: undefined }
  | { ok: false; response: HttpResponseInit };

/** The media type of a request (`application/json`), lower case, without its parameters. */
export function mediaType(request: HttpRequest): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

const FORM = 'application/x-www-form-urlencoded';
const isJsonType = (type: string): boolean => type === 'application/json' || type.endsWith('+json');

/**
 * Reads a body the way every route of this app reads it, whatever the client declared:
 * - JSON with its content type (`application/json`, `…+json`) is JSON, and must parse;
 * - JSON sent without it is JSON too: `curl -d '{…}'` declares application/x-www-form-urlencoded,
 *   and a body that starts with `{` or `[` is never a form a browser sends (its field names
 *   are percent-encoded), so it is read as the JSON it is;
 * - a form (`a=b&c=d`) is a form, when the route takes forms (the dashboard's buttons);
 * - anything else must parse as JSON, and the 400 says what was sent and what is expected.
 */
export async function readBody(
  request: HttpRequest,
  options: { limit?: number; why?: string; forms?: boolean } = {},
): Promise<ReadBody> {
  const text = await readBodyText(request, options.limit ?? MAX_BODY_BYTES, options.why);
  if (!text.ok) return text;
  const body = text.text.trim();
  if (body === '') return { ok: true, kind: 'empty', value: undefined };
  const type = mediaType(request);
  const looksJson = body.startsWith('{') || body.startsWith('[') || body.startsWith('"');
  if (type === FORM && !looksJson) {
    if (options.forms === true)
      return { ok: true, kind: 'form', value: Object.fromEntries(new URLSearchParams(body)) };
    return {
      ok: false,
      response: errorResponse(
        400,
        'InvalidJson',
        `The body is a form (${FORM}); this route takes a JSON object: send it with content type application/json.`,
      ),
    };
  }
  try {
    return { ok: true, kind: 'json', value: JSON.parse(body) as unknown };
  } catch (error) {
    const sent =
      type === ''
        ? 'with no content type'
        : isJsonType(type)
          ? `as ${type}`
          : `as ${type}, so it was read as JSON`;
    const why = error instanceof SyntaxError ? `: ${error.message}` : '';
    return {
      ok: false,
      response: errorResponse(
        400,
        'InvalidJson',
        `The body is not valid JSON (it was sent ${sent})${why}. Send a JSON object, with content type application/json.`,
      ),
    };
  }
}

/**
 * An optional JSON body: `undefined` when there is none. JSON is read whatever the declared
 * content type (`curl -d` sends application/x-www-form-urlencoded); a body that is not JSON
 * gets 400 with a message that says what was sent and what is expected.
 */
export async function readOptionalJson(
  request: HttpRequest,
  limit = MAX_BODY_BYTES,
): Promise<JsonBody> {
  const body = await readBody(request, { limit });
  if (!body.ok) return body;
  return { ok: true, value: body.value };
}

/**
 * Whether the caller is a browser that wants a page: an HTML form post, or an Accept header
 * that names text/html before any JSON type. Scripts, the CLI and the Logic App get JSON.
 */
export function wantsHtml(request: HttpRequest): boolean {
  if (request.method.toUpperCase() === 'POST' && mediaType(request) === FORM) return true;
  const accept = (request.headers.get('accept') ?? '').toLowerCase();
  const html = accept.indexOf('text/html');
  if (html < 0) return false;
  const json = accept.search(/application\/(?:[\w.+-]*\+)?json/);
  return json < 0 || html < json;
}

/** Headers of every HTML page this app serves: nothing but the page, never cached or framed. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // Nothing but the page itself: inline CSS, no scripts, no external resources.
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // A page reached through a link with a token in it sends that URL nowhere.
  'referrer-policy': 'no-referrer',
};

/** An HTML page as a response. */
export function pageResponse(status: number, html: string): HttpResponseInit {
  return { status, headers: { ...PAGE_HEADERS }, body: html };
}
