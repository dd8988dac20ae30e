/**
 * The reliability suite's fleets, and the invariants it checks after every run, judged from
 * the emulator's views and the service's outcomes.
 */
import { SUB } from '../../support/arm';
import { JAMMY } from '../../support/seed';
import { nameOf, NIC_WRITE, type Op, stateAt, type VmView } from '../../support/views';
import type { PartFigures } from './figures';

/** What the invariants read of a VM's outcome. */
export interface VmOutcome {
  vmId: string;
  outcome: string;
  reason?: string;
}

/**
 * A mixed fleet of `n` VMs in one resource group: 80% running and eligible, 10% deallocated
 * and eligible, 5% of a size without the capability, 5% already accelerated. The eligible
 * ones are of sizes that support AN without requiring it (Dsv3), so every one goes through
 * the deallocate cycle.
 */
export function mixedFleet(rg: string, n: number): Record<string, unknown> {
  const off = Math.max(1, Math.round(n * 0.1));
  const tiny = Math.max(1, Math.round(n * 0.05));
  const ok = Math.max(1, Math.round(n * 0.05));
  const app = n - off - tiny - ok;
  const vm = (name: string, count: number, extra: Record<string, unknown> = {}) => ({
    name,
    count,
    size: 'Standard_D4s_v3',
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
          vm('off', off, { size: 'Standard_D2s_v3', powerState: 'deallocated' }),
          vm('tiny', tiny, { size: 'Standard_B2s' }),
          vm('ok', ok, { acceleratedNetworking: true }),
        ],
      },
    ],
  };
}

/** The VMs of the mixed fleet that should be remediated. */
export const eligibleInMixed = (name: string): boolean => /^(app|off)-\d+$/.test(name);

/** The VM a NIC belongs to, by the NIC's id. */
function vmOfNic(fleet: VmView[], nicPath: string): VmView | undefined {
  const lower = nicPath.toLowerCase();
  return fleet.find((v) => v.nics.some((n) => n.id.toLowerCase() === lower));
}

export interface InvariantInput {
  before: VmView[];
  after: VmView[];
  /** The service's view of each VM's outcome (a bulk run's vms, or each VM's event-triggered run). */
  outcomes: VmOutcome[];
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

/** Counts of outcomes in a list of VM results. */
export function countOutcomes(vms: VmOutcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of vms) out[v.outcome] = (out[v.outcome] ?? 0) + 1;
  return out;
}

/**
 * The figures of a bulk run's end: its status, how many VMs it remediated and failed (naming
 * each failed one and why), and the most deallocations of one VM.
 */
export function setRunFigures(
  figures: PartFigures,
  run: { status: string; vms: VmOutcome[] },
  after: VmView[],
): void {
  const outcomes = countOutcomes(run.vms);
  figures.set('run status', run.status);
  figures.set('remediated', outcomes.remediated ?? 0);
  figures.set('failed', outcomes.failed ?? 0);
  for (const v of run.vms.filter((r) => r.outcome === 'failed'))
    figures.set(`  failed: ${nameOf(v.vmId)}`, v.reason ?? '(no reason)');
  figures.set('max deallocations of one VM', Math.max(0, ...after.map((v) => v.deallocations)));
}
