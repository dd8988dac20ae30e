import { createHmac, timingSafeEqual } from 'node:crypto';

import type { ApprovalRecord, Verdict } from '../domain/approvals';
import { AccelnetError } from '../platform/errors';
import { alreadyDecided, expired, refused } from '../stores/approvals';

/**
 * The approve and reject links of an approval request: each carries a token signed with
 * ACCELNET_APPROVAL_SECRET, bound to the orchestration instance, the decision and this round of
 * asking (a nonce), with an expiry. Tokens are never stored; the token is the credential.
 */
export interface TokenClaims {
  /** The orchestration instance waiting for the decision. */
  instanceId: string;
  decision: Verdict;
  /** Milliseconds since the epoch after which the token is refused. */
  expiresAt: number;
  /** This round of asking: a token of an earlier round of the same instance is refused. */
  nonce: string;
}

const VERSION = 'v1';

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(`${VERSION}.${body}`).digest();
}

/** `v1.<claims>.<HMAC-SHA256>`, both parts base64url. */
export function signToken(secret: string, claims: TokenClaims): string {
  if (secret.length < 32)
    throw new AccelnetError(
      'ApprovalNotConfigured',
      'ACCELNET_APPROVAL_SECRET is not set (or shorter than 32 characters), so approval links cannot be signed.',
    );
  const body = Buffer.from(
    JSON.stringify({
      i: claims.instanceId,
      d: claims.decision,
      e: claims.expiresAt,
      n: claims.nonce,
    }),
  ).toString('base64url');
  return `${VERSION}.${body}.${mac(secret, body).toString('base64url')}`;
}

/**
 * Checks a token's signature, that it was made for this instance and this decision, and that it
 * has not expired. Every failure is a 403 with a code that says which check failed.
 */
export function verifyToken(
  secret: string,
  token: string,
  expected: { instanceId: string; decision: Verdict },
  now: number,
): TokenClaims {
  const claims = readToken(secret, token, expected);
  if (now >= claims.expiresAt)
    throw refused('ApprovalTokenExpired', 'The approval link has expired.');
  return claims;
}

/**
 * Checks a token's signature and that it was made for this instance and this decision, not its
 * expiry: a genuine link used late is answered by the approvals table (410, or 409 when it was
 * decided), a forged or altered one is a 403 ApprovalTokenInvalid.
 */
export function readToken(
  secret: string,
  token: string,
  expected: { instanceId: string; decision: Verdict },
): TokenClaims {
  const invalid = refused('ApprovalTokenInvalid', 'The approval link is not valid.');
  if (secret.length < 32) throw invalid;
  const [version, body, signature, ...rest] = token.split('.');
  if (version !== VERSION || !body || !signature || rest.length > 0) throw invalid;
  const given = Buffer.from(signature, 'base64url');
  const wanted = mac(secret, body);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw invalid;
  let claims: TokenClaims;
  try {
    const raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (
      typeof raw.i !== 'string' ||
      (raw.d !== 'approve' && raw.d !== 'reject') ||
      typeof raw.e !== 'number' ||
      typeof raw.n !== 'string'
    )
      throw invalid;
    claims = { instanceId: raw.i, decision: raw.d, expiresAt: raw.e, nonce: raw.n };
  } catch {
    throw invalid;
  }
  if (claims.instanceId !== expected.instanceId || claims.decision !== expected.decision)
    throw invalid;
  return claims;
}

/** The approve and reject links of one request. */
export function approvalUrls(
  deps: { secret: string; publicUrl: string },
  claims: Omit<TokenClaims, 'decision'>,
): { approveUrl: string; rejectUrl: string } {
  const link = (decision: Verdict): string =>
    `${deps.publicUrl}/api/approvals/${encodeURIComponent(claims.instanceId)}/${decision}?token=${signToken(deps.secret, { ...claims, decision })}`;
  return { approveUrl: link('approve'), rejectUrl: link('reject') };
}

/** The refusal of a link that is not valid (forged, altered, of another round): 403. */
export const invalidLink = (): AccelnetError =>
  refused('ApprovalTokenInvalid', 'The approval link is not valid.');

/**
 * What a decision by a link of round `nonce` would get now, read without writing anything
 * (the GET of a link): undefined when it would be taken; else the refusal the POST would get,
 * by the approvals table's rules: 403 for no such round, 409 once decided, 410 once expired
 * or when the run no longer waits (the POST closes such a request first, then answers 410).
 */
export function linkRefusal(
  record: ApprovalRecord | undefined,
  nonce: string | undefined,
  now: Date,
  runWaits: boolean,
): AccelnetError | undefined {
  if (!record || (nonce !== undefined && record.nonce !== nonce)) return invalidLink();
  if (record.status === 'approved' || record.status === 'rejected')
    return alreadyDecided(record.status);
  if (record.status === 'expired' || now.getTime() >= Date.parse(record.expiresAt) || !runWaits)
    return expired();
  return undefined;
}
