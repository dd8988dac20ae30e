import { assessFleet, discoverFleet } from '../arm/discovery';
import { refOf } from '../arm/facts';
import type { PlanItem } from '../domain/plan';
import type { Activities, ActivityDeps } from './index';

/** Planning a bulk run: the whole scope read from paged lists and judged by the rules. */
export function createPlanningActivities(deps: ActivityDeps): Pick<Activities, 'planRemediation'> {
  return {
    planRemediation: async (input, log = deps.log) => {
      const { request } = input;
      // The facts are at least as fresh as this: a plan's age counts from here.
      const at = new Date().toISOString();
      const snapshot = await discoverFleet(deps.arm(request.subscriptionId), {
        subscriptionId: request.subscriptionId,
        ...(request.resourceGroup ? { resourceGroup: request.resourceGroup } : {}),
        ...(request.vmIds ? { vmIds: request.vmIds } : {}),
      });
      const rules = {
        ...deps.rules,
        allowAvailabilitySets: deps.rules.allowAvailabilitySets || request.includeAvailabilitySets,
      };
      const items: PlanItem[] = assessFleet(snapshot, rules).map(({ facts, decision }) => ({
        vm: refOf(facts),
        plan: {
          decision,
          size: facts.size,
          powerState: facts.powerState,
          availabilitySetId: facts.availabilitySetId,
          at,
        },
      }));
      log({
        level: 'info',
        runId: input.runId,
        // A run-level entry: about no single VM.
        vmId: null,
        step: 'plan',
        vms: items.length,
        missing: snapshot.missing.length,
      });
      return { items, missing: snapshot.missing };
    },
  };
}
