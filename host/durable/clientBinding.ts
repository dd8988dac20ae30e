/** The value of a `durableClient` input binding, as the Durable extension provides it. */

/** Builds the binding data `df.getClient(context)` reads. */
export function durableClientData(options: {
  baseUrl: string;
  rpcBaseUrl: string;
  taskHubName: string;
  systemKey?: string;
}): Record<string, unknown> {
  const base = `${options.baseUrl.replace(/\/+$/, '')}/runtime/webhooks/durabletask`;
  const query = `taskHub=${encodeURIComponent(options.taskHubName)}&connection=Storage${
    options.systemKey ? `&code=${encodeURIComponent(options.systemKey)}` : ''
  }`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName: options.taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl: options.rpcBaseUrl,
    httpBaseUrl: base,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  };
}
