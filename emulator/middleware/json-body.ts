import { invalidRequestContent } from '../arm/errors';
import { isObject } from '../arm/json';
import type { Middleware } from '../http/pipeline';

/** A write's body must be a JSON object (400 InvalidRequestContent); GET and DELETE bodies are ignored. */
export function parseJsonBody(): Middleware {
  return (ctx) => {
    if (ctx.raw.length === 0 || ctx.method === 'GET' || ctx.method === 'DELETE') return;
    try {
      const parsed: unknown = JSON.parse(ctx.raw.toString('utf8'));
      if (!isObject(parsed)) throw new Error('the body must be a JSON object');
      ctx.body = parsed;
    } catch (error) {
      ctx.fail(invalidRequestContent(error));
    }
  };
}
