import { assessFleet, discoverFleet } from '../arm/discovery';
import { refOf } from '../arm/facts';
import type { PlanItem } from '../domain/plan';
import { AccelnetError } from '../platform/errors';
import type { PlanInput } from './contracts';
import type { Activities, ActivityDeps } from './index';

/** Planning a bulk run: the whole scope read from paged lists and judged by the rules. */
export function createPlanningActivities(deps: ActivityDeps): Pick<Activities, 'planRemediation'> {
  return {
    planRemediation: async (input, log = deps.log) => {
      const { request } = input;
      // The facts are at least as fresh as this: a plan's age counts from here.
      const at = new Date().toISOString();
      const vmIds = await requestedIds(deps, input);
      const snapshot = await discoverFleet(deps.arm(request.subscriptionId), {
        subscriptionId: request.subscriptionId,
        ...(request.resourceGroup ? { resourceGroup: request.resourceGroup } : {}),
        ...(vmIds ? { vmIds } : {}),
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

/** The VM ids a request named: carried in it, or kept with the run (`vmCount`). */
async function requestedIds(deps: ActivityDeps, input: PlanInput): Promise<string[] | undefined> {
  const { request } = input;
  if (request.vmIds) return request.vmIds;
  if (request.vmCount === undefined) return undefined;
  if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
  const ids = await deps.runs.getRunVmIds(input.runId);
  if (ids.length !== request.vmCount)
    throw new AccelnetError(
      'RunVmIdsMissing',
      `Run ${input.runId} named ${request.vmCount} VM ids; ${ids.length} are recorded.`,
    );
  return ids;
}
