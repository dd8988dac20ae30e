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
import { AccelnetError } from '../shared/platform/errors';
import type { Services } from './composition';
import { findStatus } from './durable';

/**
 * GET /api/dashboard[?subscriptionId=ID[&resourceGroup=RG]]: the operator's page. The pause
 * switch, fleet compliance, runs in progress, pending approvals and recent outcomes; with a
 * subscription, a live compliance scan too.
 */
export function dashboard(
  services: Pick<Services, 'approvals' | 'arm' | 'audit' | 'durable' | 'pause' | 'rules' | 'runs'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const { audit, runs, arm, rules, approvals, pause } = services;
    const subscriptionId = request.query.get('subscriptionId')?.trim() ?? '';
    const resourceGroup = request.query.get('resourceGroup')?.trim() || undefined;
    const code = request.query.get('code') ?? undefined;
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
              const snapshot = await discoverFleet(arm(subscriptionId), {
                subscriptionId,
                ...(resourceGroup !== undefined ? { resourceGroup } : {}),
              });
              return complianceRows(assessFleet(snapshot, rules));
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
      { now: new Date(), ...(code !== undefined ? { code } : {}) },
    );
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Nothing but the page itself: inline CSS, no scripts, no external resources.
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      },
      body: renderDashboard(model),
    };
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
