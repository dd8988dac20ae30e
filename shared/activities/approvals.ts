import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { RestError, TableClient } from '@azure/data-tables';

import { TYPICAL_DURATIONS_MS } from '../arm/lro';
import type { PowerState } from '../domain/model';
import { AccelnetError, ensureError } from '../platform/errors';
import type {
  ApprovalVm,
  CloseApprovalInput,
  CloseApprovalOutput,
  RequestApprovalInput,
  RequestApprovalOutput,
} from './contracts';
import type { LogPort } from './index';

/**
 * Approvals: a person decides whether a remediation may take a VM down. The service posts the
 * request (with an approve and a reject link) to the approval webhook (a Logic App in Azure);
 * each link carries a token signed with ACCELNET_APPROVAL_SECRET, bound to the orchestration
 * instance, the decision and this round of asking (a nonce), with an expiry. The approvals
 * table is where a decision and the timeout meet: its row of a request changes once, under
 * optimistic concurrency, from pending to the first decision or, when the run's timer fires
 * first, to expired (closeApproval). A decision recorded is one the run acts on; every later
 * one is refused: 409 when the request was decided, 410 when it expired.
 */

export type Verdict = 'approve' | 'reject';

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

const refused = (code: string, message: string): AccelnetError =>
  new AccelnetError(code, message, { status: 403 });

/** A decision on a request that was decided already: 409. */
const alreadyDecided = (status: string): AccelnetError =>
  new AccelnetError(
    'ApprovalAlreadyDecided',
    `This approval was already decided (${status}); a decision counts once.`,
    { status: 409 },
  );

/** A decision after the request's expiry: the run does not act on it (410). */
const expired = (): AccelnetError =>
  new AccelnetError(
    'ApprovalExpired',
    'This approval request has expired: the run no longer waits for a decision (approval-timeout).',
    { status: 410 },
  );

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

/** What will happen, in the terms a person approves. */
export interface ApprovalPlan {
  action: 'remediate';
  /** How long each VM is expected to be down (0 for a VM that is not running). */
  downtimeEstimateSeconds: number;
  nics: { id: string; name: string }[];
  effects: string[];
  reasons: string[];
  /** For a request covering several VMs: each one. */
  vms?: { vmId: string; name: string; size: string; powerState: PowerState; nics: number }[];
}

const running = (state: PowerState): boolean => state === 'running' || state === 'starting';

/** Azure's typical durations: deallocate, one update per NIC, start. */
export function downtimeEstimateSeconds(vm: Pick<ApprovalVm, 'powerState' | 'decision'>): number {
  if (!running(vm.powerState)) return 0;
  const ms =
    (TYPICAL_DURATIONS_MS.deallocate ?? 0) +
    (TYPICAL_DURATIONS_MS.nicUpdate ?? 0) * Math.max(1, vm.decision.nicsToEnable.length) +
    (TYPICAL_DURATIONS_MS.start ?? 0);
  return Math.round(ms / 1000);
}

function effectsOf(vm: ApprovalVm): string[] {
  const effects: string[] = [];
  const seconds = downtimeEstimateSeconds(vm);
  if (running(vm.powerState))
    effects.push(
      `${vm.name} is stopped, deallocated and started again: about ${Math.ceil(seconds / 60)} minutes of downtime.`,
    );
  else effects.push(`${vm.name} is ${vm.powerState}: it is deallocated and left in that state.`);
  if (vm.decision.effects.tempDiskWiped)
    effects.push(`The temporary disk of ${vm.name} is wiped by the deallocation.`);
  if (vm.decision.effects.publicIpChanges)
    effects.push(`The dynamic public IP address of ${vm.name} changes.`);
  return effects;
}

const nameOf = (id: string): string => id.split('/').pop() ?? id;

/** The plan a person approves, for one VM or for several. */
export function approvalPlan(vms: ApprovalVm[]): ApprovalPlan {
  const nics = vms.flatMap((vm) =>
    vm.decision.nicsToEnable.map((id) => ({ id, name: nameOf(id) })),
  );
  const reasons = [
    ...new Set(vms.flatMap((vm) => vm.decision.reasons.map((r) => r.message))),
  ].slice(0, 20);
  const plan: ApprovalPlan = {
    action: 'remediate',
    downtimeEstimateSeconds: Math.max(0, ...vms.map(downtimeEstimateSeconds)),
    nics,
    effects: vms.length === 1 ? effectsOf(vms[0] as ApprovalVm) : summarise(vms),
    reasons,
  };
  if (vms.length > 1)
    plan.vms = vms.map((vm) => ({
      vmId: vm.vmId,
      name: vm.name,
      size: vm.size,
      powerState: vm.powerState,
      nics: vm.decision.nicsToEnable.length,
    }));
  return plan;
}

