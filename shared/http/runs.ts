/**
 * How a bulk run is reported, in one place for the API (`GET /api/remediations[/{id}]`) and
 * the dashboard: its status is the stored one, unless its orchestration ended abnormally (it
 * failed, or was terminated) before it could record its end; then it is `failed`, with the
 * orchestration's error. The run list's query is checked here too.
 */
import { z } from 'zod';

import type { RunRecord } from '../domain/ports';
import { describeIssue } from './requests';

/** An orchestration instance as far as a run's status needs it. */
export interface InstanceEnd {
  runtimeStatus: string;
  output?: unknown;
}

const MAX_ERROR = 4000;

/** Why an orchestration ended abnormally, or undefined while it runs or once it completed. */
export function instanceFailure(instance: InstanceEnd | undefined): string | undefined {
  if (!instance) return undefined;
  const output =
    typeof instance.output === 'string'
      ? instance.output
      : instance.output === undefined || instance.output === null
        ? undefined
        : JSON.stringify(instance.output);
  if (instance.runtimeStatus === 'Terminated')
    return `the run was terminated${output !== undefined ? `: ${output}` : ''}`.slice(0, MAX_ERROR);
  if (instance.runtimeStatus !== 'Failed') return undefined;
  return `the run failed: ${output ?? 'no reason given'}`.slice(0, MAX_ERROR);
}

/** A run's status as reported: the stored one, or `failed` when its orchestration died first. */
export function reportedStatus(
  run: Pick<RunRecord, 'status' | 'error'>,
  instance: InstanceEnd | undefined,
): { status: RunRecord['status']; error?: string } {
  const stored = { status: run.status, ...(run.error !== undefined ? { error: run.error } : {}) };
  if (run.status === 'completed' || run.status === 'failed') return stored;
  const failed = instanceFailure(instance);
  return failed !== undefined ? { status: 'failed', error: failed } : stored;
}

/** Whether a stored status may still change (its orchestration is asked when it is). */
export const isOpenStatus = (status: RunRecord['status']): boolean =>
  status === 'running' || status === 'pending-approval';

export const RUN_LIST_DEFAULT = 20;
export const RUN_LIST_MAX = 100;

/** `GET /api/remediations?top=N`: N runs, newest first (1-100, default 20). */
const runListQuery = z.strictObject({
  top: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(
      z.number().min(1, 'must be at least 1').max(RUN_LIST_MAX, `must be at most ${RUN_LIST_MAX}`),
    )
    .default(RUN_LIST_DEFAULT),
});

/**
 * Checks the run list's query (`code`, the function key, is the host's and is left out); an
 * unknown parameter is refused rather than ignored, as unknown fields of a body are.
 */
export function parseRunListQuery(
  query: Iterable<[string, string]>,
): { ok: true; top: number } | { ok: false; message: string } {
  const params: Record<string, string> = {};
  for (const [name, value] of query) {
    if (name === 'code') continue;
    if (name in params) return { ok: false, message: `${name}: must be given once` };
    params[name] = value;
  }
  const parsed = runListQuery.safeParse(params);
  return parsed.success
    ? { ok: true, top: parsed.data.top }
    : {
        ok: false,
        message: describeIssue(parsed.error).replace(
          /^unknown field\(s\)/,
          'unknown query parameter(s)',
        ),
      };
}
