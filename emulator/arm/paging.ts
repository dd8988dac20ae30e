import type { JsonObject } from './json';
import type { ArmResult, RequestInfo } from './request';

/**
 * A list answer as ARM pages it: `pageSize` items from the `$skiptoken` of the query, and a
 * `nextLink` to the next page while there is one.
 */
export function page(
  items: unknown[],
  call: { req: RequestInfo; query: URLSearchParams },
  pageSize: number,
): ArmResult {
  const skip = Math.max(0, Number.parseInt(call.query.get('$skiptoken') ?? '0', 10) || 0);
  const value = items.slice(skip, skip + pageSize);
  const body: JsonObject = { value };
  if (skip + pageSize < items.length) {
    const next = new URL(call.req.url);
    next.searchParams.set('$skiptoken', String(skip + pageSize));
    body.nextLink = `${call.req.baseUrl}${next.pathname}${next.search}`;
  }
  return { status: 200, body };
}
