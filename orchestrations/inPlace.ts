import { ACTIVITY } from '../shared/activities/contracts';
import { describeFailure, isNotFound } from '../shared/domain/failures';
import type { VmOutcome } from '../shared/domain/outcomes';
import type { ToRemediate } from '../shared/domain/unit';
import { callEach } from './call';
import { deletedDuring, nicsChanged, type Saga, verifiedOutcome, verifyEach } from './unitSteps';

/**
 * VMs whose size requires Accelerated Networking: Azure enables it at runtime whatever the NIC
 * flag, so the flag is set on the running VM and nothing goes down. A failure leaves the VM as it
 * was: running.
 */
export const inPlaceSaga: Saga = function* (scope, targets) {
  if (targets.length === 0) return [];
  const { context, runId, policy, status, steps } = scope;
  status({ phase: 'remediating', step: 'enableNics' });
  const enabled = yield* callEach(
    context,
    ACTIVITY.enableAcceleratedNetworking,
    targets.map((t) => ({ vm: t.vm, runId, nicIds: t.decision.nicsToEnable, inPlace: true })),
    policy,
  );
  const done: ToRemediate[] = [];
  const outcomes: VmOutcome[] = [];
  targets.forEach((t, n) => {
    const result = enabled[n];
    const from = t.facts.powerState;
    if (result?.ok) {
      steps.mark([t.vm], 'enableNics', 'ok', `${nicsChanged(result.value.nics)}, in place`);
      done.push(t);
      return;
    }
    const why = result ? describeFailure(result.failure) : 'no result';
    steps.mark([t.vm], 'enableNics', 'failed', why);
    const gone = result && isNotFound(result.failure);
    outcomes.push(
      steps.outcome(
        t.vm,
        'failed',
        gone
          ? deletedDuring('enableNics', t.vm)
          : `failed at enableNics: ${why}; the VM kept running (in place: it was never taken down)`,
        from,
        gone ? 'unknown' : from,
      ),
    );
  });
  if (done.length === 0) return outcomes;
  const verified = yield* verifyEach(
    scope,
    done.map((t) => ({
      vm: t.vm,
      expectedPowerState: t.facts.powerState,
      confirmedNicIds: t.decision.nicsToEnable,
    })),
  );
  done.forEach((t, n) => {
    outcomes.push(
      verifiedOutcome(steps, t.vm, verified[n], t.facts.powerState, 'in-place', 'unknown'),
    );
  });
  return outcomes;
};
