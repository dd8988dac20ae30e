/**
 * `accelnet scan`: the compliance report of a subscription, resource group or VM; changes
 * nothing. Through the running service (GET /api/compliance), or self-contained against ARM.
 */
import { type Command, Option } from 'commander';

import {
  assessFleet,
  type ComplianceRow,
  complianceRows,
  discoverFleet,
} from '../../shared/arm/discovery';
import { parseVmId } from '../../shared/domain/events';
import type { RuleSettings } from '../../shared/domain/model';
import { loadCliSettings, loadSettings } from '../../shared/platform/config';
import { AccelnetError } from '../../shared/platform/errors';
import { connectOrSelfContained, type ServiceConnection } from '../connect';
import { armFailure } from '../errors';
import { csv, table } from '../format';
import {
  examples,
  givenFlags,
  notes,
  outputOptions,
  parseVmName,
  resourceGroupOption,
  selfContainedOptions,
  serviceOptions,
  subscriptionOption,
  withOptions,
} from '../options';
import { type OutputOptions, print } from '../output';
import { requireSubscriptionId, resolveSubscription, subscriptionArg } from '../subscriptions';
import { type ArmTarget, resolveTarget } from '../target';
import { UsageError } from '../usage';

interface ScanOptions extends OutputOptions {
  subscription?: string;
  resourceGroup?: string;
  name?: string;
  service?: string;
  key?: string;
  armEndpoint?: string;
  azure?: boolean;
  caFile?: string;
  onlyShowErrors?: boolean;
}

const SUB = '00000000-0000-0000-0000-000000000001';

export function registerScan(program: Command): void {
  const command = program
    .command('scan')
    .summary('Report compliance; change nothing')
    .description(
      'Report the Accelerated Networking compliance of a subscription, resource group or VM; changes nothing. Through the running accelnet, or self-contained against ARM.',
    )
    .addOption(subscriptionOption())
    .addOption(resourceGroupOption())
    .addOption(new Option('-n, --name <vm>', 'only this VM (with -g)').argParser(parseVmName));
  withOptions(
    command,
    outputOptions(),
    serviceOptions(),
    selfContainedOptions(),
    new Option('--ca-file <path>', 'PEM of a CA to trust for --arm-endpoint'),
  )
    .addHelpText(
      'after',
      examples([
        [
          'The running accelnet (`accelnet start`) scans a subscription:',
          `accelnet scan -s ${SUB}`,
        ],
        ['One resource group, as CSV:', `accelnet scan -s ${SUB} -g rg-data -o csv`],
        [
          'The names of the VMs to remediate:',
          `accelnet scan -s ${SUB} --query "[?action=='remediate'].name" -o tsv`,
        ],
        ['One VM:', `accelnet scan -s ${SUB} -g rg-app -n web-1 -o json`],
        [
          'Self-contained, against a running `accelnet emulator`:',
          `accelnet scan -s ${SUB} --arm-endpoint https://127.0.0.1:8443`,
        ],
      ]),
    )
    .action(async (options: ScanOptions, command: Command) => {
      const settings = loadCliSettings();
      const subscription = subscriptionArg(options.subscription, settings.subscription);
      if (options.name !== undefined && options.resourceGroup === undefined)
        throw new UsageError("--name: give the VM's resource group with -g/--resource-group.");
      const note = notes(options.onlyShowErrors);
      const local = givenFlags(command, {
        armEndpoint: '--arm-endpoint',
        azure: '--azure',
        caFile: '--ca-file',
      });
      if (options.azure && options.armEndpoint !== undefined)
        throw new UsageError('--azure: give either --azure or --arm-endpoint, not both.');
      const conn = await connectOrSelfContained(options, local, settings);
      let rows: ComplianceRow[];
      if (conn.kind === 'service') {
        const id = requireSubscriptionId(
          subscription,
          `the accelnet service at ${conn.client.url}`,
        );
        if (conn.source === 'found')
          note(`Scanning through the accelnet service at ${conn.client.url}.`);
        rows = await scanThrough(conn, id, options.resourceGroup);
      } else {
        const rules = settingsOrUsage();
        let what = '';
        const target = await resolveTarget(options, 'accelnet-cli', (w) => (what = w));
        note(`${capital(conn.why)}; reading ARM directly: ${what}.`);
        try {
          const id = await resolveSubscription(subscription, target);
          rows = await scan(
            target,
            { subscriptionId: id, resourceGroup: options.resourceGroup },
            rules,
          );
        } finally {
          await target.close();
        }
      }
      if (options.name !== undefined) {
        const name = options.name.toLowerCase();
        rows = rows.filter((r) => r.name.toLowerCase() === name);
        if (rows.length === 0)
          throw new AccelnetError(
            'VmNotFound',
            `no VM named '${options.name}' in resource group ${options.resourceGroup} of subscription ${subscription}: \`accelnet scan -s ${subscription} -g ${options.resourceGroup}\` lists its VMs.`,
          );
      }
      print(rows, options, { table: scanTable, csv: scanCsv });
    });
}

