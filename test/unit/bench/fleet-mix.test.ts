import { failedVms, fleetOf, STANDARD_MIX, V5_HEAVY_MIX } from '../../../bench/fleet/mix';
import type { VmView } from '../../../bench/twin/emulator-admin';

function vm(name: string, powerState: string, an: boolean, steps = 1): VmView {
  return {
    id: `/vms/${name}`,
    name,
    powerState,
    nics: [{ id: 'nic', enableAcceleratedNetworking: an, acceleratedNetworkingEffective: an }],
    timeline: Array.from({ length: steps }, (_, i) => ({ powerState, at: i })),
  };
}

describe('fleetOf', () => {
  test('when the standard mix is made concrete, then it has 1,000 VMs, 800 running and 50 deallocated to remediate', () => {
    const fleet = fleetOf(STANDARD_MIX);
    expect(fleet.size).toBe(1000);
    expect(fleet.running).toHaveLength(800);
    expect(fleet.deallocated).toHaveLength(50);
    expect(fleet.eligible.slice(799, 801)).toEqual(['web-800', 'batch-1']);
    expect(fleet.kindOf('WEB-17')).toBe('running');
    expect(fleet.kindOf('payments-3')).toBe('opted-out');
    expect(fleet.kindOf('web-801')).toBeUndefined();
  });

  test('when the v5-heavy mix is made concrete, then its Dsv5 VMs are fixed in place and its Dsv3 ones deallocated', () => {
    const fleet = fleetOf(V5_HEAVY_MIX);
    expect(fleet.size).toBe(1000);
    expect(fleet.inPlace).toHaveLength(600);
    expect(fleet.running).toHaveLength(200);
    expect(fleet.eligible).toHaveLength(850);
    expect(fleet.kindOf('web-1')).toBe('in-place');
    expect(fleet.kindOf('legacy-1')).toBe('running');
    // Both are seeded running.
    const vms = fleet.seed.resourceGroups[0]?.vms ?? [];
    expect(vms.find((g) => g.name === 'web')).toMatchObject({ powerState: 'running' });
  });

  test('when seeded, then compliant VMs have Accelerated Networking and opted-out ones the exempt tag', () => {
    const vms = fleetOf(STANDARD_MIX).seed.resourceGroups[0]?.vms ?? [];
    expect(vms.find((g) => g.name === 'api')).toMatchObject({ acceleratedNetworking: true });
    expect(vms.find((g) => g.name === 'payments')).toMatchObject({
      tags: { 'accelnet-exempt': 'true' },
    });
    expect(vms.find((g) => g.name === 'batch')).toMatchObject({ powerState: 'deallocated' });
  });

  test('when a group has one VM, then it is named as the group, as the emulator names it', () => {
    const fleet = fleetOf({
      groups: [{ name: 'solo', count: 1, kind: 'running', size: 'Standard_D4s_v5' }],
    });
    expect(fleet.running).toEqual(['solo']);
    expect(fleet.kindOf('solo')).toBe('running');
  });

  test('when two groups share a name, then the mix is refused', () => {
    const group = { name: 'web', count: 2, kind: 'running', size: 'Standard_D4s_v5' } as const;
    expect(() => fleetOf({ groups: [group, group] })).toThrow(/unique/);
  });
});

describe('failedVms', () => {
  const fleet = fleetOf(STANDARD_MIX);
  const scope = new Set(['web-1', 'batch-1']);

  test('when every VM is left as expected, then none failed', () => {
    const vms = [
      vm('web-1', 'running', true, 5),
      vm('batch-1', 'deallocated', true),
      vm('api-1', 'running', true),
    ];
    expect(failedVms(fleet, vms, scope)).toEqual([]);
  });

  test('when a VM in scope is not remediated or one out of scope was touched, then each is named', () => {
    const vms = [
      vm('web-1', 'deallocated', false, 3),
      vm('batch-1', 'deallocated', false),
      vm('tiny-1', 'running', false, 3),
    ];
    expect(failedVms(fleet, vms, scope)).toEqual([
      'web-1: deallocated, AN not effective',
      'batch-1: deallocated, AN not enabled',
      'tiny-1: touched though out of scope (running)',
    ]);
  });
});

describe('failedVms of a fleet with VMs fixed in place', () => {
  const fleet = fleetOf(V5_HEAVY_MIX);
  const scope = new Set(['web-1', 'legacy-1']);

  test('when a VM of a size fixed in place went down, then accelnet failed it; the documented procedure did not', () => {
    const vms = [vm('web-1', 'running', true, 4), vm('legacy-1', 'running', true, 4)];
    expect(failedVms(fleet, vms, scope)).toEqual([
      'web-1: went down though its size is fixed in place',
    ]);
    expect(failedVms(fleet, vms, scope, { inPlaceStaysUp: false })).toEqual([]);
  });

  test('when a VM fixed in place stayed up with AN effective, then it is not failed', () => {
    expect(failedVms(fleet, [vm('web-1', 'running', true)], scope)).toEqual([]);
  });
});