function summarise(vms: ApprovalVm[]): string[] {
  const down = vms.filter((vm) => running(vm.powerState)).length;
  const wiped = vms.filter((vm) => vm.decision.effects.tempDiskWiped).length;
  const ips = vms.filter((vm) => vm.decision.effects.publicIpChanges).length;
  const minutes = Math.ceil(Math.max(0, ...vms.map(downtimeEstimateSeconds)) / 60);
  return [
    `${vms.length} VMs: ${down} running VMs are stopped, deallocated and started again (about ${minutes} minutes each, a few at a time).`,
    ...(wiped > 0 ? [`The temporary disks of ${wiped} VMs are wiped by the deallocation.`] : []),
    ...(ips > 0 ? [`The dynamic public IP addresses of ${ips} VMs change.`] : []),
  ];
}

/** The body posted to ACCELNET_APPROVAL_WEBHOOK_URL (the Logic App's HTTP trigger). */
export interface ApprovalRequestBody {
  instanceId: string;
  vmId: string;
  vmName: string;
  size: string;
  plan: ApprovalPlan;
  approveUrl: string;
  rejectUrl: string;
  expiresAt: string;
}

/** An approval request as the approvals table keeps it. Tokens are never stored. */
export interface ApprovalRecord {
  instanceId: string;
  nonce: string;
  runId: string;
  vmId: string;
  vmName: string;
  requestedAt: string;
  expiresAt: string;
  /** pending, then exactly one of: the first decision, or expired (closed by the timeout). */
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  decidedAt?: string;
  decidedBy?: string;
  /** When the run's timer closed the request: taking the decision recorded, or expiring it. */
  closedAt?: string;
}

/** A decision as recorded, with the row's version (its etag) that the recording made. */
export interface RecordedDecision {
  record: ApprovalRecord;
  etag: string;
}

/** Where approval requests and their decisions are kept. */
export interface ApprovalStore {
  /** Records a pending request (again, for the same round, without changing a decision). */
  open(record: ApprovalRecord): Promise<void>;
  /**
   * Records a decision of a pending request, once: the first write wins. Throws 403
   * ApprovalTokenInvalid when there is no such round, 409 ApprovalAlreadyDecided when it was
   * decided, 410 ApprovalExpired when its expiry has passed or the timeout closed it.
   */
  decide(
    instanceId: string,
    nonce: string | undefined,
    verdict: Verdict,
    by: string,
    now: Date,
  ): Promise<RecordedDecision>;
  /**
   * Puts a decision that could not be delivered back to pending, unless the run has taken it
   * meanwhile (its timer closed the request on it): false then, and the decision stands.
   */
  reopen(instanceId: string, decided: RecordedDecision): Promise<boolean>;
  /**
   * The timeout's side, in one conditional write: a pending request of this round is closed as
   * expired; a decided one is kept, marked taken. Returns the request as closed (undefined when
   * there is no such round). Idempotent: closing again returns the same.
   */
  close(instanceId: string, nonce: string, now: Date): Promise<ApprovalRecord | undefined>;
  get(instanceId: string): Promise<ApprovalRecord | undefined>;
  listPending(now: Date): Promise<ApprovalRecord[]>;
}

const ROW = 'request';
const keyOf = (instanceId: string): string =>
  createHash('sha256').update(instanceId).digest('hex').slice(0, 40);

/** Conditional writes that lost a race are read again and retried, at most this many times. */
const WRITE_ATTEMPTS = 5;

function toRecord(entity: ApprovalRecord): ApprovalRecord {
  return {
    instanceId: entity.instanceId,
    nonce: entity.nonce,
    runId: entity.runId,
    vmId: entity.vmId,
    vmName: entity.vmName,
    requestedAt: entity.requestedAt,
    expiresAt: entity.expiresAt,
    status: entity.status,
    ...(entity.decidedAt !== undefined ? { decidedAt: entity.decidedAt } : {}),
    ...(entity.decidedBy !== undefined ? { decidedBy: entity.decidedBy } : {}),
    ...(entity.closedAt !== undefined ? { closedAt: entity.closedAt } : {}),
  };
}

