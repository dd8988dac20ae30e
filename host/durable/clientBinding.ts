/**
 * The value of a `durableClient` input binding, as the Durable extension provides it to an
 * out-of-process worker (BindingHelper.cs:50-66 at extension v2.13.7): the task hub, the
 * creation and management URLs of the HTTP API, its base URL, the query string every call
 * carries, and the RPC base URL the durable-functions client prefers.
 */

/** The instance id placeholder of the management URLs (BindingHelper.cs:14). */
export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

/** Builds the binding data `df.getClient(context)` reads. */
export function durableClientData(options: {
  baseUrl: string;
  rpcBaseUrl: string;
  taskHubName: string;
  systemKey?: string;
}): Record<string, unknown> {
  const base = `${options.baseUrl.replace(/\/+$/, '')}/runtime/webhooks/durabletask`;
  // The webhook's own query (the system key) is what every call carries
  // (HttpApiHandler.GetUniversalQueryStrings); the management URLs add the task hub and the
  // connection in front of it (HttpApiHandler.GetClientResponseLinks, connection "Storage",
  // the Azure Storage provider's default).
  const universal = options.systemKey ? `code=${encodeURIComponent(options.systemKey)}` : '';
  const management = [
    `taskHub=${encodeURIComponent(options.taskHubName)}`,
    'connection=Storage',
    ...(universal ? [universal] : []),
  ].join('&');
  const instance = `${base}/instances/${INSTANCE_ID_PLACEHOLDER}`;
  const create = `${base}/orchestrators/{functionName}[/{instanceId}]`;
  return {
    taskHubName: options.taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${create}?${universal}`,
      createAndWaitOnNewInstancePostUri: `${create}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${universal}`,
    },
    managementUrls: {
      id: INSTANCE_ID_PLACEHOLDER,
      statusQueryGetUri: `${instance}?${management}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${management}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${management}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${management}`,
      purgeHistoryDeleteUri: `${instance}?${management}`,
      restartPostUri: `${instance}/restart?${management}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${management}`,
      resumePostUri: `${instance}/resume?reason={text}&${management}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: universal,
    rpcBaseUrl: options.rpcBaseUrl,
    httpBaseUrl: base,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  };
}
