import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

/**
 * The status of an instance, or undefined when there is none. durable-functions 3 throws on
 * an unknown instance id (the extension answers 404); other failures still throw.
 */
export async function findStatus(
  client: DurableClient,
  instanceId: string,
  options: { showInput?: boolean } = {},
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId, options);
  } catch (error) {
    if (error instanceof Error && /HTTP 404 response/.test(error.message)) return undefined;
    throw error;
  }
}
