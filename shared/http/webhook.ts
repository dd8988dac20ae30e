import { AccelnetError, ensureError } from '../platform/errors';

/** Sends an approval request; a port so tests and other transports can stand in. */
export type PostJson = (url: string, body: unknown) => Promise<void>;

/** POSTs JSON; 5xx, 408, 429 and network failures are retryable, other statuses are not. */
export const postJson: PostJson = async (url, body) => {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new AccelnetError(
      'ApprovalWebhookUnreachable',
      `The approval webhook could not be reached: ${ensureError(error).message}`,
      { retryable: true, cause: error },
    );
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) {
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new AccelnetError(
      'ApprovalWebhookFailed',
      `The approval webhook answered ${response.status}.`,
      { retryable, status: response.status },
    );
  }
};
