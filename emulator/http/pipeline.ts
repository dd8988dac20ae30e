import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ArmError } from '../arm/errors';
import type { JsonObject } from '../arm/json';
import type { RequestInfo } from '../arm/request';
import type { RouteMatch } from './router';

/**
 * A step of the request pipeline. It reads and enriches the context, and either lets the
 * request go on (returns) or answers it (`ctx.answer`/`ctx.fail`/`ctx.drop`), which ends the
 * pipeline. Only steps that wait for something return a promise.
 */
export type Middleware = (ctx: RequestContext) => void | Promise<void>;

/** Told of every answer (the operation log), with its status and error code. */
export interface AnswerListener {
  answered(ctx: RequestContext, status: number, code: string | undefined): void;
}

/** Runs the steps in order until one answers. */
export async function runPipeline(
  steps: readonly Middleware[],
  ctx: RequestContext,
): Promise<void> {
  for (const step of steps) {
    const pending = step(ctx);
    if (pending) await pending;
    if (ctx.answered) return;
  }
}

const EMPTY = Buffer.alloc(0);

/** One request on its way through the pipeline, and its answer. */
export class RequestContext {
  readonly method: string;
  readonly url: URL;
  /** The body as read (body-limit). */
  raw: Buffer = EMPTY;
  /** Headers every later answer carries: request ids, then rate limits. */
  answerHeaders: Record<string, string> = {};
  correlationId = '';
  /** The route the path names (route matching); undefined for none. */
  match: RouteMatch | undefined;
  /** The caller (authentication). */
  principal: string | undefined;
  apiVersion = '';
  /** The JSON object the request carried (JSON body). */
  body: JsonObject = {};
  /** Set when an `lro-failed` fault fired. */
  lroFailure: RequestInfo['lroFailure'];
  /** Facts for the operation log, from the route. */
  logFacts: Readonly<Record<string, string>> | undefined;
  /** When the request arrived (ISO 8601), for the operation log. */
  arrivedAt = '';
  /**
   * Told of the answer. (A listener set once, not a closure per request: a closure that holds
   * the context kept each request's objects alive through two scavenges, tripling GC work.)
   */
  listener: AnswerListener | undefined;
  answered = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly baseUrl: string,
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    this.url = new URL(req.url ?? '/', baseUrl);
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  answer(status: number, body: unknown, headers: Record<string, string> = {}, code?: string): void {
    this.answered = true;
    this.listener?.answered(this, status, code);
    send(this.res, status, body, { ...this.answerHeaders, ...headers });
  }

  fail(error: ArmError, headers: Record<string, string> = {}): void {
    this.answer(error.status, error.toBody(), { ...headers, ...error.headers }, error.code);
  }

  /** Answers with a dropped connection (status 0 in the operation log). */
  drop(code: string): void {
    this.answered = true;
    this.listener?.answered(this, 0, code);
    this.res.socket?.destroy();
  }
}

/** Writes a JSON answer (or an empty one for an undefined body). */
export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  if (body === undefined) {
    res.writeHead(status, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
