/**
 * The service's operator approvals: GET /api/approvals (what waits for a decision) and
 * POST /api/approvals/{instanceId} (a decision, single use).
 */
import { userInfo } from 'node:os';

import { loadCliSettings } from '../shared/platform/config';
import { AccelnetError } from '../shared/platform/errors';
import type { ServiceClient } from './service';

export interface Pending {
  instanceId: string;
  runId?: string;
  vmId?: string;
  vmName?: string;
  expiresAt?: string;
}

export interface Decided {
  instanceId: string;
  runId?: string;
  vmName?: string;
  /** What the service recorded: approved, rejected; or why it took nothing. */
  decision: string;
  decidedAt?: string;
}

/** Who acts, as the service records it: accelnet-cli:<os user>. */
export function cliUser(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = loadCliSettings().user;
  }
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 100);
  return clean === '' ? 'accelnet-cli' : `accelnet-cli:${clean}`;
}

export async function listPending(client: ServiceClient): Promise<Pending[]> {
  const body = (await client.call('GET', '/api/approvals')) as { pending?: unknown };
  if (!Array.isArray(body.pending))
    throw new AccelnetError(
      'ServiceAnswerInvalid',
      `the accelnet service at ${client.url} answered GET /api/approvals without a pending list: is it an accelnet service of this version?`,
    );
  return (body.pending as Partial<Pending>[]).filter(
    (p): p is Pending => typeof p.instanceId === 'string',
  );
}

/** The requests of a run (or the one instance) that wait for a decision. */
export function pendingOf(all: Pending[], id: string): Pending[] {
  return all.filter((p) => p.instanceId === id || p.runId === id);
}

/** The pending requests of a run, once the run has recorded them (it may take a moment). */
export async function waitForPending(client: ServiceClient, runId: string): Promise<Pending[]> {
  for (let attempt = 0; ; attempt += 1) {
    const waiting = pendingOf(await listPending(client), runId);
    if (waiting.length > 0 || attempt >= 50) return waiting;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Decides one request; a request decided or expired meanwhile says so instead of failing. */
export async function decide(
  client: ServiceClient,
  request: Pending,
  approve: boolean,
): Promise<Decided> {
  const route = `/api/approvals/${encodeURIComponent(request.instanceId)}`;
  try {
    const answer = (await client.call('POST', route, {
      decision: approve ? 'approve' : 'reject',
      by: cliUser(),
    })) as Partial<Decided>;
    return {
      instanceId: request.instanceId,
      ...(request.runId !== undefined ? { runId: request.runId } : {}),
      ...(request.vmName !== undefined ? { vmName: request.vmName } : {}),
      decision:
        typeof answer.decision === 'string' ? answer.decision : approve ? 'approved' : 'rejected',
      ...(typeof answer.decidedAt === 'string' ? { decidedAt: answer.decidedAt } : {}),
    };
  } catch (error) {
    if (error instanceof AccelnetError && [404, 409, 410].includes(error.status ?? 0))
      return {
        instanceId: request.instanceId,
        ...(request.runId !== undefined ? { runId: request.runId } : {}),
        ...(request.vmName !== undefined ? { vmName: request.vmName } : {}),
        decision:
          error.status === 409
            ? 'already-decided'
            : error.status === 410
              ? 'expired'
              : 'no-longer-waiting',
      };
    throw error;
  }
}
