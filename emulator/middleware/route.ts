import { invalidResourceType, noArmRoute, noRegisteredProvider } from '../arm/errors';
import type { Middleware } from '../http/pipeline';
import type { Router } from '../http/router';

/** Finds the route the method and path name (answering nothing yet). */
export function matchRoute(router: Router): Middleware {
  return (ctx) => {
    ctx.match = router.match(ctx.method, ctx.url.pathname);
  };
}

/** Answers a request no route serves as ARM would, by the provider namespace it names. */
export function rejectUnknownRoute(router: Router): Middleware {
  return (ctx) => {
    if (ctx.match) return;
    const path = ctx.url.pathname;
    const m = /\/providers\/([^/]+)\/([^/]+)/i.exec(path);
    const namespace = m?.[1] ?? '';
    const type = m?.[2] ?? '';
    if (!m) ctx.fail(noArmRoute(ctx.method, path));
    else if (!router.namespaces.has(namespace.toLowerCase()))
      ctx.fail(noRegisteredProvider(namespace, type, ctx.apiVersion));
    else ctx.fail(invalidResourceType(namespace, type, ctx.apiVersion, ctx.method));
  };
}
