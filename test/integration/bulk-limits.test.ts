/**
 * Bulk requests at the API's own limits, end to end through the local host running the real
 * app against the ARM emulator and Azurite: a body one byte over the limit derived from the
 * schema's limits is refused; a run that cannot record itself, or that is ended from outside,
 * says so at its status URL. (The most VM ids a request may name, each of the longest valid
 * length, are run end to end in the reliability suite's part 6.)
 */
import { TableClient } from '@azure/data-tables';

import { MAX_BULK_BODY_BYTES, MAX_VM_IDS } from '../../shared/http/requests';
import { SETTINGS } from '../../shared/platform/config';
import { SUB } from '../support/arm';
import { type Answer, api } from '../support/http';
import { poll, sleep } from '../support/poll';
import { bulkRunUntil, runEnded, type RunView } from '../support/runs';
import { seedGroup } from '../support/seed';
import { useLocalTwin } from '../support/twin';

/** A resource group name at its longest (90) and VM names at their longest (64, Linux). */
const RG = `rg-${'x'.repeat(87)}`;
const longestId = (n: number): string =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${`vm-${n}`.padEnd(64, 'z')}`;

describe('bulk requests at the API limits', () => {
  const t = useLocalTwin();

  /** POST or GET with the function key; `chunked` sends the body without a content-length. */
  function call(
    method: string,
    route: string,
    body?: string,
    options: { chunked?: boolean } = {},
  ): Promise<Answer> {
    return api(t.host, method, route, {
      ...(body !== undefined ? { raw: body } : {}),
      length: !options.chunked,
    });
  }
  const bulkInstances = (): number =>
    t.twin.host.taskHub.list().filter((i) => i.name === 'bulkRemediation').length;

  test('when the body is one byte over the limit derived from the schema, then 413 says so and nothing starts; at the limit it is read', async () => {
    const before = bulkInstances();
    const small = JSON.stringify({ subscriptionId: 'not-a-guid' });
    const atLimit = small + ' '.repeat(MAX_BULK_BODY_BYTES - small.length);
    const read = await call('POST', '/api/remediations', atLimit);
    expect(read.status).toBe(400);
    expect(JSON.parse(read.body)).toMatchObject({ error: { code: 'InvalidRequest' } });

    for (const chunked of [false, true]) {
      const over = await call('POST', '/api/remediations', `${atLimit} `, { chunked });
      expect({ chunked, status: over.status }).toEqual({ chunked, status: 413 });
      const { error } = JSON.parse(over.body) as { error: { code: string; message: string } };
      expect(error.code).toBe('PayloadTooLarge');
      expect(error.message).toBe(
        `The body is larger than ${MAX_BULK_BODY_BYTES} bytes, the most a valid request can be (${MAX_VM_IDS} VM ids of the longest valid length).`,
      );
    }
    await sleep(100);
    expect(bulkInstances()).toBe(before);
  });

  /** Polls the status URL (never a 404) until the run has ended. */
  async function ended(id: string): Promise<RunView> {
    const got = await poll(
      `the run ${id} to end`,
      async () => {
        const res = await call('GET', `/api/remediations/${id}`);
        expect(res.status).toBe(200);
        return res.json as RunView;
      },
      runEnded,
    );
    return got;
  }

  test('when a run is ended from outside while it waits for approval, then its status URL says failed and why', async () => {
    await seedGroup(t.em, 'rg-ended', [{ name: 'waits' }], { events: false });
    const accepted = await call(
      'POST',
      '/api/remediations',
      JSON.stringify({ subscriptionId: SUB, resourceGroup: 'rg-ended', approval: 'required' }),
    );
    const { id } = JSON.parse(accepted.body) as { id: string };
    await bulkRunUntil(t.host, id, (run) => run.status === 'pending-approval');
    const terminated = await call(
      'POST',
      `/runtime/webhooks/durabletask/instances/${id}/terminate?reason=operator%20stop`,
    );
    expect(terminated.status).toBe(202);
    const run = await ended(id);
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.error).toContain('terminated');
    expect(run.error).toContain('operator stop');
  });

  // Last: it takes the runs table away from the host for the rest of its life.
  test('when the run store fails under an accepted run, then the run ends failed and its status URL answers why, never 404', async () => {
    const accepted = await call(
      'POST',
      '/api/remediations',
      JSON.stringify({ subscriptionId: SUB, vmIds: [longestId(0)] }),
    );
    expect(accepted.status).toBe(202);
    const { id } = JSON.parse(accepted.body) as { id: string };
    const table = TableClient.fromConnectionString(
      t.twin.storage?.connectionString ?? '',
      SETTINGS.ACCELNET_RUNS_TABLE.default,
      { allowInsecureConnection: true },
    );
    await table.deleteTable();

    const run = await ended(id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^the run failed: .+/);
    expect(run.error).toMatch(/table/i);
  });
});
