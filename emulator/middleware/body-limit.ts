import type { IncomingMessage } from 'node:http';

import { ArmError, requestTooLarge, unreadableRequest } from '../arm/errors';
import type { Middleware } from '../http/pipeline';

/**
 * Reads the request body, admin and ARM requests alike; a body over `maxBytes` is answered
 * 413 RequestEntityTooLarge (and the connection closed) before it is all read.
 */
export function limitBody(maxBytes: number): Middleware {
  return async (ctx) => {
    try {
      ctx.raw = await readBody(ctx.req, maxBytes);
    } catch (error) {
      const e = error instanceof ArmError ? error : unreadableRequest();
      ctx.answer(e.status, e.toBody(), { ...e.headers, Connection: 'close' });
    }
  };
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw requestTooLarge(maxBytes);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
