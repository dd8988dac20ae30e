import { fleetBounds, latenciesMs } from '../../../bench/measure/bounds';
import { countOperations, isPoll, subjectOf } from '../../../bench/measure/operations';
import { downIntervals, maxOverlap } from '../../../bench/measure/timelines';
import type { LoggedOperation } from '../../../bench/twin/emulator-admin';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const RG = `${SUB}/resourceGroups/rg-fleet/providers`;

function op(principal: string, method: string, path: string, status = 200): LoggedOperation {
  return { seq: 0, time: '', principal, method, path, operation: '', status };
}

describe('power-state timelines', () => {
  test('when a VM was running and went down, then its interval runs to its final running entry', () => {
    const vms = [
      {
        timeline: [
          { powerState: 'running', at: 0 },
          { powerState: 'deallocating', at: 10 },
          { powerState: 'deallocated', at: 40 },
          { powerState: 'starting', at: 50 },
          { powerState: 'running', at: 120 },
        ],
      },
    ];
    expect(downIntervals(vms, 999)).toEqual([[10, 120]]);
  });

  test('when a VM is not running at the end, then its interval runs to the end of the phase', () => {
    const vms = [
      {
        timeline: [
          { powerState: 'running', at: 0 },
          { powerState: 'deallocating', at: 10 },
          { powerState: 'deallocated', at: 40 },
        ],
      },
    ];
    expect(downIntervals(vms, 500)).toEqual([[10, 500]]);
  });

  test('when a VM was deallocated from the start or never went down, then it has no interval', () => {
    const vms = [
      { timeline: [{ powerState: 'deallocated', at: 0 }] },
      { timeline: [{ powerState: 'running', at: 0 }] },
      {},
    ];
    expect(downIntervals(vms, 500)).toEqual([]);
  });

  test('when one interval ends at the ms the next starts, then they do not overlap', () => {
    expect(
      maxOverlap([
        [0, 10],
        [10, 20],
      ]),
    ).toBe(1);
    expect(
      maxOverlap([
        [0, 10],
        [5, 20],
        [6, 7],
      ]),
    ).toBe(3);
    expect(maxOverlap([])).toBe(0);
  });
});

describe('the operation log', () => {
  const ops = [
    op('accelnet', 'GET', `${RG}/Microsoft.Compute/virtualMachines/web-1`),
    op('accelnet', 'POST', `${RG}/Microsoft.Compute/virtualMachines/web-1/deallocate`),
    op('accelnet', 'GET', `${SUB}/providers/Microsoft.Compute/locations/westus2/operations/abc`),
    op('accelnet', 'PUT', `${RG}/Microsoft.Network/networkInterfaces/web-1-nic`, 429),
    op('bench-naive', 'GET', `${RG}/Microsoft.Compute/virtualMachines/web-2`),
  ];

  test("when counting a principal's requests, then reads include polls and 429s count either kind", () => {
    expect(countOperations(ops, 'accelnet')).toEqual({
      reads: 2,
      polls: 1,
      writes: 2,
      throttled: 1,
    });
    expect(countOperations(ops, 'nobody')).toEqual({ reads: 0, polls: 0, writes: 0, throttled: 0 });
  });

  test('when a request names a VM, its NIC or an operation, then that is its subject', () => {
    expect(ops.map(subjectOf)).toEqual([
      'web-1',
      'web-1',
      'poll:microsoft.compute',
      'web-1',
      'web-2',
    ]);
    expect(
      subjectOf(
        op('a', 'GET', `${SUB}/providers/Microsoft.Network/locations/westus2/operationResults/x`),
      ),
    ).toBe('poll:microsoft.network');
    expect(subjectOf(op('a', 'GET', `${SUB}/providers/Microsoft.Compute/skus`))).toBe('other');
  });

  test('when a GET reads an operation status, then it is a poll; a GET of a VM is not', () => {
    expect(ops.map(isPoll)).toEqual([false, false, true, false, false]);
  });
});

describe('bounds', () => {
  const config = {
    timeScale: 0.01,
    latencies: { powerOff: 4.7, deallocate: 29.6, nicUpdate: 3, start: 75.6 },
    throttling: {
      enabled: true,
      reads: { bucket: 250, refillPerSecond: 25 },
      writes: { bucket: 200, refillPerSecond: 10 },
    },
  };

  test('when operations take Azure seconds, then at time scale 0.01 they take a hundredth in real ms', () => {
    const ms = latenciesMs(config);
    expect(ms.deallocate).toBeCloseTo(296);
    expect(ms.start).toBeCloseTo(756);
  });

  test('when the standard fleet is bounded, then writes bind without a lane limit and critical paths with 100 lanes', () => {
    const b = fleetBounds(config, { running: 800, deallocated: 50 }, 100);
    expect(b.criticalPathMs).toBeCloseTo(1082);
    expect(b.neededWrites).toBe(2450);
    expect(b.writesPerSecond).toBeCloseTo(1000);
    expect(b.lowerBoundMs).toBeCloseTo(2450);
    expect(b.windowBoundMs).toBeCloseTo(8 * 1082);
    expect(b.boundAtMaxParallelMs).toBeCloseTo(8656);
  });

  test('when most running VMs are fixed in place, then they cost one write each and no downtime', () => {
    const b = fleetBounds(config, { running: 200, inPlace: 600, deallocated: 50 }, 100);
    expect(b.neededWrites).toBe(3 * 200 + 600 + 50);
    expect(b.criticalPathMs).toBeCloseTo(1082);
    // Two rounds of 100 deallocations, against all the lanes' work spread evenly.
    expect(b.windowBoundMs).toBeCloseTo(Math.max(2 * 1082, (200 * 1082 + 600 * 30) / 100));
    expect(b.downtimeBoundMs).toBeCloseTo(200 * 1082);
  });

  test('when every VM is fixed in place, then one NIC update is the critical path and nothing is down', () => {
    const b = fleetBounds(config, { running: 0, inPlace: 10, deallocated: 0 }, 100);
    expect(b.criticalPathMs).toBeCloseTo(30);
    expect(b.downtimeBoundMs).toBe(0);
  });

  test('when the fleet is small, then one critical path is the bound', () => {
    const b = fleetBounds(config, { running: 10, deallocated: 0 }, 100);
    expect(b.lowerBoundMs).toBeCloseTo(1082);
    expect(b.boundAtMaxParallelMs).toBeCloseTo(1082);
  });
});
