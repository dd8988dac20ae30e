/**
 * `accelnet approve RUN_OR_INSTANCE_ID [--reject]`: decides what a run waits for, as an
 * operator with the function key (POST /api/approvals/{instanceId}): every request of a bulk
 * run (one for the plan, or one per VM), or one instance. A decision is final.
 */
import { type Command, InvalidArgumentError } from 'commander';

import { loadCliSettings } from '../../shared/platform/config';
import { AccelnetError } from '../../shared/platform/errors';
import { decide, type Decided, listPending, type Pending, pendingOf } from '../approvals';
import { connectService } from '../connect';
import { get } from '../follow';
import { table } from '../format';
import { examples, notes, outputOptions, serviceOptions, withOptions } from '../options';
import { type OutputOptions, print } from '../output';
import { type ServiceClient } from '../service';

interface ApproveOptions extends OutputOptions {
  reject?: boolean;
  service?: string;
  key?: string;
  onlyShowErrors?: boolean;
}

/** A run id (bulk-<uuid>) or an orchestration instance id, as `accelnet status` prints them. */
export function parseInstanceId(value: string): string {
  if (!/^[A-Za-z0-9][\w:.@-]{0,199}$/.test(value))
    throw new InvalidArgumentError(
      'must be a run id (bulk-<uuid>) or the instance id of an approval request (`accelnet status` and GET /api/approvals show them).',
    );
  return value;
}

/** How long a run that is still planning may take to ask (a run just started by --no-wait). */
const PLANNING_MS = 60_000;

/**
 * The requests waiting under the id; for a bulk run still planning, those it asks for once
 * it has planned (or none, if it ends without asking).
 */
async function pendingFor(client: ServiceClient, id: string): Promise<Pending[]> {
  const deadline = Date.now() + PLANNING_MS;
  for (;;) {
    const waiting = pendingOf(await listPending(client), id);
    if (waiting.length > 0 || !id.startsWith('bulk-') || Date.now() > deadline) return waiting;
    const run = await get(client, id);
    if (run && run.status !== 'running') {
      // It asked meanwhile (the list was read before), or it will not ask.
      return run.status === 'pending-approval' ? pendingOf(await listPending(client), id) : [];
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function registerApprove(program: Command): void {
  const command = program
    .command('approve')
    .summary('Approve or reject what a run waits for')
    .description(
      'Approve (or with --reject, reject) what a run waits for: every approval request of a bulk run, or one instance. A decision is final.',
    )
    .argument(
      '<run-or-instance-id>',
      'a bulk run id, or an approval request instance id',
      parseInstanceId,
    )
    .option('--reject', 'reject instead: the VMs are left as they are');
  withOptions(command, outputOptions(), serviceOptions())
    .addHelpText(
      'after',
      examples([
        [
          'Approve the plan of a run that waits (`accelnet remediate --approval required`):',
          'accelnet approve bulk-<uuid>',
        ],
        ['Reject it:', 'accelnet approve bulk-<uuid> --reject'],
        [
          "What waits for a decision (the service's list):",
          'curl -H "x-functions-key: $ACCELNET_FUNCTION_KEY" http://127.0.0.1:7071/api/approvals',
        ],
      ]),
    )
    .action(async (id: string, options: ApproveOptions) => {
      const conn = await connectService(options, loadCliSettings());
      const waiting = await pendingFor(conn.client, id);
      if (waiting.length === 0)
        throw new AccelnetError(
          'NothingToDecide',
          `nothing waits for a decision under ${id} at the accelnet service at ${conn.client.url}: it was decided, expired, or never asked (\`accelnet status${id.startsWith('bulk-') ? ` ${id}` : ''}\` shows ${id.startsWith('bulk-') ? 'the run' : 'the runs'}).`,
          { status: 404 },
        );
      const approve = options.reject !== true;
      const decided: Decided[] = [];
      for (const request of waiting) decided.push(await decide(conn.client, request, approve));
      print(decided, options, {
        table: (rows) =>
          table(
            ['INSTANCE', 'RUN', 'VMS', 'DECISION'],
            rows.map((r) => [r.instanceId, r.runId ?? '', r.vmName ?? '', r.decision]),
          ),
      });
      const acted = decided.filter((d) => d.decision === 'approved' || d.decision === 'rejected');
      if (acted.length === 0)
        throw new AccelnetError(
          'DecisionNotTaken',
          `no decision was taken: ${decided.map((d) => `${d.instanceId} ${d.decision}`).join(', ')}.`,
          { status: 409 },
        );
      notes(options.onlyShowErrors)(
        approve
          ? `Approved: the run goes on (\`accelnet status ${decided[0]?.runId ?? id} --watch\` follows it).`
          : 'Rejected: the VMs are left as they are.',
      );
    });
}
