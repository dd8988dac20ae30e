/**
 * Structured logs and OpenTelemetry events of the composed app: the services built by the
 * composition root (as in Azure) over the ARM emulator and Azurite, with an in-memory
 * OpenTelemetry exporter registered globally in place of Azure Monitor.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';

import { DEMO_FLEET } from '../../emulator/demo-fleet';
import type { ArmEmulator } from '../../emulator/server';
import { compose, type Services } from '../../functions/composition';
import { type LocalStorage, startAzurite } from '../../host/storage';
import { parseVmId, type VmRef } from '../../shared/domain/events';
import type { VmOutcome } from '../../shared/domain/outcomes';
import { parseBulkRequest } from '../../shared/http/requests';
import { loadSettings } from '../../shared/platform/config';
import { APP_INSIGHTS_EVENT_NAME, EVENT, startTelemetry } from '../../shared/platform/telemetry';
import { admin, emulatorForTest, SUB, vmId } from '../support/arm';

describe('structured logs and OpenTelemetry events', () => {
  let em: ArmEmulator;
  let storage: LocalStorage;
  let dir: string;
  let services: Services;
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exporter)] });
  const entries: Record<string, unknown>[] = [];

  beforeAll(async () => {
    logs.setGlobalLoggerProvider(provider);
    [em, storage] = await Promise.all([emulatorForTest(), startAzurite()]);
    await admin(em, 'POST', '/_emulator/seed?events=false', DEMO_FLEET);
    dir = mkdtempSync(path.join(tmpdir(), 'accelnet-telemetry-'));
    const caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, em.caPem);
    services = compose(
      loadSettings({
        ACCELNET_ARM_ENDPOINT: em.url,
        ACCELNET_ARM_CA_FILE: caFile,
        ACCELNET_ARM_TIME_SCALE: '0.001',
        AzureWebJobsStorage: storage.connectionString,
        ACCELNET_AUDIT_TABLE: 'telemetryAudit',
        ACCELNET_RUNS_TABLE: 'telemetryRuns',
      }),
      (entry) => entries.push(entry),
    );
  }, 60_000);
  afterAll(async () => {
    logs.disable();
    await provider.shutdown();
    await Promise.all([em?.stop(), storage?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    exporter.reset();
    entries.length = 0;
  });

  const ref = (rg: string, name: string): VmRef => {
    const parsed = parseVmId(vmId(rg, name));
    if (!parsed) throw new Error('bad id');
    return parsed;
  };
  const events = (name: string): ReadableLogRecord[] =>
    exporter.getFinishedLogRecords().filter((r) => r.eventName === name);

  test('when a VM outcome is recorded, then an accelnet.vm.outcome event carries run, VM, outcome and reason, and the row is stored', async () => {
    const id = vmId('rg-app', 'tiny');
    await services.activities.recordAudit({
      runId: 'run-telemetry-1',
      vmId: id,
      step: 'outcome',
      result: 'outcome',
      at: '2026-01-01T00:00:00.000Z',
      outcome: 'skipped',
      detail: 'size-not-supported',
    });

    const [event, ...more] = events(EVENT.vmOutcome);
    expect(more).toEqual([]);
    expect(event?.instrumentationScope.name).toBe('accelnet');
    expect(event?.attributes).toMatchObject({
      [APP_INSIGHTS_EVENT_NAME]: EVENT.vmOutcome,
      runId: 'run-telemetry-1',
      vmId: id,
      outcome: 'skipped',
      reason: 'size-not-supported',
    });
    const stored = await services.audit.listOutcomes();
    expect(stored).toContainEqual(
      expect.objectContaining({ runId: 'run-telemetry-1', vmId: id, outcome: 'skipped' }),
    );
  });

  test('when an audit row of another step is recorded, then no event is emitted', async () => {
    await services.activities.recordAudit({
      runId: 'run-telemetry-2',
      vmId: vmId('rg-app', 'web-1'),
      step: 'deallocate',
      result: 'ok',
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(exporter.getFinishedLogRecords()).toEqual([]);
  });

  test('when a bulk run completes, then an accelnet.run.completed event carries its status and counts by outcome', async () => {
    const parsed = parseBulkRequest({ subscriptionId: SUB, resourceGroup: 'rg-app' });
    if (!parsed.ok) throw new Error(parsed.message);
    const { request } = parsed;
    const result = (name: string, outcome: VmOutcome['outcome']): VmOutcome => ({
      vmId: vmId('rg-app', name),
      outcome,
      reasons: [],
      originalPowerState: 'running',
      finalPowerState: 'running',
      steps: [],
    });
    const runId = 'bulk-telemetry-3';
    const base = { runId, createdAt: '2026-01-01T00:00:00.000Z', request };
    await services.activities.recordRun({ ...base, status: 'running' });
    expect(events(EVENT.runCompleted)).toEqual([]);
    await services.activities.recordVmResults({
      runId,
      results: [
        result('web-1', 'remediated'),
        result('web-2', 'remediated'),
        result('tiny', 'skipped'),
      ],
    });
    await services.activities.recordRun({ ...base, status: 'completed' });

    const [event, ...more] = events(EVENT.runCompleted);
    expect(more).toEqual([]);
    expect(event?.attributes).toMatchObject({
      [APP_INSIGHTS_EVENT_NAME]: EVENT.runCompleted,
      runId,
      status: 'completed',
      'count.total': 3,
      'count.remediated': 2,
      'count.skipped': 1,
    });
    expect((await services.runs.listRuns()).map((r) => [r.id, r.status])).toContainEqual([
      runId,
      'completed',
    ]);
    // The run-level log entries say which run and step, and that they are about no one VM.
    const runEntries = entries.filter((e) => e.runId === runId);
    expect(runEntries.map((e) => e.step)).toEqual(['recordRun', 'recordVmResults', 'recordRun']);
    expect(runEntries.every((e) => 'vmId' in e)).toBe(true);
  });

  test('when activities run, then every log entry carries the run id, the VM id and the step', async () => {
    const runId = 'run-telemetry-4';
    const vm = ref('rg-app', 'web-3');
    await services.activities.assessVm({ vm, runId });
    await services.activities.deallocateVm({ vm, runId });
    await services.activities.startVm({ vm, runId });
    await expect(
      services.activities.enableAcceleratedNetworking({ vm, runId, nicIds: [] }),
    ).rejects.toThrow(/VmNotDeallocated/);
    await services.activities.recordAudit({
      runId,
      vmId: vm.id,
      step: 'outcome',
      result: 'outcome',
      at: '2026-01-01T00:00:00.000Z',
      outcome: 'failed',
    });

    expect(entries.map((e) => [e.runId, e.vmId, e.step, e.result])).toEqual([
      [runId, vm.id, 'assess', 'ok'],
      [runId, vm.id, 'deallocate', 'ok'],
      [runId, vm.id, 'start', 'ok'],
      [runId, vm.id, 'enableNics', 'failed'],
      [runId, vm.id, 'outcome', 'outcome'],
    ]);
  });

  test('when no connection string is configured, then no exporter is started', () => {
    expect(startTelemetry('')).toBe(false);
  });
});
