import type { EventGridEvent, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { classifyEvent, vmInstanceId } from '../shared/events';
import { ORCHESTRATION, type RemediateVmInput } from '../shared/workflow';
import { contextLog, getServices } from './composition';
import { findStatus } from './durable';

const ACTIVE = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/**
 * Event Grid trigger: a VM was written. Duplicates and bursts collapse into the VM's one
 * run (its instance id is derived from the VM id); a VM written after its run started gets a
 * new run once that one has ended. Event Grid delivers at least once and in no order, so a
 * delivery that arrives after the run ended is a new write only if the write happened after
 * the run began: the run read the VM after any earlier write.
 */
export async function vmWriteEvents(
  event: EventGridEvent,
  context: InvocationContext,
): Promise<void> {
  const { settings } = getServices();
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
  const client = df.getClient(context);
  const instanceId = vmInstanceId(verdict.vm);
  const existing = await findStatus(client, instanceId);
  if (existing?.runtimeStatus !== undefined && ACTIVE.has(existing.runtimeStatus)) {
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
  if (existing?.runtimeStatus !== undefined && seenBy(verdict.eventTime, existing.createdTime)) {
    log({
      level: 'info',
      step: 'event',
      vmId: verdict.vm.id,
      eventId: verdict.eventId,
      result: 'already-handled',
      instanceId,
    });
    return;
  }
  const input: RemediateVmInput = {
    vm: verdict.vm,
    mode: settings.mode,
    trigger: 'event',
    runId: instanceId,
    eventId: verdict.eventId,
    approvalTimeoutMs: settings.approvalTimeoutMs,
    retryIntervalMs: settings.retryIntervalMs,
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
}

/**
 * Whether a write at `eventTime` was already seen by a run created at `runCreated`: the run
 * began after the write. An event without a readable time is treated as new.
 */
export function seenBy(eventTime: string, runCreated: Date | string | undefined): boolean {
  const written = Date.parse(eventTime);
  const created = runCreated === undefined ? Number.NaN : new Date(runCreated).getTime();
  return Number.isFinite(written) && Number.isFinite(created) && written < created;
}