/** GET /api/compliance: the same rows, read by the service with its own identity. */
async function scanThrough(
  conn: ServiceConnection,
  subscription: string,
  resourceGroup: string | undefined,
): Promise<ComplianceRow[]> {
  const query = new URLSearchParams({
    subscriptionId: subscription,
    ...(resourceGroup ? { resourceGroup } : {}),
  });
  try {
    return (await conn.client.call(
      'GET',
      `/api/compliance?${query.toString()}`,
    )) as ComplianceRow[];
  } catch (error) {
    throw notFound(error, conn.client.url);
  }
}

/** A 404 of the service for a subscription or group, in words. */
export function notFound(error: unknown, url: string): unknown {
  if (
    error instanceof AccelnetError &&
    (error.code === 'SubscriptionNotFound' || error.code === 'ResourceGroupNotFound')
  ) {
    const what = error.code === 'SubscriptionNotFound' ? '--subscription' : '--resource-group';
    return new AccelnetError(
      error.code,
      `${error.message.replace(/\.?$/, '')} (404 ${error.code}, from ARM through the accelnet service at ${url}): check ${what} (\`az ${error.code === 'SubscriptionNotFound' ? 'account' : 'group'} list -o table\`).`,
      { status: 404 },
    );
  }
  return error;
}

/** The compliance report of a scope: reads only, changes nothing. */
export async function scan(
  target: ArmTarget,
  scope: { subscriptionId: string; resourceGroup?: string | undefined },
  rules: RuleSettings,
): Promise<ComplianceRow[]> {
  try {
    const snapshot = await discoverFleet(target.arm(scope.subscriptionId), {
      subscriptionId: scope.subscriptionId,
      ...(scope.resourceGroup !== undefined ? { resourceGroup: scope.resourceGroup } : {}),
    });
    return complianceRows(assessFleet(snapshot, rules));
  } catch (error) {
    throw armFailure(error, target.endpoint);
  }
}

function groupOf(row: ComplianceRow): string {
  return parseVmId(row.vmId)?.resourceGroup ?? '';
}

/** The reasons of a row in words (every reason's sentence). */
function sentence(row: ComplianceRow): string {
  return row.reasons.map((r) => r.message.replace(/\s+/g, ' ').trim()).join(' ');
}

export function scanTable(rows: ComplianceRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const summary = [...counts.entries()].map(([action, n]) => `${n} ${action}`).join(', ');
  const body = table(
    ['NAME', 'RESOURCE GROUP', 'SIZE', 'POWER', 'COMPLIANT', 'ACTION', 'REASON'],
    rows.map((r) => [
      r.name,
      groupOf(r),
      r.size,
      r.powerState,
      r.compliant ? 'yes' : 'no',
      r.action,
      sentence(r),
    ]),
  );
  return `${body}\n\n${rows.length} VM${rows.length === 1 ? '' : 's'}: ${summary || 'none'}`;
}

export function scanCsv(rows: ComplianceRow[]): string {
  return csv(
    [
      'vmId',
      'name',
      'resourceGroup',
      'size',
      'location',
      'powerState',
      'compliant',
      'eligible',
      'action',
      'reasons',
      'reason',
    ],
    rows.map((r) => [
      r.vmId,
      r.name,
      groupOf(r),
      r.size,
      r.location,
      r.powerState,
      String(r.compliant),
      String(r.eligible),
      r.action,
      r.reasons.map((x) => x.code).join(';'),
      sentence(r),
    ]),
  );
}

function settingsOrUsage(): RuleSettings {
  try {
    return loadSettings();
  } catch (error) {
    if (error instanceof AccelnetError) throw new UsageError(error.message);
    throw error;
  }
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
