/**
 * `-s/--subscription`: an id or a name, as in the Azure CLI; AZURE_SUBSCRIPTION_ID when not
 * given. A name is resolved through ARM's subscription list (GET /subscriptions), so only
 * when the CLI talks to ARM itself; a service takes ids.
 */
import https from 'node:https';

import type { TokenCredential } from '@azure/core-auth';
import { InvalidArgumentError } from 'commander';

import { AccelnetError } from '../shared/platform/errors';
import { armFailure } from './errors';
import { PUBLIC_ARM } from './target';
import { UsageError } from './usage';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isSubscriptionId(value: string): boolean {
  return GUID.test(value);
}

/** `--subscription`: an id (lower-cased) or a display name (1-64 printable characters). */
export function parseSubscription(value: string): string {
  const trimmed = value.trim();
  if (isSubscriptionId(trimmed)) return trimmed.toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (trimmed === '' || trimmed.length > 64 || /[\u0000-\u001f\u007f/\\]/.test(trimmed))
    throw new InvalidArgumentError(
      'must be a subscription id (a GUID) or a subscription name (up to 64 characters).',
    );
  return trimmed;
}

/** The subscription of a command: the flag, else AZURE_SUBSCRIPTION_ID; missing: exit 2. */
export function subscriptionArg(flag: string | undefined, fromEnv: string | undefined): string {
  if (flag !== undefined) return flag;
  if (fromEnv === undefined)
    throw new UsageError(
      '--subscription: give the subscription id or name with -s/--subscription (or set AZURE_SUBSCRIPTION_ID); `az account show --query id -o tsv` prints yours.',
    );
  try {
    return parseSubscription(fromEnv);
  } catch (error) {
    throw new UsageError(
      `AZURE_SUBSCRIPTION_ID: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A service takes subscription ids only: a name is refused before anything is sent. */
export function requireSubscriptionId(value: string, where: string): string {
  if (isSubscriptionId(value)) return value;
  throw new UsageError(
    `--subscription: '${value}' is a name, and ${where} takes subscription ids; give the id (\`az account show -s '${value}' --query id -o tsv\` prints it).`,
  );
}

interface SubscriptionEntry {
  subscriptionId?: unknown;
  displayName?: unknown;
}

export interface ArmAccess {
  endpoint: string;
  credential: TokenCredential;
  caPem?: string | undefined;
}

/** The id of a subscription given by id or by name (resolved through ARM's list). */
export async function resolveSubscription(value: string, arm: ArmAccess): Promise<string> {
  if (isSubscriptionId(value)) return value;
  let all: { subscriptionId: string; displayName: string }[];
  try {
    all = await listSubscriptions(arm);
  } catch (error) {
    if (error instanceof AccelnetError && error.code === 'ArmUnreachable') throw error;
    throw new AccelnetError(
      'SubscriptionNameUnresolved',
      `--subscription: '${value}' is a name, and resolving it needs ARM's subscription list (GET /subscriptions), which failed: ${error instanceof Error ? error.message : String(error)} Give the subscription id.`,
    );
  }
  const matches = all.filter((s) => s.displayName.toLowerCase() === value.toLowerCase());
  const [match, ...others] = matches;
  if (match && others.length === 0) return match.subscriptionId;
  if (match)
    throw new AccelnetError(
      'SubscriptionNameAmbiguous',
      `--subscription: ${matches.length} subscriptions are named '${value}' at ARM ${arm.endpoint} (${matches.map((s) => s.subscriptionId).join(', ')}): give the id.`,
    );
  throw new AccelnetError(
    'SubscriptionNotFound',
    `--subscription: no subscription named '${value}' is visible at ARM ${arm.endpoint} (${all.length === 0 ? 'it lists none' : `it lists ${all.map((s) => `'${s.displayName}'`).join(', ')}`}): check the name with \`az account list -o table\`, or give the id.`,
    { status: 404 },
  );
}

/** GET /subscriptions, every page. */
export async function listSubscriptions(
  arm: ArmAccess,
): Promise<{ subscriptionId: string; displayName: string }[]> {
  const scope = `${arm.endpoint === PUBLIC_ARM ? PUBLIC_ARM : arm.endpoint}/.default`;
  let token: string;
  try {
    const access = await arm.credential.getToken(scope);
    if (!access) throw new Error('no token');
    token = access.token;
  } catch (error) {
    throw armFailure(error, arm.endpoint);
  }
  const out: { subscriptionId: string; displayName: string }[] = [];
  let next: string | undefined = `${arm.endpoint}/subscriptions?api-version=2022-12-01`;
  for (let page = 0; next !== undefined && page < 100; page += 1) {
    const body = await getJson(next, token, arm.caPem);
    const { value, nextLink } = body as { value?: SubscriptionEntry[]; nextLink?: unknown };
    for (const s of value ?? [])
      if (typeof s.subscriptionId === 'string' && typeof s.displayName === 'string')
        out.push({ subscriptionId: s.subscriptionId.toLowerCase(), displayName: s.displayName });
    next = typeof nextLink === 'string' && nextLink !== '' ? nextLink : undefined;
  }
  return out;
}

function getJson(url: string, token: string, ca: string | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        ...(ca !== undefined ? { ca } : {}),
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status === 200 && json !== undefined) return resolve(json);
          const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)
            ?.error;
          reject(
            armFailure(
              Object.assign(
                new Error(
                  typeof error?.message === 'string'
                    ? error.message
                    : `GET /subscriptions answered ${status}`,
                ),
                {
                  statusCode: status,
                  code: typeof error?.code === 'string' ? error.code : `Http${status}`,
                },
              ),
              new URL(url).origin,
            ),
          );
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (error) => reject(armFailure(error, new URL(url).origin)));
  });
}
