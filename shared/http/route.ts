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

/**
 * An optional JSON body: `undefined` when there is none. JSON is read whatever the declared
 * content type (`curl -d` sends application/x-www-form-urlencoded); a body that is not JSON
 * gets 400 with a message that says what was sent and what is expected.
 */
export async function readOptionalJson(
  request: HttpRequest,
  limit = MAX_BODY_BYTES,
): Promise<JsonBody> {
  const text = await readBodyText(request, limit);
  if (!text.ok) return text;
  if (text.text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text.text) as unknown };
  } catch {
    const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const sent = type === '' ? 'with no content type' : `as ${type}`;
    return {
      ok: false,
      response: errorResponse(
        400,
        'InvalidJson',
        `The body is not valid JSON (it was sent ${sent}): send a JSON object, with content type application/json.`,
      ),
    };
  }
}
