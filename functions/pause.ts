import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { parsePauseRequest, parseResumeRequest } from '../shared/http/pause';
import { errorResponse, readOptionalJson } from '../shared/http/route';
import { contextLog, type Services } from './composition';

/** A pause request is a reason and a name: a few hundred bytes, never a megabyte. */
const BODY_LIMIT = 16 * 1024;
/** Who changed the switch, when the request does not say. */
const OPERATOR = 'operator';

/** GET /api/pause: `{paused, reason?, since?, by?}`. */
export function getPause(services: Pick<Services, 'pause'>): () => Promise<HttpResponseInit> {
  return async () => {
    return { status: 200, jsonBody: await services.pause.get() };
  };
}

/** POST /api/pause `{reason?, by?}`: no run takes another VM down until DELETE. Idempotent. */
export function pauseRuns(
  services: Pick<Services, 'pause'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const body = await readOptionalJson(request, BODY_LIMIT);
    if (!body.ok) return body.response;
    const parsed = parsePauseRequest(body.value);
    if (!parsed.ok) return errorResponse(400, 'InvalidRequest', parsed.message);
    const state = await services.pause.pause(parsed.request.reason, parsed.request.by ?? OPERATOR);
    contextLog(context)({
      level: 'warn',
      step: 'pause',
      result: 'paused',
      since: state.since,
      by: state.by,
      ...(state.reason !== undefined ? { reason: state.reason } : {}),
    });
    return { status: 200, jsonBody: state };
  };
}

/** DELETE /api/pause [`{by?}`]: runs go on. Idempotent. */
export function resumeRuns(
  services: Pick<Services, 'pause'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const body = await readOptionalJson(request, BODY_LIMIT);
    if (!body.ok) return body.response;
    const parsed = parseResumeRequest(body.value);
    if (!parsed.ok) return errorResponse(400, 'InvalidRequest', parsed.message);
    const by = parsed.request.by ?? OPERATOR;
    const state = await services.pause.resume(by);
    contextLog(context)({ level: 'warn', step: 'pause', result: 'resumed', by });
    return { status: 200, jsonBody: state };
  };
}
