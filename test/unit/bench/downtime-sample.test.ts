import { analyse } from '../../../bench/downtime/sample';
import type { LoggedOperation } from '../../../bench/twin/emulator-admin';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const VM = `${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`;
const NIC = `${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm-nic`;
const POLL = `${SUB}/providers/Microsoft.Compute/locations/westus2/operations/op-1`;

function op(at: number, method: string, path: string, operation = '', principal = 'accelnet') {
  const entry: LoggedOperation = {
    seq: at,
    time: new Date(at).toISOString(),
    principal,
    method,
    path,
    operation,
    status: 200,
  };
  return entry;
}

const latencies = { powerOff: 47, deallocate: 296, nicUpdate: 30, start: 756 };
const timeline = [
  { powerState: 'running', at: 0 },
  { powerState: 'deallocating', at: 1000 },
  { powerState: 'deallocated', at: 1296 },
  { powerState: 'starting', at: 1400 },
  { powerState: 'running', at: 2160 },
];
const ops = [
  op(1000, 'POST', `${VM}/deallocate`, 'Microsoft.Compute/virtualMachines/deallocate/action'),
  op(1200, 'GET', POLL),
  op(1310, 'GET', POLL),
  op(1315, 'GET', VM),
  op(1318, 'GET', NIC),
  op(1320, 'PUT', NIC, 'Microsoft.Network/networkInterfaces/write'),
  op(1360, 'GET', POLL),
  op(1398, 'POST', `${VM}/start`, 'Microsoft.Compute/virtualMachines/start/action'),
  op(1500, 'GET', VM, '', 'someone-else'),
];

describe('analyse', () => {
  test('when a VM was deallocated, updated and started, then its downtime splits into ARM, polling and scheduling', () => {
    const s = analyse('vm', timeline, ops, latencies);
    expect(s).toMatchObject({
      downtimeMs: 1160,
      deallocateMs: 296,
      deallocatedToStartingMs: 104,
      startMs: 760,
      deallocatePollMs: 14,
      deallocateToNicPutMs: 10,
      nicPutToDoneMs: 30,
      nicPollMs: 10,
      nicToStartMs: 40,
      timerLagMs: 4,
      pollingMs: 24,
      schedulingMs: 50,
      reads: 5,
      polls: 3,
      writes: 3,
    });
    // What is over ARM's own time is all accounted for.
    expect(s.timerLagMs + s.pollingMs + s.schedulingMs).toBe(s.downtimeMs - 1082);
  });

  test('when the VM never ran again, then the analysis says so', () => {
    expect(() => analyse('vm', timeline.slice(0, 4), ops, latencies)).toThrow(/never running/);
  });

  test('when no NIC write followed the deallocation, then the analysis says so', () => {
    const withoutNic = ops.filter((o) => o.method !== 'PUT');
    expect(() => analyse('vm', timeline, withoutNic, latencies)).toThrow(/no NIC write/);
  });
});
