import { type LocalStorage, startAzurite } from '../../host/storage';
import { TableAudit } from '../../shared/audit';

describe('TableAudit on Azurite', () => {
  let storage: LocalStorage;
  beforeAll(async () => {
    storage = await startAzurite();
  }, 30_000);
  afterAll(() => storage.stop());

  test('when steps of a run are recorded, then they are listed back in order, by run', async () => {
    const audit = TableAudit.fromConnectionString(storage.connectionString, 'auditTest1');
    const vmId =
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-1';
    await audit.record({
      runId: 'run/1?',
      vmId,
      step: 'deallocate',
      result: 'ok',
      at: '2026-01-01T00:00:02.000Z',
    });
    await audit.record({
      runId: 'run/1?',
      vmId,
      step: 'assess',
      result: 'ok',
      at: '2026-01-01T00:00:01.000Z',
      detail: 'remediate: eligible',
    });
    await audit.record({
      runId: 'run/1?',
      vmId,
      step: 'outcome',
      result: 'outcome',
      at: '2026-01-01T00:00:03.000Z',
      outcome: 'remediated',
    });
    await audit.record({
      runId: 'run-2',
      vmId,
      step: 'assess',
      result: 'ok',
      at: '2026-01-01T00:00:01.000Z',
    });

    const rows = await audit.list('run/1?');
    expect(rows.map((r) => r.step)).toEqual(['assess', 'deallocate', 'outcome']);
    expect(rows[0]).toMatchObject({ vmId, detail: 'remediate: eligible' });
    expect(rows[2]).toMatchObject({ outcome: 'remediated' });
    expect(await audit.list('run-2')).toHaveLength(1);
  });

  test('when the same step is recorded twice (a replayed activity), then there is one row', async () => {
    const audit = TableAudit.fromConnectionString(storage.connectionString, 'auditTest2');
    const row = {
      runId: 'r',
      vmId: 'vm',
      step: 'start',
      result: 'ok' as const,
      at: '2026-01-01T00:00:00.000Z',
    };
    await audit.record(row);
    await audit.record(row);
    expect(await audit.list('r')).toHaveLength(1);
  });
});
