/** The pure planning of a bulk run (orchestrations/planning.ts), table by table. */
import {
  applyDecisions,
  scopeOf,
  sortPlan,
  splitLanes,
  toUnits,
} from '../../orchestrations/planning';
import type { VmRef } from '../../shared/domain/events';
import type { Decision } from '../../shared/domain/model';
import type { PlanItem } from '../../shared/domain/plan';

const SUB = '00000000-0000-0000-0000-000000000001';
const AT = '2026-12-03T10:00:00.000Z';
const vm = (name: string): VmRef => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`,
  subscriptionId: SUB,
  resourceGroup: 'rg',
  name,
});

function item(name: string, action: Decision['action'], set?: string, code = 'eligible'): PlanItem {
  return {
    vm: vm(name),
    plan: {
      decision: {
        action,
        eligible: action !== 'skip',
        compliant: action === 'compliant',
        reasons: [{ code: code as Decision['reasons'][number]['code'], message: code }],
        nicsToEnable: action === 'remediate' ? [`${name}-nic`] : [],
        effects: { tempDiskWiped: false, publicIpChanges: false, downtime: true },
        requiresApproval: set !== undefined,
      },
      size: 'Standard_D4s_v5',
      powerState: 'running',
      availabilitySetId: set,
      at: AT,
    },
  };
}

describe('sorting a plan', () => {
  test('when a plan has compliant, skipped, missing and eligible VMs, then the first three get their outcome now and the eligible ones are the work', () => {
    const { immediate, work } = sortPlan(
      {
        items: [
          item('ok', 'compliant', undefined, 'already-compliant'),
          item('tiny', 'skip', undefined, 'size-not-supported'),
          item('web', 'remediate'),
        ],
        missing: [vm('gone').id],
      },
      AT,
    );
    expect(work.map((w) => w.vm.name)).toEqual(['web']);
    expect(immediate.map((o) => [o.vmId.split('/').pop(), o.outcome, o.reason])).toEqual([
      ['ok', 'already-compliant', undefined],
      ['tiny', 'skipped', 'size-not-supported'],
      ['gone', 'failed', 'not-found'],
    ]);
    expect(immediate[0]?.steps).toEqual([
      { name: 'plan', at: AT, result: 'ok', detail: 'compliant: already-compliant' },
    ]);
  });
});

describe('units and lanes', () => {
  test('when members of a set are spread through the work, then the set is one unit at its first member, and the others stay single', () => {
    const units = toUnits([
      item('a', 'remediate'),
      item('s1', 'remediate', '/x/availabilitySets/AS1'),
      item('b', 'remediate'),
      item('s2', 'remediate', '/x/availabilitySets/as1'),
    ]);
    expect(
      units.map((u) => (u.kind === 'vm' ? u.item.vm.name : u.items.map((i) => i.vm.name))),
    ).toEqual(['a', ['s1', 's2'], 'b']);
  });

  test.each([
    {
      vms: 5,
      maxParallel: 2,
      lanes: [
        ['v0', 'v2', 'v4'],
        ['v1', 'v3'],
      ],
    },
    { vms: 2, maxParallel: 10, lanes: [['v0'], ['v1']] },
    { vms: 3, maxParallel: 0, lanes: [['v0', 'v1', 'v2']] },
  ])(
    'when $vms VMs are split at maxParallel $maxParallel, then no lane is empty and each takes every n-th VM',
    ({ vms, maxParallel, lanes }) => {
      const items = Array.from({ length: vms }, (_, n) => item(`v${n}`, 'remediate'));
      expect(splitLanes(items, maxParallel).map((lane) => lane.map((l) => l.vm.name))).toEqual(
        lanes,
      );
    },
  );
});

describe('applying decisions', () => {
  test('when one member of a set is rejected, then the whole set is rejected, the approved member saying why', () => {
    const work = [
      item('a', 'remediate'),
      item('s1', 'remediate', '/x/availabilitySets/as1'),
      item('s2', 'remediate', '/x/availabilitySets/as1'),
      item('b', 'remediate'),
    ];
    const { approved, rejected } = applyDecisions(
      work,
      [
        { approved: true },
        { approved: true },
        { approved: false, reason: 'rejected' },
        { approved: false, reason: 'approval-timeout' },
      ],
      AT,
    );
    expect(approved.map((i) => i.vm.name)).toEqual(['a']);
    expect(rejected.map((o) => [o.vmId.split('/').pop(), o.outcome, o.reason])).toEqual([
      ['s1', 'rejected', 'availability-set-not-approved'],
      ['s2', 'rejected', 'rejected'],
      ['b', 'rejected', 'approval-timeout'],
    ]);
  });
});

describe('what a run shows', () => {
  test('when a run covers a group or a subscription, then the approval names that scope', () => {
    const base = { subscriptionId: SUB, dryRun: false, maxParallel: 1, approval: 'none' as const };
    expect(scopeOf({ ...base, includeAvailabilitySets: false, resourceGroup: 'rg-app' })).toEqual({
      id: `/subscriptions/${SUB}/resourceGroups/rg-app`,
      name: 'rg-app',
    });
    expect(scopeOf({ ...base, includeAvailabilitySets: false }).name).toBe(`subscription ${SUB}`);
  });
});
