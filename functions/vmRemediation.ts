import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { RemediateVmInput } from '../shared/activities/contracts';
import { parseVmId, vmInstanceId } from '../shared/domain/events';
import type { PowerState } from '../shared/domain/model';
import type { VmOutcome } from '../shared/domain/outcomes';
import { errorResponse } from '../shared/http/route';
import type { Services } from './composition';
import { findStatus } from './durable';

/** GET /api/vms/{vmId}/remediation: the latest event-triggered run for a VM. */
export function vmRemediation(
  services: Pick<Services, 'durable'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const raw = request.params.vmId ?? '';
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return errorResponse(400, 'InvalidVmId', 'The VM id is not valid URL encoding.');
    }
    const vm = parseVmId(decoded);
    if (!vm) {
      return errorResponse(
        400,
        'InvalidVmId',
        `'${decoded.slice(0, 200)}' is not a virtual machine resource id (/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}), URL-encoded.`,
      );
    }
    const client = services.durable(context);
    const status = await findStatus(client, vmInstanceId(vm), { showInput: true });
    if (!status?.runtimeStatus) {
      return errorResponse(
        404,
        'NotFound',
        `No event-triggered run has been recorded for ${vm.id}.`,
      );
    }
    return { status: 200, jsonBody: vmRunView(vm.id, status) };
  };
}

interface StatusLike {
  runtimeStatus?: string;
  output?: unknown;
  customStatus?: unknown;
  input?: unknown;
  createdTime?: Date | string;
  lastUpdatedTime?: Date | string;
}

/** The per-VM shape of the contract, from a durable instance's status. */
export function vmRunView(
  vmId: string,
  status: StatusLike,
): VmOutcome & { instanceStatus: string; mode?: string } {
  const input = status.input as Partial<RemediateVmInput> | undefined;
  const mode = input?.mode;
  if (status.runtimeStatus === 'Completed' && status.output && typeof status.output === 'object') {
    return {
      ...(status.output as VmOutcome),
      instanceStatus: status.runtimeStatus,
      ...(mode ? { mode } : {}),
    };
  }
  const phase = (status.customStatus as { phase?: string } | undefined)?.phase;
  const unknown: PowerState = 'unknown';
  const failed = status.runtimeStatus === 'Failed' || status.runtimeStatus === 'Terminated';
  return {
    vmId,
    outcome: failed ? 'failed' : phase === 'pending-approval' ? 'pending-approval' : 'in-progress',
    ...(failed ? { reason: `the run ended ${String(status.runtimeStatus).toLowerCase()}` } : {}),
    reasons: [],
    originalPowerState: unknown,
    finalPowerState: unknown,
    steps: [],
    instanceStatus: status.runtimeStatus ?? 'Unknown',
    ...(mode ? { mode } : {}),
  };
}
