import { randomUUID } from 'node:crypto';

import { ArmError } from '../arm/errors';
import type { RequestInfo } from '../arm/request';
import type { Middleware } from '../http/pipeline';

/**
 * Calls the route's handler and answers what it returns, or the ArmError it throws (any other
 * error goes up to the server: a 500 that is not logged).
 */
export function dispatch(): Middleware {
  return (ctx) => {
    const match = ctx.match;
    if (!match) throw new Error('dispatch: no route (rejectUnknownRoute runs first)');
    const req: RequestInfo = {
      principal: ctx.principal ?? '',
      method: ctx.method,
      url: ctx.url.toString(),
      baseUrl: ctx.baseUrl,
      apiVersion: ctx.apiVersion,
      clientRequestId: ctx.header('x-ms-client-request-id') ?? randomUUID(),
      correlationId: ctx.correlationId,
      clientIp: ctx.req.socket.remoteAddress ?? '127.0.0.1',
      ifMatch: ctx.header('if-match'),
      ifNoneMatch: ctx.header('if-none-match'),
      lroFailure: ctx.lroFailure,
    };
    try {
      ctx.logFacts = match.route.logFacts?.(match.params);
      const query = ctx.url.searchParams;
      const result = match.route.handle({ params: match.params, req, body: ctx.body, query });
      const code = req.lroFailureScheduled ? req.lroFailure?.code : undefined;
      ctx.answer(result.status, result.body, result.headers, code);
    } catch (error) {
      if (error instanceof ArmError) ctx.fail(error);
      else throw error;
    }
  };
}
