import { randomUUID } from 'node:crypto';

import type { Middleware } from '../http/pipeline';

/**
 * The headers ARM puts on every answer: the request's ids (the caller's correlation id, or a
 * new one) and no caching.
 */
export function requestIds(): Middleware {
  return (ctx) => {
    const requestId = randomUUID();
    ctx.correlationId = ctx.header('x-ms-correlation-request-id') ?? randomUUID();
    ctx.answerHeaders = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': ctx.correlationId,
      'x-ms-routing-request-id': `WESTUS2:${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z:${requestId}`,
      'Cache-Control': 'no-cache',
      Pragma: 'no-cache',
      Expires: '-1',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    };
  };
}
