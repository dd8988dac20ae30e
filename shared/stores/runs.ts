import { createHash } from 'node:crypto';

import { type TableClient, type TableTransaction } from '@azure/data-tables';

import type { VmOutcome } from '../domain/outcomes';
import type { LaneVm } from '../domain/plan';
import type { RunRecord, RunStore } from '../domain/ports';
import { odata, Table } from './table';

const RUN_ROW = 'run';

/**
 * VM ids per row of a run's requested ids: 100 ids of the longest (266 characters) make a
 * 27,000-character property, under Table storage's 64 KiB (32K UTF-16 characters) for one,
 * and 5,000 ids make 50 rows: one transaction.
 */
export const VM_IDS_PER_ROW = 100;

/** The longest error message a run's row keeps (its property stays far under 64 KiB). */
const MAX_ERROR_LENGTH = 4000;

/**
 * Runs in one table: a `run` row per run and one row per VM result, partitioned by run, so a
 * run's results are one partition query and writes are batched 100 per transaction. No
 * property holds an unbounded list: a request's VM ids are in rows of 100 beside the run, and
 * the run's row keeps the rest of the request and their count.
 */
export class TableRunStore implements RunStore {
  private readonly store: Table;

  constructor(private readonly table: TableClient) {
    this.store = new Table(table);
  }

  static fromConnectionString(connection: string, tableName: string): TableRunStore {
    return new TableRunStore(Table.fromConnectionString(connection, tableName).client);
  }

  private async ensure(): Promise<void> {
    await this.store.open();
  }

  async putRun(run: RunRecord): Promise<void> {
    await this.ensure();
    // A run's request never changes: its first record keeps it, later ones keep that.
    let request = (await this.getRun(run.id))?.request;
    if (request === undefined) {
      request = run.request;
      if (isObject(request) && Array.isArray(request.vmIds)) {
        const { vmIds, ...rest } = request;
        const ids = vmIds.map(String);
        await this.putRunVmIds(run.id, ids);
        request = { ...rest, vmCount: ids.length };
      }
    }
    const error = run.error !== undefined ? { error: run.error.slice(0, MAX_ERROR_LENGTH) } : {};
    await this.table.upsertEntity(
      {
        partitionKey: key(run.id),
        rowKey: RUN_ROW,
        json: JSON.stringify({ ...run, request, ...error }),
      },
      'Replace',
    );
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    await this.ensure();
    try {
      const entity = await this.table.getEntity<{ json: string }>(key(id), RUN_ROW);
      return JSON.parse(entity.json) as RunRecord;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  private async putRunVmIds(runId: string, ids: string[]): Promise<void> {
    const rows: { partitionKey: string; rowKey: string; json: string }[] = [];
    for (let i = 0; i < ids.length; i += VM_IDS_PER_ROW) {
      rows.push({
        partitionKey: vmIdsPartition(runId),
        rowKey: String(i / VM_IDS_PER_ROW).padStart(7, '0'),
        json: JSON.stringify(ids.slice(i, i + VM_IDS_PER_ROW)),
      });
    }
    await this.upsertAll(rows);
  }

  /** The VM ids a run's request named, in order ([] when it named none). */
  async getRunVmIds(runId: string): Promise<string[]> {
    await this.ensure();
    const filter = odata`PartitionKey eq ${vmIdsPartition(runId)}`;
    const rows: { rowKey: string; ids: string[] }[] = [];
    for await (const entity of this.table.listEntities<{ json: string }>({
      queryOptions: { filter },
    })) {
      rows.push({ rowKey: entity.rowKey ?? '', ids: JSON.parse(entity.json) as string[] });
    }
    return rows.sort((a, b) => a.rowKey.localeCompare(b.rowKey)).flatMap((r) => r.ids);
  }

  async putVmResults(runId: string, results: VmOutcome[]): Promise<void> {
    await this.upsertAll(
      results.map((result) => ({
        partitionKey: key(runId),
        rowKey: vmRow(result.vmId),
        json: JSON.stringify(result),
      })),
    );
  }

  /** Upserts rows of one partition, 100 per transaction (Table storage's most). */
  private async upsertAll(
    rows: { partitionKey: string; rowKey: string; json: string }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.ensure();
    for (let i = 0; i < rows.length; i += 100) {
      const batch: TableTransaction['actions'] = rows
        .slice(i, i + 100)
        .map((row) => ['upsert', row, 'Replace']);
      await this.table.submitTransaction(batch);
    }
  }

  async putLaneWork(runId: string, lanes: LaneVm[][]): Promise<void> {
    const rows = lanes.flatMap((items, lane) =>
      items.map((item, index) => ({
        partitionKey: workPartition(runId),
        rowKey: workRow(lane, index),
        json: JSON.stringify(item),
      })),
    );
    await this.upsertAll(rows);
  }

  async getLaneWork(runId: string, lane: number, offset: number, limit: number): Promise<LaneVm[]> {
    await this.ensure();
    const partition = workPartition(runId);
    const filter = odata`PartitionKey eq ${partition} and RowKey ge ${workRow(lane, offset)} and RowKey lt ${workRow(lane, offset + limit)}`;
    const rows: { rowKey: string; item: LaneVm }[] = [];
    for await (const entity of this.table.listEntities<{ json: string }>({
      queryOptions: { filter },
    })) {
      rows.push({ rowKey: entity.rowKey ?? '', item: JSON.parse(entity.json) as LaneVm });
    }
    return rows.sort((a, b) => a.rowKey.localeCompare(b.rowKey)).map((r) => r.item);
  }

  async listVmResults(runId: string): Promise<VmOutcome[]> {
    await this.ensure();
    const results: VmOutcome[] = [];
    const filter = odata`PartitionKey eq ${key(runId)} and RowKey ne ${RUN_ROW}`;
    for await (const entity of this.table.listEntities<{ json: string }>({
      queryOptions: { filter },
    })) {
      results.push(JSON.parse(entity.json) as VmOutcome);
    }
    return results.sort((a, b) => a.vmId.localeCompare(b.vmId));
  }

  /** Every run (the `run` rows across partitions), newest first: for the dashboard. */
  async listRuns(): Promise<RunRecord[]> {
    await this.ensure();
    const runs: RunRecord[] = [];
    for await (const entity of this.table.listEntities<{ json: string }>({
      queryOptions: { filter: odata`RowKey eq ${RUN_ROW}` },
    })) {
      runs.push(JSON.parse(entity.json) as RunRecord);
    }
    return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}

function key(text: string): string {
  return [...text].map((ch) => (/[/\\#?]/.test(ch) || ch.charCodeAt(0) < 32 ? '_' : ch)).join('');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A run's requested VM ids sit in a partition of their own, beside the run's results. */
function vmIdsPartition(runId: string): string {
  return `${key(runId)}~vmIds`;
}

/** A run's lane work sits in a partition of its own, beside the run's results. */
function workPartition(runId: string): string {
  return `${key(runId)}~lanes`;
}

/** Row keys sort by lane, then by position in the lane. */
function workRow(lane: number, index: number): string {
  return `lane-${String(lane).padStart(5, '0')}-${String(index).padStart(7, '0')}`;
}

function vmRow(vmId: string): string {
  return `vm-${createHash('sha256').update(vmId.toLowerCase()).digest('hex').slice(0, 40)}`;
}