const lostRace = (error: unknown): boolean =>
  error instanceof RestError && error.statusCode === 412;

/** The approvals table: one row per waiting instance; every change is conditional on its etag. */
export class TableApprovalStore implements ApprovalStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  static fromConnectionString(connection: string, tableName: string): TableApprovalStore {
    const local = /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(connection);
    return new TableApprovalStore(
      TableClient.fromConnectionString(connection, tableName, { allowInsecureConnection: local }),
    );
  }

  private async table_(): Promise<TableClient> {
    this.ready ??= this.table.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    return this.table;
  }

  private async read(
    instanceId: string,
  ): Promise<{ record: ApprovalRecord; etag: string } | undefined> {
    const table = await this.table_();
    try {
      const entity = await table.getEntity<ApprovalRecord>(keyOf(instanceId), ROW);
      return {
        record: toRecord(entity),
        etag: entity.etag,
      };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Replaces the row if it is still at `etag` (else RestError 412); the new etag. */
  private async replace(record: ApprovalRecord, etag: string): Promise<string> {
    const table = await this.table_();
    const written = await table.updateEntity(
      { partitionKey: keyOf(record.instanceId), rowKey: ROW, ...record },
      'Replace',
      { etag },
    );
    if (written.etag === undefined)
      throw new AccelnetError('ApprovalStoreError', 'The approvals table answered no etag.');
    return written.etag;
  }

  async open(record: ApprovalRecord): Promise<void> {
    const table = await this.table_();
    const existing = await this.read(record.instanceId);
    // A replayed request of the same round keeps its decision.
    if (existing && existing.record.nonce === record.nonce) return;
    await table.upsertEntity(
      { partitionKey: keyOf(record.instanceId), rowKey: ROW, ...record },
      'Replace',
    );
  }

  async get(instanceId: string): Promise<ApprovalRecord | undefined> {
    return (await this.read(instanceId))?.record;
  }

  async decide(
    instanceId: string,
    nonce: string | undefined,
    verdict: Verdict,
    by: string,
    now: Date,
  ): Promise<RecordedDecision> {
    for (let attempt = 1; ; attempt += 1) {
      const found = await this.read(instanceId);
      if (!found || (nonce !== undefined && found.record.nonce !== nonce))
        throw refused('ApprovalTokenInvalid', 'The approval link is not valid.');
      const { record } = found;
      if (record.status === 'approved' || record.status === 'rejected')
        throw alreadyDecided(record.status);
      // Expired, or due to be: the timer's close takes it from here, as approval-timeout.
      if (record.status === 'expired' || now.getTime() >= Date.parse(record.expiresAt))
        throw expired();
      const decided: ApprovalRecord = {
        ...record,
        status: verdict === 'approve' ? 'approved' : 'rejected',
        decidedAt: now.toISOString(),
        decidedBy: by,
      };
      try {
        return { record: decided, etag: await this.replace(decided, found.etag) };
      } catch (error) {
        // Another decision or the close came first: read what it made, and answer by that.
        if (!lostRace(error) || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  async reopen(instanceId: string, decided: RecordedDecision): Promise<boolean> {
    const { decidedAt: _at, decidedBy: _by, ...rest } = decided.record;
    try {
      await this.replace({ ...rest, instanceId, status: 'pending' }, decided.etag);
      return true;
    } catch (error) {
      // Changed since the decision: only the close changes a decided request; the run took it.
      if (lostRace(error)) return false;
      throw error;
    }
  }

  async close(instanceId: string, nonce: string, now: Date): Promise<ApprovalRecord | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      const found = await this.read(instanceId);
      if (!found || found.record.nonce !== nonce) return undefined;
      const { record } = found;
      if (record.status === 'expired' || record.closedAt !== undefined) return record;
      const closed: ApprovalRecord = {
        ...record,
        ...(record.status === 'pending' ? { status: 'expired' as const } : {}),
        closedAt: now.toISOString(),
      };
      try {
        await this.replace(closed, found.etag);
        return closed;
      } catch (error) {
        // A decision (or its reopening) came first: read it, and close on what it made.
        if (!lostRace(error) || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  async listPending(now: Date): Promise<ApprovalRecord[]> {
    const table = await this.table_();
    const rows: ApprovalRecord[] = [];
    for await (const entity of table.listEntities<ApprovalRecord>({
      queryOptions: { filter: "status eq 'pending'" },
    })) {
      if (Date.parse(entity.expiresAt) <= now.getTime()) continue;
      rows.push(toRecord(entity));
    }
    return rows.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }
}

/** Sends an approval request; a port so tests and other transports can stand in. */
export type PostJson = (url: string, body: unknown) => Promise<void>;

/** POSTs JSON; 5xx, 408, 429 and network failures are retryable, other statuses are not. */
export const postJson: PostJson = async (url, body) => {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new AccelnetError(
      'ApprovalWebhookUnreachable',
      `The approval webhook could not be reached: ${ensureError(error).message}`,
      { retryable: true, cause: error },
    );
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) {
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new AccelnetError(
      'ApprovalWebhookFailed',
      `The approval webhook answered ${response.status}.`,
      { retryable, status: response.status },
    );
  }
};

export interface ApprovalDeps {
  store: ApprovalStore;
  secret: string;
  /** This service's base URL, which the approve/reject links point at. */
  publicUrl: string;
  webhookUrl: string;
  post: PostJson;
  log: LogPort;
}

/** The approve and reject links of one request. */
export function approvalUrls(
  deps: Pick<ApprovalDeps, 'secret' | 'publicUrl'>,
  claims: Omit<TokenClaims, 'decision'>,
): { approveUrl: string; rejectUrl: string } {
  const link = (decision: Verdict): string =>
    `${deps.publicUrl}/api/approvals/${encodeURIComponent(claims.instanceId)}/${decision}?token=${signToken(deps.secret, { ...claims, decision })}`;
  return { approveUrl: link('approve'), rejectUrl: link('reject') };
}

/**
 * The approval activities: requestApproval records the request, then posts it to the webhook;
 * closeApproval is the timeout's side of the race with a decision (ApprovalStore.close).
 */
export function createApprovalActivities(deps: ApprovalDeps): {
  requestApproval(input: RequestApprovalInput, log?: LogPort): Promise<RequestApprovalOutput>;
  closeApproval(input: CloseApprovalInput, log?: LogPort): Promise<CloseApprovalOutput>;
} {
  return {
    closeApproval: async (input, log = deps.log) => {
      const closed = await deps.store.close(input.instanceId, input.nonce, new Date());
      // No such round (it was never recorded): nothing was decided, so the time is up.
      const status = closed?.status === 'pending' || !closed ? 'expired' : closed.status;
      log({
        level: 'info',
        runId: closed?.runId ?? null,
        vmId: closed?.vmId ?? null,
        step: 'approval-close',
        instanceId: input.instanceId,
        result: status,
      });
      return {
        status,
        ...(status !== 'expired' && closed?.decidedBy !== undefined
          ? { by: closed.decidedBy }
          : {}),
      };
    },
    requestApproval: async (input, log = deps.log) => {
      const first = input.vms[0];
      if (!first) throw new AccelnetError('InvalidInput', 'An approval request needs a VM.');
      const expiresAt = Date.parse(input.expiresAt);
      const urls = approvalUrls(deps, {
        instanceId: input.instanceId,
        expiresAt,
        nonce: input.nonce,
      });
      const single = input.vms.length === 1 && !input.scope;
      const body: ApprovalRequestBody = {
        instanceId: input.instanceId,
        vmId: single ? first.vmId : (input.scope?.id ?? first.vmId),
        vmName: single
          ? first.name
          : `${input.vms.length} VMs in ${input.scope?.name ?? 'the run'}`,
        size: [...new Set(input.vms.map((vm) => vm.size))].join(', '),
        plan: approvalPlan(input.vms),
        ...urls,
        expiresAt: input.expiresAt,
      };
      await deps.store.open({
        instanceId: input.instanceId,
        nonce: input.nonce,
        runId: input.runId,
        vmId: body.vmId,
        vmName: body.vmName,
        requestedAt: new Date().toISOString(),
        expiresAt: input.expiresAt,
        status: 'pending',
      });
      const entry = {
        runId: input.runId,
        vmId: body.vmId,
        step: 'approval-request',
        instanceId: input.instanceId,
        expiresAt: input.expiresAt,
      };
      if (deps.webhookUrl === '') {
        log({
          level: 'warn',
          ...entry,
          message:
            'No ACCELNET_APPROVAL_WEBHOOK_URL: the request waits for POST /api/approvals/{instanceId} or the dashboard.',
        });
        return { posted: false };
      }
      await deps.post(deps.webhookUrl, body);
      log({ level: 'info', ...entry, message: 'approval request posted' });
      return { posted: true };
    },
  };
}
