/** Event Grid as the app's webhook gets it: resource write events, and where they go. */
import { EVENT_FUNCTION } from '../../host/local';
import { SUB } from './arm';

/** The route of the app's Event Grid webhook on a host; with `key`, the function key as `code`. */
export function eventWebhook(key?: string): string {
  const route = `/runtime/webhooks/eventgrid?functionName=${EVENT_FUNCTION}`;
  return key === undefined ? route : `${route}&code=${encodeURIComponent(key)}`;
}

/**
 * A well-formed ResourceWriteSuccess event (Event Grid schema) for a VM write to `resource` by
 * `principal`, raised in the topic of resource group `rg` of the test subscription.
 */
export function vmWriteEvent(
  resource: string,
  { id, rg, principal }: { id: string; rg: string; principal: string },
): Record<string, unknown> {
  return {
    id,
    topic: `/subscriptions/${SUB}/resourceGroups/${rg}`,
    subject: resource,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date().toISOString(),
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      operationName: 'Microsoft.Compute/virtualMachines/write',
      resourceUri: resource,
      subscriptionId: SUB,
      status: 'Succeeded',
      authorization: { evidence: { principalId: principal } },
    },
  };
}
