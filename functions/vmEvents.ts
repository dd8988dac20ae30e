import type { EventGridEvent, InvocationContext } from '@azure/functions';
import type { DurableOrchestrationStatus } from 'durable-functions';

import { ORCHESTRATION, type RemediateVmInput } from '../shared/activities/contracts';
import { classifyEvent, vmInstanceId } from '../shared/domain/events';
import { AccelnetError } from '../shared/platform/errors';
import { contextLog, type Services } from './composition';
import { findStatus } from './durable';

const ACTIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/**
 * Event Grid trigger: a VM was written. The VM's event runs share one instance id (derived
 * from the VM id), so duplicates and bursts collapse into one run. No write is lost: a write the
 * VM's run has seen, or will see because it reads the VM again before acting, is collapsed into
 * it; a write made after the run read the VM is deferred until that run ends (the delivery fails
 * and Event Grid delivers it again), then starts a run of its own. Event Grid delivers at least
 * once and in no order, so a delivery after a run ended is new only if the write came after the
 * run's last read of the VM.
 */
export function vmWriteEvents(
  services: Pick<Services, 'durable' | 'settings'>,
): (event: EventGridEvent, context: InvocationContext) => Promise<void> {
  return async (event: EventGridEvent, context: InvocationContext) => {
    const { settings } = services;
    const log = contextLog(context);
    const verdict = classifyEvent(event, settings.selfPrincipalId);
    if (verdict.kind !== 'vm-write') {
      log({
        level: verdict.kind === 'invalid' ? 'warn' : 'debug',
        step: 'event',
        eventId: (event as { id?: string }).id,
        result: verdict.kind,
        reason: verdict.reason,
      });
      return;
    }
    const client = services.durable(context);
    const instanceId = vmInstanceId(verdict.vm);
    const existing = await findStatus(client, instanceId, { showInput: true });
    const running = existing?.runtimeStatus !== undefined && ACTIVE.has(existing.runtimeStatus);
    if (existing?.runtimeStatus !== undefined && seenByRun(verdict, existing)) {
      log({
        level: 'info',
        step: 'event',
        vmId: verdict.vm.id,
        eventId: verdict.eventId,
        result: running ? 'collapsed' : 'already-handled',
        instanceId,
      });
      return;
    }
    if (running) {
      // The run read the VM before this write and acts on what it read: the write must not be
      // lost, and must not start a second run on the VM now. Failing the delivery makes Event
      // Grid deliver it again later (10 s, 30 s, 1 min, 5 min, …); by then the run has ended and
      // the write starts a run of its own, which reads the VM afresh.
      log({
        level: 'info',
        step: 'event',
        vmId: verdict.vm.id,
        eventId: verdict.eventId,
        result: 'deferred',
        instanceId,
      });
      throw new AccelnetError(
        'WriteDeferred',
        `VM ${verdict.vm.name} was written after run ${instanceId} read it; the write is handled once that run ends (Event Grid delivers it again).`,
        { retryable: true },
      );
    }
    const input: RemediateVmInput = {
      vm: verdict.vm,
      mode: settings.mode,
      trigger: 'event',
      runId: instanceId,
      eventId: verdict.eventId,
      approvalTimeoutMs: settings.approvalTimeoutMs,
      retryIntervalMs: settings.retryIntervalMs,
      pausePollMs: settings.pausePollMs,
    };
    try {
      await client.startNew(ORCHESTRATION.remediateVm, { instanceId, input });
      log({
        level: 'info',
        step: 'event',
        vmId: verdict.vm.id,
        eventId: verdict.eventId,
        result: 'started',
        instanceId,
        mode: settings.mode,
      });
    } catch (error) {
      // Another delivery of the same burst started the run first.
      const again = await findStatus(client, instanceId);
      if (again?.runtimeStatus !== undefined && ACTIVE.has(again.runtimeStatus)) {
        log({
          level: 'info',
          step: 'event',
          vmId: verdict.vm.id,
          eventId: verdict.eventId,
          result: 'collapsed',
          instanceId,
        });
        return;
      }
      throw error;
    }
  };
}

/**
 * Whether a run of the VM has seen (or will see) a write: the run was started by this very
 * event; or it is waiting (no `readFrom` in its status), so it reads the VM again before acting;
 * or it read the VM after the write (`readFrom`, or a finished run's `factsReadAt`, is later than
 * the event's time). Runs from before `factsReadAt` existed fall back to their creation time.
 */
export function seenByRun(
  event: { eventId: string; eventTime: string },
  run: Pick<
    DurableOrchestrationStatus,
    'runtimeStatus' | 'input' | 'customStatus' | 'output' | 'createdTime'
  >,
): boolean {
  const input = run.input as { eventId?: unknown } | undefined;
  if (input?.eventId === event.eventId) return true;
  const written = Date.parse(event.eventTime);
  if (!Number.isFinite(written)) return false;
  if (ACTIVE.has(run.runtimeStatus)) {
    const readFrom = (run.customStatus as { readFrom?: unknown } | undefined)?.readFrom;
    if (typeof readFrom !== 'string') return true;
    return written < Date.parse(readFrom);
  }
  const readAt = (run.output as { factsReadAt?: unknown } | undefined)?.factsReadAt;
  const since =
    typeof readAt === 'string' ? Date.parse(readAt) : new Date(run.createdTime).getTime();
  return Number.isFinite(since) && written < since;
}
