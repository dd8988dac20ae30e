import { missingApiVersion } from '../arm/errors';
import type { Middleware } from '../http/pipeline';

/** Any api-version is accepted, but one is required (400 MissingApiVersionParameter). */
export function requireApiVersion(): Middleware {
  return (ctx) => {
    const apiVersion = ctx.url.searchParams.get('api-version');
    if (!apiVersion) ctx.fail(missingApiVersion());
    else ctx.apiVersion = apiVersion;
  };
}
