/**
 * Following a bulk run until it ends, on stderr: a progress bar on a terminal, one line per VM
 * as its outcome lands otherwise. When the run waits for approval, a person at the terminal
 * is shown the plan and asked (unless --yes); anyone else is told how to decide.
 */
import { Presets, SingleBar } from 'cli-progress';

import { isFinal } from '../shared/domain/outcomes';
import { decide, waitForPending } from './approvals';
import { table } from './format';
import { confirm } from './prompt';
import { counts, groupOf, nameOf, type RunView, vms } from './runView';
import type { ServiceClient } from './service';

export const EXIT_INTERRUPTED = 130;
const POLL_MS = 250;
/** How long a just-started run may be missing from the run store before that is an error. */
const APPEAR_MS = 60_000;

/** Ctrl-C (or SIGTERM) while following: the first stops following, a second exits at once. */
export class Interrupt {
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

export interface FollowOptions {
  client: ServiceClient;
  id: string;
  /** A person at this terminal decides an approval the run waits for. */
  ask: boolean;
  /** How to decide from elsewhere, e.g. `accelnet approve bulk-…`. */
  approveHint: string;
  /** Show progress (not with --only-show-errors). */
  progress: boolean;
  note: (line: string) => void;
  interrupt: Interrupt;
}

/** The run once it has ended; undefined when interrupted first. */
export async function follow(o: FollowOptions): Promise<RunView | undefined> {
  const tty = process.stderr.isTTY === true;
  const reported = new Set<string>();
  let bar: SingleBar | undefined;
  const showBar = (run: RunView | undefined): void => {
    if (!tty || !o.progress) return;
    const total = Math.max(run?.vms.length ?? 0, 1);
    const done = run ? run.vms.filter((v) => isFinal(v.outcome)).length : 0;
    const summary = run && run.vms.length > 0 ? counts(run.vms) : 'planning';
    if (!bar) {
      bar = new SingleBar(
        {
          format: ' {bar} {value}/{total} VMs | {summary}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
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
  const lines = (run: RunView): void => {
    if (tty || !o.progress) return;
    const width = Math.max(12, ...run.vms.map((v) => nameOf(v.vmId).length));
    for (const vm of run.vms) {
      if (!isFinal(vm.outcome) || reported.has(vm.vmId.toLowerCase())) continue;
      reported.add(vm.vmId.toLowerCase());
      process.stderr.write(
        `${`${nameOf(vm.vmId).padEnd(width)} ${vm.outcome.padEnd(18)} ${vm.reason ?? ''}`.trimEnd()}\n`,
      );
    }
  };

  const appearBy = Date.now() + APPEAR_MS;
  let asked = false;
  let last: RunView | undefined;
  showBar(undefined);
  try {
    while (!o.interrupt.fired) {
      const run = await get(o.client, o.id);
      if (!run) {
        if (Date.now() > appearBy) throw new Error(`run ${o.id} did not appear in the run store`);
        await o.interrupt.sleep(POLL_MS);
        continue;
      }
      last = run;
      lines(run);
      showBar(run);
      if (run.status === 'completed' || run.status === 'failed') return run;
      if (run.status === 'pending-approval' && !asked) {
        asked = true;
        const pending = run.vms.filter((v) => v.outcome === 'pending-approval');
        if (o.ask) {
          stopBar();
          const decided = await askAndDecide(o, run, pending);
          if (decided === undefined) return undefined;
          showBar(run);
        } else {
          stopBar();
          o.note(
            `Run ${o.id} waits for a decision on ${vms(pending.length)}: ${o.approveHint} (add --reject to reject), or the approval email; without one it ends rejected after ACCELNET_APPROVAL_TIMEOUT.`,
          );
          showBar(run);
        }
      }
      await o.interrupt.sleep(POLL_MS);
    }
    return undefined;
  } finally {
    if (bar && last) showBar(last);
    stopBar();
  }
}

/** Shows the plan, asks, and decides every request of the run; undefined when interrupted. */
async function askAndDecide(
  o: FollowOptions,
  run: RunView,
  pending: RunView['vms'],
): Promise<boolean | undefined> {
  process.stderr.write(
    `\nRun ${run.id} waits for approval. The plan: remediate ${vms(pending.length)} (each is deallocated, its NICs get Accelerated Networking, and it is started again if it ran):\n`,
  );
  process.stderr.write(
    `${indent(
      table(
        ['NAME', 'RESOURCE GROUP', 'POWER'],
        pending.map((v) => [nameOf(v.vmId), groupOf(v.vmId), v.originalPowerState]),
      ),
    )}\n`,
  );
  const approved = await confirm(`Approve the plan for ${vms(pending.length)}?`);
  if (approved === undefined) {
    o.interrupt.fire();
    return undefined;
  }
  const requests = await waitForPending(o.client, o.id);
  const results = await Promise.all(requests.map((r) => decide(o.client, r, approved)));
  const acted = results.some((r) => r.decision === 'approved' || r.decision === 'rejected');
  o.note(
    !acted
      ? 'The run no longer waits for a decision.'
      : approved
        ? 'Approved: remediating.'
        : 'Rejected: nothing is changed.',
  );
  return approved;
}

/** The run, or undefined while the run store does not have it yet. */
export async function get(client: ServiceClient, id: string): Promise<RunView | undefined> {
  try {
    return (await client.call('GET', `/api/remediations/${encodeURIComponent(id)}`)) as RunView;
  } catch (error) {
    if (
      (error as { status?: number }).status === 404 &&
      (error as { code?: string }).code === 'NotFound'
    )
      return undefined;
    throw error;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
