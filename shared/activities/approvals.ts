import { approvalPlan, type ApprovalRequestBody, type ApprovalStore } from '../domain/approvals';
import type { LogPort } from '../domain/ports';
import { approvalUrls } from '../http/approval-links';
import type { PostJson } from '../http/webhook';
import { AccelnetError } from '../platform/errors';
import type { AllActivities } from './index';

export interface ApprovalDeps {
  store: ApprovalStore;
  secret: string;
  /** This service's base URL, which the approve/reject links point at. */
  publicUrl: string;
  webhookUrl: string;
  post: PostJson;
  log: LogPort;
}

/**
 * The approval activities: requestApproval records the request, then posts it to the webhook;
 * closeApproval is the timeout's side of the race with a decision (ApprovalStore.close).
 */
export function createApprovalActivities(
  deps: ApprovalDeps,
): Pick<AllActivities, 'requestApproval' | 'closeApproval'> {
  return {
    closeApproval: async (input, log = deps.log) => {
      const closed = await deps.store.close(input.instanceId, input.nonce, new Date());
      // No such round (it was never recorded): nothing was decided, so the time is up.
      const status = closed?.status === 'pending' || !closed ? 'expired' : closed.status;
      log({
        level: 'info',
        runId: closed?.runId ?? null,
        vmId: closed?.vmId ?? null,
        step: 'approval-close',
        instanceId: input.instanceId,
        result: status,
      });
      return {
        status,
        ...(status !== 'expired' && closed?.decidedBy !== undefined
          ? { by: closed.decidedBy }
          : {}),
      };
    },
    requestApproval: async (input, log = deps.log) => {
      const first = input.vms[0];
      if (!first) throw new AccelnetError('InvalidInput', 'An approval request needs a VM.');
      const expiresAt = Date.parse(input.expiresAt);
      const urls = approvalUrls(deps, {
        instanceId: input.instanceId,
        expiresAt,
        nonce: input.nonce,
      });
      const single = input.vms.length === 1 && !input.scope;
      const body: ApprovalRequestBody = {
        instanceId: input.instanceId,
        vmId: single ? first.vmId : (input.scope?.id ?? first.vmId),
        vmName: single
          ? first.name
          : `${input.vms.length} VMs in ${input.scope?.name ?? 'the run'}`,
        size: [...new Set(input.vms.map((vm) => vm.size))].join(', '),
        plan: approvalPlan(input.vms),
        ...urls,
        expiresAt: input.expiresAt,
      };
      await deps.store.open({
        instanceId: input.instanceId,
        nonce: input.nonce,
        runId: input.runId,
        vmId: body.vmId,
        vmName: body.vmName,
        requestedAt: new Date().toISOString(),
        expiresAt: input.expiresAt,
        status: 'pending',
      });
      const entry = {
        runId: input.runId,
        vmId: body.vmId,
        step: 'approval-request',
        instanceId: input.instanceId,
        expiresAt: input.expiresAt,
      };
      if (deps.webhookUrl === '') {
        log({
          level: 'warn',
          ...entry,
          message:
            'No ACCELNET_APPROVAL_WEBHOOK_URL: the request waits for POST /api/approvals/{instanceId} or the dashboard.',
        });
        return { posted: false };
      }
      await deps.post(deps.webhookUrl, body);
      log({ level: 'info', ...entry, message: 'approval request posted' });
      return { posted: true };
    },
  };
}
