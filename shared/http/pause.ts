/**
 * The pause switch's wire shapes: the requests of `POST` and `DELETE /api/pause`, and the state
 * as the routes answer it and the store keeps it (which the CLI checks too).
 */
import { z } from 'zod';

import { describeIssue } from './requests';

export const REASON_MAX = 500;
export const BY_MAX = 200;

/** One line of printable text: it is shown on terminals and on the dashboard. */
const line = (max: number) =>
  z
    .string({ message: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must be one line of text, without control characters');

export const reasonSchema = line(REASON_MAX);
export const bySchema = line(BY_MAX);

/** POST /api/pause: `{reason?, by?}`; unknown fields are refused, as on every route. */
const pauseBody = z.strictObject({ reason: reasonSchema.optional(), by: bySchema.optional() });
/** DELETE /api/pause: no body, or `{by?}`. */
const resumeBody = z.strictObject({ by: bySchema.optional() });

export type PauseRequest = z.output<typeof pauseBody>;
export type ResumeRequest = z.output<typeof resumeBody>;

type Parsed<T> = { ok: true; request: T } | { ok: false; message: string };

function parseWith<T>(schema: z.ZodType<T>, body: unknown): Parsed<T> {
  // No body at all is a request with no fields.
  if (body === undefined) body = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, message: '(body): must be a JSON object' };
  const parsed = schema.safeParse(body);
  return parsed.success
    ? { ok: true, request: parsed.data }
    : { ok: false, message: describeIssue(parsed.error) };
}

/** Validates a pause request body (undefined: no body); the message names the bad field. */
export const parsePauseRequest = (body: unknown): Parsed<PauseRequest> =>
  parseWith(pauseBody, body);

/** Validates a resume request body (undefined: no body); the message names the bad field. */
export const parseResumeRequest = (body: unknown): Parsed<ResumeRequest> =>
  parseWith(resumeBody, body);

/**
 * A pause state: the stored row (a row edited by hand into something else is refused) and the
 * routes' answer (which the CLI checks). Other properties are dropped.
 */
export const pauseStateSchema = z.discriminatedUnion('paused', [
  z.object({
    paused: z.literal(true),
    since: z.iso.datetime(),
    by: z.string(),
    reason: z.string().optional(),
  }),
  z.object({ paused: z.literal(false) }),
]);
