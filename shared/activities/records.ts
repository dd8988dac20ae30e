import { isFinal } from '../domain/outcomes';
import { AccelnetError } from '../platform/errors';
import type { Activities, ActivityDeps } from './index';

type RecordActivities = Pick<
  Activities,
  'recordRun' | 'storeLaneWork' | 'readLaneWork' | 'closeRun' | 'recordVmResults' | 'recordAudit'
>;

/** The run store and the audit trail: what the orchestrations record, and read back. */
export function createRecordActivities(deps: ActivityDeps): RecordActivities {
  return {
    recordRun: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      const existing = await deps.runs.getRun(input.runId);
      await deps.runs.putRun({
        id: input.runId,
        status: input.status,
        createdAt: existing?.createdAt ?? input.createdAt,
        updatedAt: new Date().toISOString(),
        request: input.request,
        ...(input.error !== undefined ? { error: input.error } : {}),
      });
      log({
        level: 'info',
        runId: input.runId,
        vmId: null,
        step: 'recordRun',
        status: input.status,
        ...(input.error !== undefined ? { error: input.error } : {}),
      });
    },

    storeLaneWork: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      await deps.runs.putLaneWork(input.runId, input.lanes);
      const vms = input.lanes.reduce((n, lane) => n + lane.length, 0);
      log({
        level: 'info',
        runId: input.runId,
        vmId: null,
        step: 'storeLaneWork',
        lanes: input.lanes.length,
        vms,
      });
      return { vms };
    },

    readLaneWork: async (input) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      return deps.runs.getLaneWork(input.runId, input.lane, input.offset, input.limit);
    },

    closeRun: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      const open = (await deps.runs.listVmResults(input.runId)).filter((r) => !isFinal(r.outcome));
      if (open.length > 0) {
        await deps.runs.putVmResults(
          input.runId,
          open.map((r) => ({ ...r, outcome: 'failed', reason: input.reason })),
        );
      }
      log({ level: 'info', runId: input.runId, vmId: null, step: 'closeRun', closed: open.length });
      return { closed: open.length };
    },

    recordVmResults: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      await deps.runs.putVmResults(input.runId, input.results);
      const [only] = input.results;
      log({
        level: 'info',
        runId: input.runId,
        // One VM's result (a lane's VM) names it; a batch is counted.
        vmId: input.results.length === 1 && only ? only.vmId : null,
        step: 'recordVmResults',
        vms: input.results.length,
        ...(input.results.length === 1 && only ? { outcome: only.outcome } : {}),
      });
    },

    recordAudit: async (input, log = deps.log) => {
      const rows = Array.isArray(input) ? input : [input];
      for (const row of rows) log({ level: 'info', audit: true, ...row });
      if (rows.length === 1 && rows[0]) await deps.audit.record(rows[0]);
      else if (deps.audit.recordMany) await deps.audit.recordMany(rows);
      else for (const row of rows) await deps.audit.record(row);
    },
  };
}
