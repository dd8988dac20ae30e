import { authenticationFailed } from '../arm/errors';
import { isObject } from '../arm/json';
import type { Middleware } from '../http/pipeline';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Every ARM request needs `Authorization: Bearer <token>` (401 AuthenticationFailed otherwise);
 * the token names the caller. The distinct tokens seen are kept in `tokens` (up to 1,000), for
 * tests that look for leaks.
 */
export function authenticate(tokens: Set<string>): Middleware {
  return (ctx) => {
    const authorization = ctx.header('authorization');
    ctx.principal = principalOf(authorization);
    const bearer = BEARER.exec(authorization ?? '')?.[1];
    if (bearer && tokens.size < 1000) tokens.add(bearer);
    if (ctx.principal === undefined) ctx.fail(authenticationFailed());
  };
}

/**
 * The caller's principal id: the bearer token's text, or, when the token is a JWT, its
 * `oid` (or `appid`) claim.
 */
export function principalOf(authorization: string | undefined): string | undefined {
  const token = BEARER.exec(authorization ?? '')?.[1];
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length === 3 && parts[1]) {
    try {
      const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      if (isObject(claims)) {
        const id = claims.oid ?? claims.appid ?? claims.sub;
        if (typeof id === 'string' && id.length > 0) return id;
      }
    } catch {
      // Not a JWT: the text itself names the principal.
    }
  }
  return token;
}
