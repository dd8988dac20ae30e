/**
 * Fleets, views and the invariants the reliability suite checks after every run, read from
 * the emulator's admin API and the service's own HTTP API.
 */
import http from 'node:http';

import type { ArmEmulator } from '../../../emulator/server';
import { admin, SUB } from '../../support/arm';

export const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

export interface VmView {
  id: string;
  name: string;
  resourceGroup: string;
  powerState: string;
  deallocations: number;
  nics: {
    id: string;
    enableAcceleratedNetworking: boolean;
    acceleratedNetworkingEffective: boolean;
  }[];
  timeline?: { powerState: string; at: number }[];
}

export interface Op {
  seq: number;
  time: string;
  principal: string;
  method: string;
  path: string;
  operation: string;
  status: number;
  code?: string;
  vmPowerState?: string;
}

export interface VmResult {
  vmId: string;
  outcome: string;
  reason?: string;
  originalPowerState: string;
  finalPowerState: string;
}

export interface RunView {
  id: string;
  status: string;
  summary: Record<string, number>;
  vms: VmResult[];
}

export const NIC_WRITE = 'Microsoft.Network/networkInterfaces/write';
export const nameOf = (id: string): string => id.split('/').pop() ?? id;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A mixed fleet of `n` VMs in one resource group: 80% running and eligible, 10% deallocated
 * and eligible, 5% of a size without the capability, 5% already accelerated.
 */
export function mixedFleet(rg: string, n: number): Record<string, unknown> {
  const off = Math.max(1, Math.round(n * 0.1));
  const tiny = Math.max(1, Math.round(n * 0.05));
  const ok = Math.max(1, Math.round(n * 0.05));
  const app = n - off - tiny - ok;
  const vm = (name: string, count: number, extra: Record<string, unknown> = {}) => ({
    name,
    count,
    size: 'Standard_D4s_v5',
    image: JAMMY,
    ...extra,
  });
  return {
    subscriptionId: SUB,
    resourceGroups: [
      {
        name: rg,
        vms: [
          vm('app', app),
          vm('off', off, { size: 'Standard_D2s_v5', powerState: 'deallocated' }),
          vm('tiny', tiny, { size: 'Standard_B2s' }),
          vm('ok', ok, { acceleratedNetworking: true }),
        ],
      },
    ],
  };
}

/** The VMs of the mixed fleet that should be remediated. */
export const eligibleInMixed = (name: string): boolean => /^(app|off)-\d+$/.test(name);

export async function fleetOf(em: ArmEmulator, rg: string, timeline = false): Promise<VmView[]> {
  const res = await admin<{ vms: VmView[] }>(
    em,
    'GET',
    `/_emulator/vms${timeline ? '?timeline=true' : ''}`,
  );
  return res.body.vms.filter((v) => v.resourceGroup.toLowerCase() === rg.toLowerCase());
}

export async function opsSince(em: ArmEmulator, since = 0): Promise<Op[]> {
  return (await admin<{ operations: Op[] }>(em, 'GET', `/_emulator/operations?since=${since}`)).body
    .operations;
}

export async function lastSeq(em: ArmEmulator): Promise<number> {
  return (await opsSince(em)).reduce((m, o) => Math.max(m, o.seq), 0);
}

/** The power state of a VM at a time, from its timeline. */
export function stateAt(vm: VmView, at: number): string | undefined {
  let state: string | undefined;
  for (const e of vm.timeline ?? []) {
    if (e.at <= at) state = e.powerState;
    else break;
  }
  return state;
}

/** The VM a NIC belongs to, by the NIC's id. */
function vmOfNic(fleet: VmView[], nicPath: string): VmView | undefined {
  const lower = nicPath.toLowerCase();
  return fleet.find((v) => v.nics.some((n) => n.id.toLowerCase() === lower));
}

export interface InvariantInput {
  before: VmView[];
  after: VmView[];
  /** The service's view of each VM's outcome (a bulk run's vms, or each VM's event-triggered run). */
  outcomes: VmResult[];
  /** The operations of the run (all principals; only accelnet's are judged). */
  ops: Op[];
  eligible: (name: string) => boolean;
  principal?: string;
}

/**
 * The invariants of every run, as a list of violations (empty when they hold):
 * 1. no VM that was running ends anything but running;
 * 2. every eligible VM ends remediated, or failed with a reason;
 * 3. no NIC PUT from accelnet reaches a VM that is not deallocated (the operation log's
 *    `vmPowerState`, and the VM's power timeline at the time of the write);
 * 4. a VM the service says is remediated has Accelerated Networking on every NIC.
 */
export function invariantViolations(input: InvariantInput): string[] {
  const violations: string[] = [];
  const principal = input.principal ?? 'accelnet';
  const after = new Map(input.after.map((v) => [v.id.toLowerCase(), v]));
  const outcome = new Map(input.outcomes.map((o) => [o.vmId.toLowerCase(), o]));
  for (const vm of input.before) {
    const now = after.get(vm.id.toLowerCase());
    if (vm.powerState === 'running' && now?.powerState !== 'running')
      violations.push(`${vm.name}: was running, ended ${now?.powerState ?? 'missing'}`);
    if (!input.eligible(vm.name)) continue;
    const result = outcome.get(vm.id.toLowerCase());
    if (result?.outcome === 'remediated') {
      if (!now?.nics.every((n) => n.enableAcceleratedNetworking))
        violations.push(`${vm.name}: remediated but a NIC lacks Accelerated Networking`);
    } else if (result?.outcome === 'failed') {
      if (!result.reason) violations.push(`${vm.name}: failed without a reason`);
    } else {
      violations.push(
        `${vm.name}: eligible but ended ${result?.outcome ?? 'without an outcome'}${result?.reason ? ` (${result.reason})` : ''}`,
      );
    }
  }
  for (const op of input.ops) {
    if (op.principal !== principal || op.operation !== NIC_WRITE) continue;
    if (op.status < 200 || op.status >= 300) continue;
    const vm = vmOfNic(input.after, op.path);
    if (!vm) continue;
    const timelineState = stateAt(vm, Date.parse(op.time));
    if (op.vmPowerState !== 'deallocated' || timelineState !== 'deallocated')
      violations.push(
        `${vm.name}: NIC PUT #${op.seq} reached it ${op.vmPowerState ?? '?'} (timeline: ${timelineState ?? '?'})`,
      );
  }
  return violations;
}

/** A plain HTTP call to the host (no keep-alive: hosts restart under tests). */
export interface Answer {
  status: number;
  body: string;
  json: unknown;
  headers: http.IncomingHttpHeaders;
}

export function call(
  base: string,
  method: string,
  route: string,
  options: {
    key?: string;
    body?: unknown;
    raw?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const url = new URL(route, base);
  if (options.key !== undefined) url.searchParams.set('code', options.key);
  const payload =
    options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Polls a bulk run until it completes or fails. */
export async function runToEnd(
  base: string,
  key: string,
  id: string,
  timeoutMs: number,
): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(base, 'GET', `/api/remediations/${id}`, { key }).catch(() => undefined);
    const run = res?.status === 200 ? (res.json as RunView) : undefined;
    if (run && (run.status === 'completed' || run.status === 'failed')) return run;
    if (Date.now() > deadline)
      throw new Error(`run ${id} did not end within ${timeoutMs} ms: ${res?.body ?? 'no answer'}`);
    await sleep(200);
  }
}

/** Counts of outcomes in a list of VM results. */
export function countOutcomes(vms: VmResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of vms) out[v.outcome] = (out[v.outcome] ?? 0) + 1;
  return out;
}
