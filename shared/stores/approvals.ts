import { createHash } from 'node:crypto';

import { RestError, TableClient } from '@azure/data-tables';

import type { ApprovalRecord, ApprovalStore, RecordedDecision, Verdict } from '../domain/approvals';
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
