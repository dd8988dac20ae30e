/**
 * Local webhook receivers for the emulator's Event Grid tests: an HTTP server on a free port
 * that records every request, answers the subscription handshake of either schema correctly
 * unless told otherwise, and answers event deliveries as the test says.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Destroy the connection instead of answering. */
  destroy?: boolean;
}

export interface ReceiverHandlers {
  /** Answers the n-th event delivery (0-based); default 200. */
  notify?: (n: number, request: Received) => Reply | undefined;
  /** Answers handshakes; default a correct answer for either schema. */
  validate?: (request: Received) => Reply | undefined;
}

export interface Receiver {
  url: string;
  /** Every request, handshakes and deliveries, in arrival order. */
  requests: Received[];
  /** Event deliveries (not handshakes), in arrival order. */
  notifications: () => Received[];
  /** The status the receiver answered a delivery with (undefined for a destroyed connection). */
  statusOf: (request: Received) => number | undefined;
  close: () => Promise<void>;
}

const servers: Server[] = [];

const isNotification = (request: Received): boolean =>
  request.headers['aeg-event-type'] === 'Notification';

/** Starts a receiver at `http://127.0.0.1:{free port}{path}`; `closeReceivers` ends them all. */
export async function startReceiver(
  handlers: ReceiverHandlers = {},
  path = '/api/events',
): Promise<Receiver> {
  const requests: Received[] = [];
  const statuses = new Map<Received, number>();
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      let reply: Reply;
      if (isNotification(received)) {
        reply = handlers.notify?.(count, received) ?? { status: 200 };
        count += 1;
      } else {
        reply = (handlers.validate ?? answerHandshake)(received) ?? { status: 200 };
      }
      if (reply.destroy === true) {
        req.socket.destroy();
        return;
      }
      statuses.set(received, reply.status);
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    notifications: () => requests.filter(isNotification),
    statusOf: (request) => statuses.get(request),
    close: () => closeServer(server),
  };
}

/**
 * What a correct webhook answers: the CloudEvents allowed origin to an OPTIONS, the validation
 * code to an Event Grid schema validation event; undefined (a plain 200) to anything else.
 */
export function answerHandshake(request: Received): Reply | undefined {
  if (request.method === 'OPTIONS') {
    return {
      status: 200,
      headers: { 'WebHook-Allowed-Origin': String(request.headers['webhook-request-origin']) },
    };
  }
  if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
    const [event] = JSON.parse(request.body) as { data: { validationCode: string } }[];
    return { status: 200, body: { validationResponse: event!.data.validationCode } };
  }
  return undefined;
}

/** Closes every receiver started (for an afterEach). */
export async function closeReceivers(): Promise<void> {
  await Promise.all(servers.splice(0).map(closeServer));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
