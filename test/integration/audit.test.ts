import { type LocalStorage, startAzurite } from '../../host/storage';
import { TableAudit } from '../../shared/stores/audit';

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

  test("when a run's steps are recorded together (one write), then every step is listed back, once", async () => {
    const audit = TableAudit.fromConnectionString(storage.connectionString, 'auditTest3');
    const vmId = 'vm/1';
    const steps = ['assess', 'deallocate', 'enableNics', 'start', 'verify'].map((step, i) => ({
      runId: 'run/3',
      vmId,
      step,
      result: 'ok' as const,
      at: `2026-01-01T00:00:0${i}.000Z`,
    }));
    const outcome = {
      runId: 'run/3',
      vmId,
      step: 'outcome',
      result: 'outcome' as const,
      at: '2026-01-01T00:00:09.000Z',
      outcome: 'remediated' as const,
    };
    const other = { ...outcome, runId: 'run-4' };
    // A replay writes the same rows again (and a batch may hold a row twice).
    await audit.recordMany([...steps, outcome, other, outcome]);
    await audit.recordMany([...steps, outcome]);

    const rows = await audit.list('run/3');
    expect(rows.map((r) => r.step)).toEqual([
      'assess',
      'deallocate',
      'enableNics',
      'start',
      'verify',
      'outcome',
    ]);
    expect(rows.at(-1)).toMatchObject({ outcome: 'remediated' });
    expect(await audit.list('run-4')).toHaveLength(1);
  });
});
