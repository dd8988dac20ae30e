import { createHash } from 'node:crypto';

import { TableClient } from '@azure/data-tables';

import type { AuditInput } from '../domain/outcomes';
import type { AuditPort } from '../domain/ports';
import { odata, Table } from './table';

/** The audit trail in Azure Table storage: one row per step, partitioned by run. */
export class TableAudit implements AuditPort {
  private readonly store: Table;

  constructor(private readonly table: TableClient) {
    this.store = new Table(table);
  }

  static fromConnectionString(connection: string, tableName: string): TableAudit {
    return new TableAudit(Table.fromConnectionString(connection, tableName).client);
  }

  async record(row: AuditInput): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity(
      { partitionKey: safeKey(row.runId), rowKey: rowKey(row), ...row },
      'Replace',
    );
  }

  /**
   * Several rows in one request per run: a Table transaction (one partition, at most 100
   * operations, each row once). Replays write the same rows again: upserts, so no duplicates.
   */
  async recordMany(rows: AuditInput[]): Promise<void> {
    await this.ensure();
    const byRun = new Map<string, Map<string, AuditInput>>();
    for (const row of rows) {
      const partition = safeKey(row.runId);
      const keyed = byRun.get(partition) ?? new Map<string, AuditInput>();
      byRun.set(partition, keyed);
      keyed.set(rowKey(row), row);
    }
    for (const [partitionKey, keyed] of byRun) {
      const entries = [...keyed];
      for (let i = 0; i < entries.length; i += 100) {
        await this.table.submitTransaction(
          entries
            .slice(i, i + 100)
            .map(([key, row]) => ['upsert', { partitionKey, rowKey: key, ...row }, 'Replace']),
        );
      }
    }
  }

  private ensure(): Promise<void> {
    return this.store.open().then(() => undefined);
  }

  async list(runId: string): Promise<AuditInput[]> {
    return this.query(odata`PartitionKey eq ${safeKey(runId)}`);
  }

  /**
   * Every VM's final outcome rows (step `outcome`) across runs, at or after `since` (ISO
   * time) when given, oldest first. A scan of the table filtered by step: for the dashboard.
   */
  async listOutcomes(since?: string): Promise<AuditInput[]> {
    await this.ensure();
    return this.query(
      since === undefined ? `step eq 'outcome'` : odata`step eq 'outcome' and at ge ${since}`,
    );
  }

  /** The rows the filter selects, as recorded (no table keys), oldest first. */
  private async query(filter: string): Promise<AuditInput[]> {
    const rows: AuditInput[] = [];
    for await (const entity of this.table.listEntities<AuditInput>({ queryOptions: { filter } })) {
      rows.push({
        runId: entity.runId,
        vmId: entity.vmId,
        step: entity.step,
        result: entity.result,
        at: entity.at,
        ...(entity.detail !== undefined ? { detail: entity.detail } : {}),
        ...(entity.outcome !== undefined ? { outcome: entity.outcome } : {}),
      });
    }
    return rows.sort((a, b) => a.at.localeCompare(b.at));
  }
}

/** Table keys may not contain / \\ # ? or control characters. */
function safeKey(text: string): string {
  return [...text]
    .map((ch) =>
      /[/\\#?]/.test(ch) ||
      ch.charCodeAt(0) < 32 ||
      (ch.charCodeAt(0) >= 127 && ch.charCodeAt(0) <= 159)
        ? '_'
        : ch,
    )
    .join('');
}

function rowKey(row: AuditInput): string {
  const vm = createHash('sha256').update(row.vmId.toLowerCase()).digest('hex').slice(0, 16);
  return safeKey(`${vm}-${row.at}-${row.step}`);
}
