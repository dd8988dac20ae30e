import type { HttpResponseInit } from '@azure/functions';

/** The error body of every /api route: {"error":{"code","message"}}. */
export function errorResponse(status: number, code: string, message: string): HttpResponseInit {
  return { status, jsonBody: { error: { code, message } } };
}
