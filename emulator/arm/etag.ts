import { preconditionFailed, staleEtag } from './errors';
import type { RequestInfo } from './request';

/**
 * Optimistic concurrency on a write to an existing resource: `If-None-Match: *` refuses it,
 * an `If-Match` etag other than the current one is stale (412 PreconditionFailed).
 */
export function checkEtag(current: string, req: RequestInfo, id: string): void {
  if (req.ifNoneMatch === '*') {
    throw preconditionFailed(`The resource ${id} already exists and If-None-Match is '*'.`);
  }
  if (req.ifMatch === undefined || req.ifMatch === '*') return;
  if (normEtag(req.ifMatch) !== normEtag(current)) throw staleEtag(req.ifMatch, current, id);
}

function normEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * The preconditions of a PUT: checked against the resource it replaces, if any; an If-Match
 * on a resource that does not exist fails (412, saying `absent`).
 */
export function checkPreconditions(
  req: RequestInfo,
  current: { etag: string; id: string } | undefined,
  absent: () => string,
): void {
  if (current) checkEtag(current.etag, req, current.id);
  else if (req.ifMatch !== undefined) throw preconditionFailed(absent());
}
