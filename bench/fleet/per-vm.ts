/** accelnet's ARM requests per remediated running single-NIC VM, from the operation log. */
import { APP_PRINCIPAL, isRead, subjectOf } from '../measure/operations';
import type { LoggedOperation } from '../twin/emulator-admin';
import type { Fleet } from './mix';

export interface PerVmBreakdown {
  vms: number;
  writes: Record<string, number>;
  reads: Record<string, number>;
  /** Discovery and SKU reads of the plan, per eligible VM. */
  planReadsPerVm: number;
  totalWrites: number;
  totalReads: number;
}

/**
 * Requests naming a VM or its NIC are counted on it; LRO polls name only an operation id:
 * Compute polls all belong to running VMs (a deallocated VM's deallocate is a synchronous no-op
 * and it is not started), Network polls are shared by NIC update (one per remediated VM, the
 * same operation for both kinds).
 */
export function perVmBreakdown(fleet: Fleet, ops: readonly LoggedOperation[]): PerVmBreakdown {
  const mine = ops.filter((op) => op.principal === APP_PRINCIPAL);
  const running = fleet.running.length;
  const writes: Record<string, number> = {};
  const reads: Record<string, number> = {};
  const add = (into: Record<string, number>, key: string, n: number): void => {
    into[key] = (into[key] ?? 0) + n;
  };
  let computePolls = 0;
  let networkPolls = 0;
  let nicPuts = 0;
  let planReads = 0;
  for (const op of mine) {
    const subject = subjectOf(op);
    const read = isRead(op);
    if (subject === 'poll:microsoft.compute') computePolls += 1;
    else if (subject === 'poll:microsoft.network') networkPolls += 1;
    else if (subject === 'other') {
      if (read) planReads += 1;
      else add(writes, `other ${op.operation}`, 1 / running);
    } else {
      const kind = fleet.kindOf(subject);
      const label = `${op.method} ${op.operation.replace(/^Microsoft\.\w+\//, '')}`;
      if (!read && /networkInterfaces\/write/i.test(op.operation)) nicPuts += 1;
      if (kind !== 'running') continue;
      add(read ? reads : writes, `${label}${op.status === 429 ? ' (429)' : ''}`, 1 / running);
    }
  }
  add(reads, 'LRO polls, Compute (deallocate, start)', computePolls / running);
  add(reads, 'LRO polls, Network (NIC update)', nicPuts > 0 ? networkPolls / nicPuts : 0);
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    vms: running,
    writes,
    reads,
    planReadsPerVm: planReads / fleet.eligible.length,
    totalWrites: sum(writes),
    totalReads: sum(reads),
  };
}
