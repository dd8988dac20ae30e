/**
 * The pause switch: while it is on, no run of any kind takes another VM down. An operator
 * turns it on and off (`POST` and `DELETE /api/pause`, `accelnet pause` and `resume`); the
 * dashboard shows it; activities read it through the `PauseGate` port before they take a VM
 * down. It is one row in its own table (ACCELNET_CONTROL_TABLE), read strongly consistently.
 */
import { RestError, TableClient } from '@azure/data-tables';

import type { NotPaused, Paused, PauseState, PauseStore } from '../domain/ports';
import { parsePauseRequest, parseResumeRequest, pauseStateSchema } from '../http/pause';
import { describeIssue } from '../http/requests';
import { AccelnetError } from '../platform/errors';
import { Table } from './table';

const PARTITION = 'control';
const ROW = 'pause';
const ATTEMPTS = 5;

const statusOf = (error: unknown): number | undefined =>
  error instanceof RestError ? error.statusCode : undefined;

/**
 * The pause switch in Azure Table storage: one row, changed with optimistic concurrency, so
 * two operators pausing at once both see the same `since`.
 */
export class TablePauseStore implements PauseStore {
  private readonly store: Table;

  constructor(
    table: TableClient,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.store = new Table(table);
  }

  static fromConnectionString(connection: string, tableName: string): TablePauseStore {
    return new TablePauseStore(Table.fromConnectionString(connection, tableName).client);
  }

  private async ensure(): Promise<TableClient> {
    return this.store.open();
  }

  private async read(): Promise<{ state: PauseState; etag: string } | undefined> {
    const table = await this.ensure();
    let entity: Record<string, unknown> & { etag: string };
    try {
      entity = await table.getEntity<Record<string, unknown>>(PARTITION, ROW);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    const parsed = pauseStateSchema.safeParse(entity);
    // A row nobody can read is not "not paused": the caller fails, and so does the run.
    if (!parsed.success)
      throw new AccelnetError(
        'PauseStateInvalid',
        `The pause row (${PARTITION}/${ROW}) of the control table is not valid: ${describeIssue(parsed.error)}.`,
      );
    const row = parsed.data;
    const state: PauseState = row.paused
      ? {
          paused: true,
          since: row.since,
          by: row.by,
          ...(row.reason !== undefined ? { reason: row.reason } : {}),
        }
      : { paused: false };
    return { state, etag: entity.etag };
  }

  async get(): Promise<PauseState> {
    return (await this.read())?.state ?? { paused: false };
  }

  async pause(reason: string | undefined, by: string): Promise<Paused> {
    const checked = parsePauseRequest({
      ...(reason !== undefined ? { reason } : {}),
      by,
    });
    if (!checked.ok) throw new AccelnetError('InvalidRequest', checked.message, { status: 400 });
    const wanted = checked.request;
    const table = await this.ensure();
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const found = await this.read();
      const current = found?.state;
      let next: Paused;
      if (current?.paused) {
        if (wanted.reason === undefined || wanted.reason === current.reason) return current;
        next = { ...current, reason: wanted.reason };
      } else {
        next = {
          paused: true,
          since: this.clock().toISOString(),
          by: wanted.by ?? by,
          ...(wanted.reason !== undefined ? { reason: wanted.reason } : {}),
        };
      }
      const entity = { partitionKey: PARTITION, rowKey: ROW, ...next };
      try {
        if (found) await table.updateEntity(entity, 'Replace', { etag: found.etag });
        else await table.createEntity(entity);
        return next;
      } catch (error) {
        // Someone else changed it first: read again and decide again.
        const status = statusOf(error);
        if (status === 409 || status === 412) continue;
        throw error;
      }
    }
    throw new AccelnetError('PauseConflict', 'The pause state kept changing; try again.', {
      status: 409,
      retryable: true,
    });
  }

  async resume(by: string): Promise<NotPaused> {
    const checked = parseResumeRequest({ by });
    if (!checked.ok) throw new AccelnetError('InvalidRequest', checked.message, { status: 400 });
    const table = await this.ensure();
    // Who resumed it and when stay in the row, for whoever reads the table; the state is "off".
    await table.upsertEntity(
      {
        partitionKey: PARTITION,
        rowKey: ROW,
        paused: false,
        resumedAt: this.clock().toISOString(),
        resumedBy: checked.request.by ?? by,
      },
      'Replace',
    );
    return { paused: false };
  }
}
