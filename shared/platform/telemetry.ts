/**
 * Outcomes as OpenTelemetry events (log records with an event name), for Application
 * Insights' customEvents: each VM's final outcome and each bulk run's completion. Events go
 * through the global OpenTelemetry LoggerProvider: in Azure, `useAzureMonitor()` registers it
 * when APPLICATIONINSIGHTS_CONNECTION_STRING is set; locally nothing is exported unless a
 * provider is registered (the API's default provider drops every record).
 */
import { type AnyValueMap, logs, SeverityNumber } from '@opentelemetry/api-logs';

import type { AuditInput, VmOutcome } from '../domain/outcomes';
import type { AuditPort, LogPort, RunRecord, RunStore } from '../domain/ports';
import { ensureError } from './errors';

/** The instrumentation scope of accelnet's events. */
export const TELEMETRY_SCOPE = 'accelnet';

export const EVENT = {
  /** A VM's final outcome (the audit row with step `outcome`). */
  vmOutcome: 'accelnet.vm.outcome',
  /** A bulk run ended (completed or failed), with its counts by outcome. */
  runCompleted: 'accelnet.run.completed',
} as const;

/** The attribute the Azure Monitor exporter turns into a customEvents row of that name. */
export const APP_INSIGHTS_EVENT_NAME = 'microsoft.custom_event.name';

/** Emits one event: a log record with an event name and its attributes. */
export function emitEvent(name: string, attributes: AnyValueMap): void {
  logs.getLogger(TELEMETRY_SCOPE).emit({
    eventName: name,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: name,
    attributes: { [APP_INSIGHTS_EVENT_NAME]: name, ...attributes },
  });
}

/** The event of a VM's final outcome; undefined for audit rows of other steps. */
export function vmOutcomeEvent(row: AuditInput): AnyValueMap | undefined {
  if (row.step !== 'outcome' || row.outcome === undefined) return undefined;
  return {
    runId: row.runId,
    vmId: row.vmId,
    outcome: row.outcome,
    ...(row.detail !== undefined ? { reason: row.detail } : {}),
    at: row.at,
  };
}

/** The audit port, emitting `accelnet.vm.outcome` once an outcome row is stored. */
export function withOutcomeEvents(audit: AuditPort): AuditPort {
  return {
    async record(row) {
      await audit.record(row);
      const event = vmOutcomeEvent(row);
      if (event) emitEvent(EVENT.vmOutcome, event);
    },
    async recordMany(rows) {
      if (audit.recordMany) await audit.recordMany(rows);
      else for (const row of rows) await audit.record(row);
      for (const row of rows) {
        const event = vmOutcomeEvent(row);
        if (event) emitEvent(EVENT.vmOutcome, event);
      }
    },
  };
}

/** Counts of a run's VM results by outcome, as event attributes (`count.remediated`, ...). */
export function outcomeCounts(results: VmOutcome[]): Record<string, number> {
  const counts: Record<string, number> = { total: results.length };
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}

/**
 * The run store, emitting `accelnet.run.completed` when a run is stored as completed or
 * failed. The counts are read back from the run's stored results; when they cannot be read
 * the event still goes out, without counts, and the failure is logged.
 */
export function withRunEvents(runs: RunStore, log: LogPort): RunStore {
  return {
    getRun: (id) => runs.getRun(id),
    getRunVmIds: (runId) => runs.getRunVmIds(runId),
    putVmResults: (runId, results) => runs.putVmResults(runId, results),
    listVmResults: (runId) => runs.listVmResults(runId),
    putLaneWork: (runId, lanes) => runs.putLaneWork(runId, lanes),
    getLaneWork: (runId, lane, offset, limit) => runs.getLaneWork(runId, lane, offset, limit),
    async putRun(run: RunRecord) {
      await runs.putRun(run);
      if (run.status !== 'completed' && run.status !== 'failed') return;
      let counts: Record<string, number> = {};
      try {
        counts = outcomeCounts(await runs.listVmResults(run.id));
      } catch (error) {
        const e = ensureError(error);
        log({ level: 'warn', runId: run.id, step: 'runEvent', code: e.code, message: e.message });
      }
      emitEvent(EVENT.runCompleted, {
        runId: run.id,
        status: run.status,
        ...(run.error !== undefined ? { reason: run.error } : {}),
        createdAt: run.createdAt,
        ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [`count.${k}`, v])),
      });
    },
  };
}

let started = false;

/**
 * Registers the Azure Monitor exporter (Application Insights) once per process when a
 * connection string is given; without one nothing is exported. The distro is loaded only
 * then, so local runs do not pay for it.
 */
export function startTelemetry(connectionString: string): boolean {
  if (started || connectionString === '') return false;
  started = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { useAzureMonitor } = require('@azure/monitor-opentelemetry') as {
    useAzureMonitor: typeof import('@azure/monitor-opentelemetry').useAzureMonitor;
  };
  useAzureMonitor({ azureMonitorExporterOptions: { connectionString } });
  return true;
}
