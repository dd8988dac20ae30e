import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { assessFleet, complianceRows, discoverFleet } from '../shared/arm/discovery';
import {
  type InstancePort,
  type InstanceView,
  loadDashboard,
  renderDashboard,
} from '../shared/dashboard/index';
import { isGuid, isResourceGroupName } from '../shared/http/requests';
import { pageResponse } from '../shared/http/route';
import { AccelnetError } from '../shared/platform/errors';
import type { Services } from './composition';
import { findStatus } from './durable';
import { checkScope } from './scope';

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
/** `approved`, `rejected`, or an error code: what a decision's redirect back may say. */
const RESULT = /^[A-Za-z][A-Za-z-]{0,63}$/;

/**
 * GET /api/dashboard[?subscriptionId=ID[&resourceGroup=RG]]: the operator's page. The pause
 * switch, fleet compliance, runs in progress, pending approvals and recent outcomes; with a
 * subscription, a live compliance scan too. `confirm=ID&decision=approve|reject` shows the
 * confirmation of a decision (its button POSTs it); `decided=ID&result=…` says what the last
 * decision came to (the decision's redirect back).
 */
export function dashboard(
  services: Pick<Services, 'approvals' | 'arm' | 'audit' | 'durable' | 'pause' | 'rules' | 'runs'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const { audit, runs, arm, rules, approvals, pause } = services;
    const subscriptionId = request.query.get('subscriptionId')?.trim() ?? '';
    const resourceGroup = request.query.get('resourceGroup')?.trim() || undefined;
    const code = request.query.get('code') ?? undefined;
    const decidedId = request.query.get('decided') ?? '';
    const result = request.query.get('result') ?? '';
    const confirmId = request.query.get('confirm') ?? '';
    const decision = request.query.get('decision');
    const scan =
      subscriptionId === ''
        ? undefined
        : {
            subscriptionId,
            ...(resourceGroup !== undefined ? { resourceGroup } : {}),
            rows: async () => {
              if (!isGuid(subscriptionId))
                throw new AccelnetError('InvalidRequest', 'subscriptionId must be a GUID.');
              if (resourceGroup !== undefined && !isResourceGroupName(resourceGroup))
                throw new AccelnetError(
                  'InvalidRequest',
                  'resourceGroup is not a resource group name.',
                );
              const scope = {
                subscriptionId,
                ...(resourceGroup !== undefined ? { resourceGroup } : {}),
              };
              const ports = arm(subscriptionId);
              // A scope ARM does not know says so (SubscriptionNotFound, ResourceGroupNotFound).
              const refused = await checkScope(ports, scope);
              if (refused) {
                const { error } = refused.jsonBody as { error: { code: string; message: string } };
                throw new AccelnetError(error.code, error.message, {
                  ...(refused.status !== undefined ? { status: refused.status } : {}),
                });
              }
              return complianceRows(assessFleet(await discoverFleet(ports, scope), rules));
            },
          };
    const model = await loadDashboard(
      {
        audit,
        runs,
        approvals,
        pause,
        instances: durableInstances(services.durable(context)),
        ...(scan ? { scan } : {}),
      },
      {
        now: new Date(),
        ...(code !== undefined ? { code } : {}),
        ...(INSTANCE_ID.test(decidedId) && RESULT.test(result)
          ? { decided: { instanceId: decidedId, result } }
          : {}),
        ...(INSTANCE_ID.test(confirmId) && (decision === 'approve' || decision === 'reject')
          ? { confirm: { instanceId: confirmId, decision } }
          : {}),
      },
    );
    return pageResponse(200, renderDashboard(model));
  };
}

/** The task hub as the dashboard reads it, through the durable client. */
function durableInstances(client: df.DurableClient): InstancePort {
  const view = (s: df.DurableOrchestrationStatus): InstanceView => ({
    instanceId: s.instanceId,
    name: s.name,
    runtimeStatus: String(s.runtimeStatus),
    customStatus: s.customStatus,
    createdTime: new Date(s.createdTime).toISOString(),
    lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
    input: s.input,
    output: s.output,
  });
  return {
    listActive: async () =>
      (
        await client.getStatusBy({
          runtimeStatus: [
            df.OrchestrationRuntimeStatus.Running,
            df.OrchestrationRuntimeStatus.Pending,
          ],
        })
      ).map(view),
    get: async (instanceId) => {
      const status = await findStatus(client, instanceId, { showInput: true });
      return status ? view(status) : undefined;
    },
  };
}
