import { createHash } from 'node:crypto';

import type { ResourceWriteSuccessEventData } from '@azure/eventgrid';
import { z } from 'zod';

/** A VM, by the parts of its resource id. */
export interface VmRef {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** Longest resource group name Azure accepts. */
export const RESOURCE_GROUP_MAX_LENGTH = 90;
/**
 * Longest VM name Azure accepts: 64 characters for a Linux VM (15 for Windows), as "Naming
 * rules and restrictions for Azure resources", Microsoft.Compute/virtualMachines, states:
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcompute
 */
export const VM_NAME_MAX_LENGTH = 64;

const VM_ID = new RegExp(
  `^/subscriptions/([0-9a-fA-F-]{36})/resourceGroups/([-\\w._()]{1,${RESOURCE_GROUP_MAX_LENGTH}})` +
    `/providers/Microsoft\\.Compute/virtualMachines/([a-zA-Z0-9][a-zA-Z0-9._-]{0,${VM_NAME_MAX_LENGTH - 1}})$`,
  'i',
);

/** Parses a VM resource id strictly: anything else (other types, traversal, child resources) is refused. */
export function parseVmId(id: string): VmRef | undefined {
  const m = VM_ID.exec(id);
  if (!m?.[1] || !m[2] || !m[3] || m[2].endsWith('.') || m[3].includes('..')) return undefined;
  return {
    id: `/subscriptions/${m[1]}/resourceGroups/${m[2]}/providers/Microsoft.Compute/virtualMachines/${m[3]}`,
    subscriptionId: m[1].toLowerCase(),
    resourceGroup: m[2],
    name: m[3],
  };
}

/**
 * The durable instance id of the event-triggered run of a VM: the same for every event
 * about that VM, so duplicates and bursts collapse into one run.
 */
export function vmInstanceId(vm: Pick<VmRef, 'id'>): string {
  const hash = createHash('sha256').update(vm.id.toLowerCase()).digest('hex').slice(0, 32);
  return `accelnet-vm-${hash}`;
}

export const WRITE_SUCCESS = 'Microsoft.Resources.ResourceWriteSuccess';
export const VM_WRITE = 'Microsoft.Compute/virtualMachines/write';

const writeData = z.looseObject({
  operationName: z.string(),
  resourceUri: z.string().optional(),
  subscriptionId: z.string().optional(),
  authorization: z
    .looseObject({ evidence: z.looseObject({ principalId: z.string().optional() }).optional() })
    .optional(),
  claims: z.record(z.string(), z.unknown()).optional(),
});

const eventGridEvent = z.looseObject({
  id: z.string().min(1),
  eventType: z.string().min(1),
  subject: z.string(),
  eventTime: z.string(),
  data: z.unknown(),
});

const cloudEvent = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string(),
  subject: z.string().optional(),
  time: z.string().optional(),
  // Azure's own samples spell it both ways; type, source and id identify a CloudEvent.
  specversion: z.string().optional(),
  data: z.unknown(),
});

export type EventVerdict =
  | {
      kind: 'vm-write';
      vm: VmRef;
      eventId: string;
      eventTime: string;
      principalId: string | undefined;
    }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

/**
 * Decides what one delivered event means to accelnet, in either schema: a VM written by
 * someone else (remediate it), or something to ignore (with why), or a malformed event.
 */
export function classifyEvent(raw: unknown, selfPrincipalId: string): EventVerdict {
  const asEventGrid = eventGridEvent.safeParse(raw);
  const asCloud = asEventGrid.success ? undefined : cloudEvent.safeParse(raw);
  if (!asEventGrid.success && !asCloud?.success) {
    return {
      kind: 'invalid',
      reason: 'not an Event Grid or CloudEvents 1.0 event (missing id, type or data)',
    };
  }
  const type = asEventGrid.success ? asEventGrid.data.eventType : (asCloud?.data?.type ?? '');
  const id = asEventGrid.success ? asEventGrid.data.id : (asCloud?.data?.id ?? '');
  const time = asEventGrid.success ? asEventGrid.data.eventTime : (asCloud?.data?.time ?? '');
  const subject = asEventGrid.success ? asEventGrid.data.subject : (asCloud?.data?.subject ?? '');
  const rawData = asEventGrid.success ? asEventGrid.data.data : asCloud?.data?.data;

  if (type !== WRITE_SUCCESS)
    return { kind: 'ignored', reason: `event type ${type} is not ${WRITE_SUCCESS}` };
  const parsed = writeData.safeParse(rawData);
  if (!parsed.success)
    return { kind: 'invalid', reason: 'ResourceWriteSuccess event without data.operationName' };
  const data = parsed.data as Partial<ResourceWriteSuccessEventData> & z.infer<typeof writeData>;
  if (data.operationName.toLowerCase() !== VM_WRITE.toLowerCase()) {
    return { kind: 'ignored', reason: `operation ${data.operationName} is not ${VM_WRITE}` };
  }
  const resourceId = data.resourceUri ?? subject;
  const vm = parseVmId(resourceId);
  if (!vm)
    return {
      kind: 'invalid',
      reason: `resource id '${resourceId.slice(0, 300)}' is not a virtual machine id`,
    };
  if (subject && parseVmId(subject)?.id.toLowerCase() !== vm.id.toLowerCase()) {
    return { kind: 'invalid', reason: 'subject and data.resourceUri name different resources' };
  }
  if (
    data.subscriptionId !== undefined &&
    data.subscriptionId.toLowerCase() !== vm.subscriptionId
  ) {
    return { kind: 'invalid', reason: 'data.subscriptionId does not match the resource id' };
  }
  const claim = data.claims?.[OBJECT_ID_CLAIM];
  const principalId =
    data.authorization?.evidence?.principalId ?? (typeof claim === 'string' ? claim : undefined);
  if (
    selfPrincipalId !== '' &&
    principalId !== undefined &&
    principalId.toLowerCase() === selfPrincipalId.toLowerCase()
  ) {
    return { kind: 'ignored', reason: "the write was made by accelnet's own identity" };
  }
  return { kind: 'vm-write', vm, eventId: id, eventTime: time, principalId };
}
