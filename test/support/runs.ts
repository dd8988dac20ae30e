/**
 * The service's runs as its HTTP API shows them: a VM's run (`/api/vms/{id}/remediation`) and a
 * bulk run (`/api/remediations/{id}`), read once or until they get somewhere, started, and
 * decided.
 */
import { type Answer, api, type HostTarget } from './http';
import { poll, type PollOptions } from './poll';

export interface Step {
  name: string;
  at: string;
  result: 'ok' | 'skipped' | 'failed';
  detail?: string;
}

/** What a VM's run ended with (or has come to): in a bulk run's `vms`, or a VM's own run. */
export interface VmResult {
  vmId: string;
  outcome: string;
  reason?: string;
  originalPowerState: string;
  finalPowerState: string;
  steps: Step[];
  /** How a remediated VM was changed: `in-place` or `deallocate-cycle`. */
  method?: string;
  /** Why it ended as it did (codes with sentences). */
  reasons?: { code: string; message: string }[];
}

/** A VM's run, as `/api/vms/{id}/remediation` shows it. */
export interface VmRunView extends VmResult {
  reasons: { code: string; message: string }[];
  instanceStatus: string;
}

/** A bulk run, as `/api/remediations/{id}` shows it. */
export interface RunView {
  id: string;
  status: string;
  createdAt: string;
  summary: Record<string, number>;
  vms: VmResult[];
  error?: string;
}

/** The steps of a running VM's remediation, in order. */
export const REMEDIATION_STEPS: readonly string[] = [
  'assess',
  'prepare',
  'deallocate',
  'enableNics',
  'start',
  'verify',
];

/** Outcomes a run is still on its way from. */
export const OPEN_OUTCOMES: readonly string[] = ['in-progress', 'pending-approval'];

/** A VM's run whose orchestration has ended (completed or failed). */
export const instanceEnded = (run: VmRunView): boolean =>
  run.instanceStatus === 'Completed' || run.instanceStatus === 'Failed';
/** A VM's run with an outcome that is final. */
export const outcomeFinal = (run: VmResult): boolean => !OPEN_OUTCOMES.includes(run.outcome);
/** A bulk run that has ended. */
export const runEnded = (run: RunView): boolean =>
  run.status === 'completed' || run.status === 'failed';

/** The answer of a VM's status route, with its view when it answered 200. */
export async function vmRun(
  host: HostTarget,
  vmId: string,
): Promise<Answer & { view?: VmRunView }> {
  const res = await api(host, 'GET', `/api/vms/${encodeURIComponent(vmId)}/remediation`);
  return { ...res, ...(res.status === 200 ? { view: res.json as VmRunView } : {}) };
}

/** Reads a VM's run until it shows a view `done` holds of. */
export async function vmRunUntil(
  host: HostTarget,
  vmId: string,
  done: (run: VmRunView) => boolean,
  options?: PollOptions,
): Promise<VmRunView> {
  const got = await poll(
    `the run of ${vmId}`,
    () => vmRun(host, vmId),
    (res): res is { view: VmRunView } & Answer => res.view !== undefined && done(res.view),
    options,
  );
  return got.view;
}

/** The answer of a bulk run's status URL, with its view when it answered 200. */
export async function bulkRun(host: HostTarget, id: string): Promise<Answer & { view?: RunView }> {
  const res = await api(host, 'GET', `/api/remediations/${id}`);
  return { ...res, ...(res.status === 200 ? { view: res.json as RunView } : {}) };
}

/** Reads a bulk run until it shows a view `done` holds of. */
export async function bulkRunUntil(
  host: HostTarget,
  id: string,
  done: (run: RunView) => boolean,
  options?: PollOptions,
): Promise<RunView> {
  const got = await poll(
    `the bulk run ${id}`,
    () => bulkRun(host, id),
    (res): res is { view: RunView } & Answer => res.view !== undefined && done(res.view),
    options,
  );
  return got.view;
}

/** Reads a bulk run until it has ended, through hosts that go away and come back meanwhile. */
export async function runToEnd(host: HostTarget, id: string, timeoutMs: number): Promise<RunView> {
  const got = await poll(
    `the bulk run ${id} to end`,
    () => bulkRun(host, id).catch(() => undefined),
    (res): res is { view: RunView } & Answer => res?.view !== undefined && runEnded(res.view),
    { timeoutMs, intervalMs: 200 },
  );
  return got.view;
}

/** Starts a bulk run; checks it was accepted (202), and answers its id and status URL. */
export async function startBulk(
  host: HostTarget,
  body: Record<string, unknown>,
): Promise<{ id: string; statusUrl: string }> {
  const res = await api(host, 'POST', '/api/remediations', { body });
  expect(res.status).toBe(202);
  return res.json as { id: string; statusUrl: string };
}

/** Raises a run's ApprovalDecision event through the durable HTTP API; answers the status. */
export async function raiseDecision(
  host: HostTarget,
  instanceId: string,
  decision: unknown,
): Promise<number> {
  const route = `/runtime/webhooks/durabletask/instances/${instanceId}/raiseEvent/ApprovalDecision`;
  return (await api(host, 'POST', route, { body: decision })).status;
}
