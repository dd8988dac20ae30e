import { createHash } from 'node:crypto';

import { RestError, TableClient } from '@azure/data-tables';

import type {
  ApprovalPlan,
  ApprovalRecord,
  ApprovalStore,
  RecordedDecision,
  Verdict,
} from '../domain/approvals';
import { AccelnetError } from '../platform/errors';
import { Table } from './table';

/** The refusals of a decision, by what went wrong: 403 (not valid), 409 (decided), 410 (expired). */
export const refused = (code: string, message: string): AccelnetError =>
  new AccelnetError(code, message, { status: 403 });

/** A decision on a request that was decided already: 409. */
export const alreadyDecided = (status: string): AccelnetError =>
  new AccelnetError(
    'ApprovalAlreadyDecided',
    `This approval was already decided (${status}); a decision counts once.`,
    { status: 409 },
  );

/** A decision after the request's expiry: the run does not act on it (410). */
export const expired = (): AccelnetError =>
  new AccelnetError(
    'ApprovalExpired',
    'This approval request has expired: the run no longer waits for a decision (approval-timeout).',
    { status: 410 },
  );

const ROW = 'request';
const keyOf = (instanceId: string): string =>
  createHash('sha256').update(instanceId).digest('hex').slice(0, 40);

/** Conditional writes that lost a race are read again and retried, at most this many times. */
const WRITE_ATTEMPTS = 5;

/**
 * A request as this table keeps it: the record, and what was asked (the plan and the sizes, as
 * the webhook got them) when the requester passed them, for the page an approval link opens.
 */
export type StoredApproval = ApprovalRecord & { plan?: ApprovalPlan; size?: string };

/** Table storage keeps strings of at most 32K UTF-16 characters: a longer plan loses its list. */
const MAX_PLAN_CHARS = 30_000;

function planJson(plan: ApprovalPlan | undefined): string | undefined {
  if (plan === undefined) return undefined;
  const whole = JSON.stringify(plan);
  if (whole.length <= MAX_PLAN_CHARS) return whole;
  const { vms, ...rest } = plan;
  const reasons = rest.reasons.slice(0, 20);
  return JSON.stringify({ ...rest, reasons, nics: [], vmCount: vms?.length ?? 0 }).slice(
    0,
    MAX_PLAN_CHARS,
  );
}

function readPlan(text: unknown): ApprovalPlan | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const plan = JSON.parse(text) as unknown;
    return typeof plan === 'object' && plan !== null ? (plan as ApprovalPlan) : undefined;
  } catch {
    return undefined;
  }
}

/** The row of a request: its record's properties, the plan as JSON text. */
function toEntity(record: StoredApproval): Record<string, unknown> {
  const { plan, ...rest } = record;
  const json = planJson(plan);
  return {
    partitionKey: keyOf(record.instanceId),
    rowKey: ROW,
    ...rest,
    ...(json ? { planJson: json } : {}),
  };
}

function toRecord(entity: StoredApproval & { planJson?: unknown }): StoredApproval {
  const plan = readPlan(entity.planJson);
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
    ...(typeof entity.size === 'string' ? { size: entity.size } : {}),
    ...(plan !== undefined ? { plan } : {}),
  };
}

const lostRace = (error: unknown): boolean =>
  error instanceof RestError && error.statusCode === 412;

/** The approvals table: one row per waiting instance; every change is conditional on its etag. */
export class TableApprovalStore implements ApprovalStore {
  private readonly store: Table;

  constructor(table: TableClient) {
    this.store = new Table(table);
  }

  static fromConnectionString(connection: string, tableName: string): TableApprovalStore {
    return new TableApprovalStore(Table.fromConnectionString(connection, tableName).client);
  }

  private async table_(): Promise<TableClient> {
    return this.store.open();
  }

  private async read(
    instanceId: string,
  ): Promise<{ record: StoredApproval; etag: string } | undefined> {
    const table = await this.table_();
    try {
      const entity = await table.getEntity<StoredApproval>(keyOf(instanceId), ROW);
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
  private async replace(record: StoredApproval, etag: string): Promise<string> {
    const table = await this.table_();
    const written = await table.updateEntity(
      toEntity(record) as { partitionKey: string; rowKey: string },
      'Replace',
      { etag },
    );
    if (written.etag === undefined)
      throw new AccelnetError('ApprovalStoreError', 'The approvals table answered no etag.');
    return written.etag;
  }

  async open(record: StoredApproval): Promise<void> {
    const table = await this.table_();
    const existing = await this.read(record.instanceId);
    // A replayed request of the same round keeps its decision.
    if (existing && existing.record.nonce === record.nonce) return;
    await table.upsertEntity(
      toEntity(record) as { partitionKey: string; rowKey: string },
      'Replace',
    );
  }

  async get(instanceId: string): Promise<StoredApproval | undefined> {
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
      const decided: StoredApproval = {
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
      const closed: StoredApproval = {
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

  async listPending(now: Date): Promise<StoredApproval[]> {
    const table = await this.table_();
    const rows: StoredApproval[] = [];
    for await (const entity of table.listEntities<StoredApproval>({
      queryOptions: { filter: "status eq 'pending'" },
    })) {
      if (Date.parse(entity.expiresAt) <= now.getTime()) continue;
      rows.push(toRecord(entity));
    }
    return rows.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }
}
