import { createWriteStream, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';

import { Presets, SingleBar } from 'cli-progress';

import { DEMO_FLEET } from '../emulator/demo-fleet';
import { seedFleet } from '../emulator/seed';
import { type LocalTwin, startLocal } from '../host/local';
import { type BulkRequest, type Outcome } from '../shared/activities/contracts';
import { parseVmId } from '../shared/domain/events';
import { FINE_OUTCOMES, isFinal, OUTCOMES, type VmOutcome } from '../shared/domain/outcomes';
import type { RunRecord } from '../shared/domain/ports';
import { lockDataDir, noteTakeover } from './dataDirLock';
import { table } from './format';

/** Exit statuses: no VM failed, some VM failed (or the run did), the API refused the request. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_REQUEST = 2;
export const EXIT_INTERRUPTED = 130;

/** `accelnet remediate`: the bulk request, and where ARM and the local host's state are. */
export interface RemediateOptions extends BulkRequest {
  /** Azure itself: https://management.azure.com with DefaultAzureCredential. */
  azure?: boolean;
  /** Another ARM endpoint; without it (and without azure), an embedded emulator. */
  armEndpoint?: string;
  dataDir: string;
  /** Time scale of the embedded emulator. */
  timeScale: number;
}

/** A VM's outcome as GET /api/remediations/{id} shows it. */
type RunVm = Omit<VmOutcome, 'reasons' | 'steps'> & Partial<Pick<VmOutcome, 'reasons' | 'steps'>>;

/** A bulk run as GET /api/remediations/{id} shows it. */
interface RunView {
  id: string;
  status: RunRecord['status'];
  createdAt?: string;
  summary?: Record<string, number>;
  vms: RunVm[];
  error?: string;
}

/** The body of an API answer, as far as this command reads it. */
type ApiBody =
  { id?: unknown; error?: { code?: unknown; message?: unknown } | null } | null | undefined;

type Started = { ok: true; id: string } | { ok: false; message: string };

const POLL_MS = 200;
/** How long a just-started run may be missing from the run store before that is an error. */
const APPEAR_MS = 60_000;
/**
 * Starts the local twin, runs one bulk remediation through it, follows it, reports; returns the
 * exit status. It holds its --data-dir while it runs: a second command on it is refused.
 */
export async function runRemediate(options: RemediateOptions): Promise<number> {
  const lock = await lockDataDir(options.dataDir, 'remediate');
  noteTakeover(lock);
  try {
    return await remediate(options);
  } finally {
    lock.release();
  }
}

async function remediate(options: RemediateOptions): Promise<number> {
  const embedded = !options.azure && !options.armEndpoint;
  if (embedded) {
    // The embedded emulator starts empty: runs persisted against an earlier one are void.
    rmSync(path.join(options.dataDir, 'durable'), { recursive: true, force: true });
  }
  const logFile = path.join(options.dataDir, 'accelnet.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const note = (line: string): void => void process.stderr.write(`${line}\n`);
  const interrupt = new Interrupt();
  let twin: LocalTwin | undefined;
  try {
    // A loopback --arm-endpoint (e.g. `accelnet emulator`): startLocal trusts its CA and
    // polls on its clock, as for the embedded one.
    twin = await startLocal({
      port: 0,
      dataDir: options.dataDir,
      ...(options.azure ? { azure: true } : {}),
      ...(options.armEndpoint ? { armEndpoint: options.armEndpoint } : {}),
      timeScale: options.timeScale,
      settings: {},
      log: (line) => void logStream.write(`${line}\n`),
    });
    if (twin.emulator) {
      seedFleet(twin.emulator.world, DEMO_FLEET, { baseUrl: twin.emulator.url, events: false });
      note(
        `No --arm-endpoint: using an embedded ARM emulator at ${twin.emulator.url} (time scale ${options.timeScale}) seeded with the demo fleet (subscription ${DEMO_FLEET.subscriptionId}).`,
      );
    }
    const api = new HostApi(twin.host.url, twin.functionKey);
    const started = await api.start(options);
    if (!started.ok) {
      note(`error: ${started.message}`);
      return EXIT_BAD_REQUEST;
    }
    note(
      `Run ${started.id}${options.dryRun ? ' (dry run)' : ''} on the local host ${twin.host.url}, ARM ${twin.armEndpoint}; host log ${logFile}.`,
    );
    const run = await follow(api, started.id, interrupt);
    if (!run) {
      note(
        embedded
          ? 'Interrupted: the run stopped with the local host and the embedded emulator.'
          : `Interrupted: the run stopped with the local host; its state is in ${path.join(options.dataDir, 'durable')}, and a host started on the same --data-dir resumes it.`,
      );
      return EXIT_INTERRUPTED;
    }
    process.stdout.write(`\n${report(run)}\n`);
    if (run.status === 'failed') {
      note(`error: run ${run.id} failed${run.error ? `: ${run.error}` : ''}.`);
      return EXIT_FAILED;
    }
    return run.vms.some((v) => v.outcome === 'failed') ? EXIT_FAILED : EXIT_OK;
  } finally {
    interrupt.dispose();
    await twin?.stop();
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
  }
}

/** The function app's HTTP API on the local host, with its function key. */
class HostApi {
  constructor(
    private readonly url: string,
    readonly key: string,
  ) {}

  async start(options: BulkRequest): Promise<Started> {
    const body = {
      subscriptionId: options.subscriptionId,
      ...(options.resourceGroup !== undefined ? { resourceGroup: options.resourceGroup } : {}),
      ...(options.vmIds && options.vmIds.length > 0 ? { vmIds: options.vmIds } : {}),
      dryRun: options.dryRun,
      maxParallel: options.maxParallel,
      approval: options.approval,
      ...(options.approval === 'required' ? { approvalScope: options.approvalScope } : {}),
      ...(options.includeAvailabilitySets ? { includeAvailabilitySets: true } : {}),
    };
    const res = await fetch(`${this.url}/api/remediations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': this.key },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    const json = parseJson(text) as ApiBody;
    if (res.status === 202 && typeof json?.id === 'string') return { ok: true, id: json.id };
    if (res.status === 400) {
      const code = typeof json?.error?.code === 'string' ? json.error.code : 'BadRequest';
      const message = typeof json?.error?.message === 'string' ? json.error.message : text;
      return { ok: false, message: `the service refused the request (${code}): ${message}` };
    }
    throw new Error(
      `POST /api/remediations answered ${res.status}: ${text.slice(0, 300).replace(/\s+/g, ' ')}`,
    );
  }

  /** The run, or undefined while the run store does not have it yet. */
  async get(id: string): Promise<RunView | undefined> {
    const res = await fetch(`${this.url}/api/remediations/${encodeURIComponent(id)}`, {
      headers: { 'x-functions-key': this.key },
    });
    const text = await res.text();
    if (res.status === 404) return undefined;
    if (res.status !== 200)
      throw new Error(
        `GET /api/remediations/${id} answered ${res.status}: ${text.slice(0, 300).replace(/\s+/g, ' ')}`,
      );
    return JSON.parse(text) as RunView;
  }

  /** The operator's approval route of one waiting instance. */
  approvalUrl(instanceId: string): string {
    return `${this.url}/api/approvals/${encodeURIComponent(instanceId)}`;
  }

  /** The instances of this run that wait for a decision, once their requests are recorded. */
  async pendingApprovals(runId: string): Promise<string[]> {
    for (let attempt = 0; ; attempt += 1) {
      const waiting = await this.listPending(runId);
      if (waiting.length > 0 || attempt >= 50) return waiting;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async listPending(runId: string): Promise<string[]> {
    const res = await fetch(`${this.url}/api/approvals`, {
      headers: { 'x-functions-key': this.key },
    });
    const text = await res.text();
    if (res.status !== 200)
      throw new Error(`GET /api/approvals answered ${res.status}: ${text.slice(0, 300)}`);
    const body = parseJson(text) as { pending?: { instanceId?: unknown; runId?: unknown }[] };
    return (body.pending ?? [])
      .filter((p) => p.runId === runId && typeof p.instanceId === 'string')
      .map((p) => p.instanceId as string);
  }

  /** Decides every waiting approval of the run. */
  async decide(runId: string, approved: boolean): Promise<'ok' | 'gone'> {
    const waiting = await this.pendingApprovals(runId);
    if (waiting.length === 0) return 'gone';
    let delivered = 0;
    for (const instanceId of waiting) {
      const res = await fetch(this.approvalUrl(instanceId), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-functions-key': this.key },
        body: JSON.stringify({ decision: approved ? 'approve' : 'reject', by: 'accelnet-cli' }),
      });
      const text = await res.text();
      if (res.status === 200) delivered += 1;
      // Decided already (409), expired (410), or no longer asked (403, 404): not this one.
      else if (![403, 404, 409, 410].includes(res.status))
        throw new Error(
          `POST /api/approvals/${instanceId} answered ${res.status}: ${text.slice(0, 300)}`,
        );
    }
    return delivered > 0 ? 'ok' : 'gone';
  }
}

/** Ctrl-C (or SIGTERM) while following: the first stops following, a second exits at once. */
class Interrupt {
  #fired = false;
  #wake: (() => void) | undefined;
  #onSignal = (): void => {
    if (this.#fired) process.exit(EXIT_INTERRUPTED);
    this.fire();
  };

  constructor() {
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  get fired(): boolean {
    return this.#fired;
  }

  fire(): void {
    this.#fired = true;
    this.#wake?.();
  }

  /** Waits ms, or less when interrupted. */
  sleep(ms: number): Promise<void> {
    if (this.#fired) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  dispose(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }
}

/** Follows the run until it ends: a bar on a TTY, one line per VM outcome otherwise. */
async function follow(
  api: HostApi,
  id: string,
  interrupt: Interrupt,
): Promise<RunView | undefined> {
  const tty = process.stdout.isTTY === true;
  const interactive = tty && process.stdin.isTTY === true;
  const reported = new Set<string>();
  let bar: SingleBar | undefined;
  const showBar = (run: RunView | undefined): void => {
    if (!tty) return;
    const total = Math.max(run?.vms.length ?? 0, 1);
    const done = run ? run.vms.filter((v) => isFinal(v.outcome)).length : 0;
    const summary = run ? counts(run.vms) || 'planning' : 'planning';
    if (!bar) {
      bar = new SingleBar(
        {
          format: ' {bar} {value}/{total} VMs | {summary}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stdout,
        },
        Presets.shades_classic,
      );
      bar.start(total, done, { summary });
    } else {
      bar.setTotal(total);
      bar.update(done, { summary });
    }
  };
  const stopBar = (): void => {
    bar?.stop();
    bar = undefined;
  };

  const appearBy = Date.now() + APPEAR_MS;
  let asked = false;
  let last: RunView | undefined;
  showBar(undefined);
  try {
    while (!interrupt.fired) {
      const run = await api.get(id);
      if (!run) {
        if (Date.now() > appearBy) throw new Error(`run ${id} did not appear in the run store`);
        await interrupt.sleep(POLL_MS);
        continue;
      }
      last = run;
      if (!tty) {
        const width = Math.max(12, ...run.vms.map((v) => nameOf(v.vmId).length));
        for (const vm of run.vms) {
          if (!isFinal(vm.outcome) || reported.has(vm.vmId.toLowerCase())) continue;
          reported.add(vm.vmId.toLowerCase());
          process.stdout.write(
            `${nameOf(vm.vmId).padEnd(width)} ${vm.outcome.padEnd(18)} ${vm.reason ?? ''}`.trimEnd() +
              '\n',
          );
        }
      }
      showBar(run);
      if (run.status === 'completed' || run.status === 'failed') return run;
      if (run.status === 'pending-approval' && !asked) {
        asked = true;
        const pending = run.vms.filter((v) => v.outcome === 'pending-approval');
        if (interactive) {
          stopBar();
          const approved = await ask(pending, interrupt);
          if (approved === undefined) return undefined;
          const result = await api.decide(id, approved);
          process.stdout.write(
            result === 'gone'
              ? 'The run no longer waits for a decision.\n'
              : approved
                ? 'Approved: remediating.\n'
                : 'Rejected: nothing is changed.\n',
          );
          showBar(run);
        } else {
          const waiting = await api.pendingApprovals(id);
          process.stdout.write(
            `Approval required for ${vms(pending.length)}: approve with ${waiting
              .map(
                (instanceId) =>
                  `curl -X POST -H 'content-type: application/json' -H 'x-functions-key: ${api.key}' -d '{"decision": "approve"}' '${api.approvalUrl(instanceId)}'`,
              )
              .join(
                ' and ',
              )} (or "reject"); without a decision the run ends rejected after ACCELNET_APPROVAL_TIMEOUT.\n`,
          );
        }
      }
      await interrupt.sleep(POLL_MS);
    }
    return undefined;
  } finally {
    if (bar && last) showBar(last);
    stopBar();
  }
}

/** Asks on the terminal; undefined when interrupted. */
async function ask(pending: RunVm[], interrupt: Interrupt): Promise<boolean | undefined> {
  process.stdout.write(
    `\nThe plan: remediate ${vms(pending.length)} (each is deallocated, its NICs get Accelerated Networking, and it is started again if it ran):\n`,
  );
  process.stdout.write(
    `${indent(
      table(
        ['VM', 'RESOURCE GROUP', 'POWER'],
        pending.map((v) => [nameOf(v.vmId), groupOf(v.vmId), v.originalPowerState]),
      ),
    )}\n`,
  );
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const controller = new AbortController();
  rl.on('SIGINT', () => {
    controller.abort();
    interrupt.fire();
  });
  try {
    const answer = await rl.question(`Approve the plan for ${vms(pending.length)}? [y/N] `, {
      signal: controller.signal,
    });
    return /^y(es)?$/i.test(answer.trim());
  } catch (error) {
    if (controller.signal.aborted) {
      process.stdout.write('\n');
      return undefined;
    }
    throw error;
  } finally {
    rl.close();
  }
}

/** The final report: counts by outcome, then the VMs that need attention. */
export function report(run: RunView): string {
  const tally = tallyOf(run.vms);
  const parts = [
    table(
      ['OUTCOME', 'VMS'],
      [...tally.entries()].map(([outcome, n]) => [outcome, String(n)]),
    ),
    '',
    `${vms(run.vms.length)}: ${counts(run.vms) || 'none'}`,
  ];
  const planned = run.vms.filter((v) => v.outcome === 'planned');
  if (planned.length > 0) {
    parts.push(
      '',
      'Planned (dry run; nothing was changed):',
      table(
        ['VM', 'RESOURCE GROUP', 'POWER'],
        planned.map((v) => [nameOf(v.vmId), groupOf(v.vmId), v.originalPowerState]),
      ),
    );
  }
  const attention = run.vms.filter((v) => !FINE_OUTCOMES.has(v.outcome));
  if (attention.length > 0) {
    const rank = (o: Outcome): number => ['failed', 'rejected', 'skipped'].indexOf(o) >>> 0;
    attention.sort(
      (a, b) => rank(a.outcome) - rank(b.outcome) || nameOf(a.vmId).localeCompare(nameOf(b.vmId)),
    );
    parts.push(
      '',
      'Need attention:',
      table(
        ['VM', 'RESOURCE GROUP', 'OUTCOME', 'REASON', 'POWER'],
        attention.map((v) => [
          nameOf(v.vmId),
          groupOf(v.vmId),
          v.outcome,
          truncate(v.reason ?? '', 50),
          v.originalPowerState === v.finalPowerState
            ? v.finalPowerState
            : `${v.originalPowerState} -> ${v.finalPowerState}`,
        ]),
      ),
    );
    const details = attention
      .map((v): [string, string] => [nameOf(v.vmId), detailOf(v)])
      .filter(([, detail]) => detail !== '');
    if (details.length > 0) {
      parts.push('', ...details.map(([name, detail]) => `  ${name}: ${truncate(detail, 400)}`));
    }
  }
  return parts.join('\n');
}

/** What a person reads to act: the failed step's detail, or the first reason's sentence. */
function detailOf(vm: RunVm): string {
  if (vm.outcome === 'failed') {
    // A failure's reason is already a sentence; a bare code gets the failed step's detail.
    if (vm.reason && /\s/.test(vm.reason)) return vm.reason;
    const failed = [...(vm.steps ?? [])].reverse().find((s) => s.result === 'failed');
    if (failed?.detail) return `${failed.name}: ${failed.detail}`;
  }
  const reason = vm.reasons?.find((r) => r.code === vm.reason) ?? vm.reasons?.[0];
  if (reason && vm.outcome !== 'rejected') return reason.message;
  if (vm.reason === 'approval-timeout') return 'no decision before ACCELNET_APPROVAL_TIMEOUT';
  if (vm.reason === 'not-found') return 'no such VM (a --vm that does not exist)';
  return '';
}

function tallyOf(vms: RunVm[]): Map<Outcome, number> {
  const tally = new Map<Outcome, number>();
  for (const v of vms) tally.set(v.outcome, (tally.get(v.outcome) ?? 0) + 1);
  const rank = (o: Outcome): number => OUTCOMES.indexOf(o) >>> 0;
  return new Map([...tally.entries()].sort((a, b) => rank(a[0]) - rank(b[0])));
}

function counts(vms: RunVm[]): string {
  return [...tallyOf(vms).entries()].map(([k, n]) => `${n} ${k}`).join(', ');
}

function vms(n: number): string {
  return `${n} VM${n === 1 ? '' : 's'}`;
}

function nameOf(id: string): string {
  return parseVmId(id)?.name ?? id.slice(id.lastIndexOf('/') + 1);
}

function groupOf(id: string): string {
  return parseVmId(id)?.resourceGroup ?? '';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
