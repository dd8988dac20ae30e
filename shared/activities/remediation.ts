import type { ArmPorts } from '../arm/clients';
import { assessFleet, discoverFleet } from '../arm/discovery';
import { parseResourceRef, powerStateOf, readSizes, readVmFacts, refOf } from '../arm/facts';
import {
  classicPollable,
  operationError,
  OperationTimer,
  type Pollable,
  powerActionPollable,
  TYPICAL_DURATIONS_MS,
} from '../arm/lro';
import { type VmRef } from '../domain/events';
import type { PowerState, RuleSettings, SizeFacts } from '../domain/model';
import type { LogPort, PauseState } from '../domain/ports';
import { decide } from '../domain/rules';
import type { FreshVm } from '../domain/unit';
import { AccelnetError, ensureError } from '../platform/errors';
import type { EnableOutput, PowerOutput, VerifyOutput } from './contracts';
import type { Activities, ActivityDeps } from './index';

type RemediationActivities = Pick<
  Activities,
  | 'assessVm'
  | 'prepareUnit'
  | 'deallocateVm'
  | 'enableAcceleratedNetworking'
  | 'startVm'
  | 'verifyVm'
>;

/**
 * The activities that read and change VMs through ARM. Each one is idempotent (a retry after a
 * crash or a transient failure finds the VM already in the target state and does nothing), logs
 * what it did, and throws AccelnetError on failure.
 */
/**
 * How long one activity may wait for ARM: below host.json's functionTimeout (10 minutes), so
 * the Functions host never stops an activity (which would restart the worker and lose every
 * other invocation on it). An operation still running then is followed again by the next
 * attempt, after a durable timer (test/unit/config.test.ts checks the two against each other).
 */
export const ACTIVITY_BUDGET_MS = 8 * 60_000;

/** A VM operation still running when the activity's budget is spent: retried, not failed. */
function stillRunning(kind: string, vm: VmRef): AccelnetError {
  return new AccelnetError(
    'OperationStillRunning',
    `The ${kind} of ${vm.name} is still running after ${ACTIVITY_BUDGET_MS / 60_000} minutes; it is followed again on the next attempt.`,
    { retryable: true },
  );
}

export function createRemediationActivities(deps: ActivityDeps): RemediationActivities {
  const skuCache = new Map<string, Promise<Map<string, SizeFacts>>>();

  /** The SKU catalog of a subscription and region, read once and cached (never per VM). */
  function sizes(subscriptionId: string, location: string): Promise<Map<string, SizeFacts>> {
    const key = `${subscriptionId.toLowerCase()}|${location.toLowerCase()}`;
    let cached = skuCache.get(key);
    if (!cached) {
      cached = readSizes(deps.arm(subscriptionId), location);
      cached.catch(() => skuCache.delete(key));
      skuCache.set(key, cached);
    }
    return cached;
  }

  const timer =
    deps.timer ??
    OperationTimer.withPriors(deps.pollIntervalMs, TYPICAL_DURATIONS_MS, deps.armTimeScale ?? 1);

  /**
   * Drives an accepted operation, timed from its acceptance: time spent getting the request
   * in (429 Retry-After waits, retried 5xx) is not the operation's and must not be learned.
   * The SDK pollers throw a failed operation as a plain Error ("…has failed. AllocationFailed.
   * …"): it is typed here with ARM's code.
   */
  const drive = (kind: string, pollable: Pollable, deadline: number): Promise<unknown> =>
    timer.drive(kind, pollable, performance.now(), deadline).catch((error: unknown) => {
      throw operationError(ensureError(error));
    });

  async function step<T>(
    name: string,
    input: { vm: VmRef; runId: string },
    log: LogPort,
    work: (deadline: number) => Promise<T>,
  ): Promise<T> {
    const started = Date.now();
    try {
      // An activity never outlives the Functions host's timeout (host.json functionTimeout):
      // what it waits for longer is followed again by the next attempt.
      const result = await work(performance.now() + ACTIVITY_BUDGET_MS);
      log({
        level: 'info',
        runId: input.runId,
        vmId: input.vm.id,
        step: name,
        result: 'ok',
        ms: Date.now() - started,
        output: result,
      });
      return result;
    } catch (error) {
      // A failed long-running operation can surface outside the poller drive (the SDK's
      // first poll, its final GET) as a plain Error: it is typed with ARM's code either way.
      const e = operationError(ensureError(error));
      log({
        level: 'warn',
        runId: input.runId,
        vmId: input.vm.id,
        step: name,
        result: 'failed',
        ms: Date.now() - started,
        code: e.code,
        retryable: e.retryable,
        message: e.message,
      });
      // The orchestrator sees only the message of a failed activity: lead it with the code.
      throw e.message.startsWith(`${e.code}:`)
        ? e
        : new AccelnetError(e.code, `${e.code}: ${e.message}`, {
            retryable: e.retryable,
            ...(e.status !== undefined ? { status: e.status } : {}),
            cause: e,
          });
    }
  }

  /**
   * Waits while the VM is in `transitional` (an operation of an earlier attempt still runs)
   * until it reaches `target`; anything else rethrows the original conflict.
   */
  async function awaitState(
    ports: ArmPorts,
    vm: VmRef,
    target: PowerState,
    transitional: PowerState,
    conflict: unknown,
    deadline: number,
  ): Promise<PowerOutput> {
    const kind =
      target === 'deallocated' ? 'deallocate' : target === 'running' ? 'start' : 'powerOff';
    let wait = Math.max(deps.pollIntervalMs, (timer.expectedMs(kind) ?? deps.pollIntervalMs) * 0.1);
    for (;;) {
      const state = await powerState(ports, vm);
      if (state === target) return { powerState: target, changed: false };
      if (state !== transitional) throw conflict;
      if (performance.now() + wait > deadline) throw stillRunning(kind, vm);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(30_000, wait * 1.5);
    }
  }

  /** One VM read again; a VM that no longer exists is `found: false`. */
  async function readOne(ports: ArmPorts, vm: VmRef, rules: RuleSettings): Promise<FreshVm> {
    try {
      const facts = await readVmFacts(ports, vm);
      const table = await sizes(vm.subscriptionId, facts.location);
      return {
        vm,
        found: true,
        facts,
        decision: decide(facts, table.get(facts.size.toLowerCase()), rules),
      };
    } catch (error) {
      const e = ensureError(error);
      if (e.status === 404 && e.code !== 'ResourceGroupNotFound') return { vm, found: false };
      throw error;
    }
  }

  /**
   * Every current member of an availability set (the set's members are VMs of its resource
   * group: Azure keeps a VM and its set in one group), read with few calls, plus the VMs the run
   * named that no longer exist.
   */
  async function readSetMembers(
    ports: ArmPorts,
    subscriptionId: string,
    setId: string,
    named: VmRef[],
    rules: RuleSettings,
  ): Promise<FreshVm[]> {
    const { resourceGroup } = parseResourceRef(setId);
    const snapshot = await discoverFleet(ports, { subscriptionId, resourceGroup });
    const members = snapshot.vms.filter(
      (f) => f.availabilitySetId?.toLowerCase() === setId.toLowerCase(),
    );
    const fresh: FreshVm[] = assessFleet({ ...snapshot, vms: members }, rules).map(
      ({ facts, decision }) => ({ vm: refOf(facts), found: true, facts, decision }),
    );
    const present = new Set(members.map((f) => f.id.toLowerCase()));
    for (const vm of named) {
      if (
        !present.has(vm.id.toLowerCase()) &&
        !snapshot.vms.some((f) => f.id.toLowerCase() === vm.id.toLowerCase())
      )
        fresh.push({ vm, found: false });
    }
    return fresh;
  }

  async function powerState(ports: ArmPorts, vm: VmRef): Promise<PowerState> {
    const got = await ports.compute.virtualMachines.get(vm.resourceGroup, vm.name, {
      expand: 'instanceView',
    });
    return powerStateOf(got.instanceView?.statuses);
  }

  return {
    assessVm: (input, log = deps.log) =>
      step('assess', input, log, async () => {
        const facts = await readVmFacts(deps.arm(input.vm.subscriptionId), input.vm);
        const table = await sizes(input.vm.subscriptionId, facts.location);
        const decision = decide(facts, table.get(facts.size.toLowerCase()), deps.rules);
        return { facts, decision };
      }),

    prepareUnit: async (input, log = deps.log) => {
      const started = Date.now();
      const at = new Date().toISOString();
      const [first] = input.vms;
      if (!first) throw new AccelnetError('InvalidInput', 'prepareUnit needs at least one VM.');
      try {
        const ports = deps.arm(first.subscriptionId);
        const rules: RuleSettings = {
          ...deps.rules,
          allowAvailabilitySets: deps.rules.allowAvailabilitySets || input.includeAvailabilitySets,
        };
        const pause: PauseState = deps.pause ? await deps.pause.get() : { paused: false };
        const vms = input.availabilitySetId
          ? await readSetMembers(
              ports,
              first.subscriptionId,
              input.availabilitySetId,
              input.vms,
              rules,
            )
          : await Promise.all(input.vms.map((vm) => readOne(ports, vm, rules)));
        log({
          level: 'info',
          runId: input.runId,
          vmId: input.vms.length === 1 ? first.id : null,
          step: 'prepare',
          result: 'ok',
          ms: Date.now() - started,
          vms: vms.map((v) => ({
            vmId: v.vm.id,
            found: v.found,
            ...(v.found ? { action: v.decision.action, powerState: v.facts.powerState } : {}),
          })),
          paused: pause.paused,
        });
        return { vms, pause, at };
      } catch (error) {
        const e = ensureError(error);
        log({
          level: 'warn',
          runId: input.runId,
          vmId: input.vms.length === 1 ? first.id : null,
          step: 'prepare',
          result: 'failed',
          ms: Date.now() - started,
          code: e.code,
          retryable: e.retryable,
          message: e.message,
        });
        throw e;
      }
    },

    deallocateVm: (input, log = deps.log) =>
      step('deallocate', input, log, async (deadline) => {
        const ports = deps.arm(input.vm.subscriptionId);
        const poller = ports.compute.virtualMachines.deallocate(
          input.vm.resourceGroup,
          input.vm.name,
        );
        try {
          await poller.submitted();
        } catch (error) {
          // A previous attempt's deallocation is still running (a retry after a crash): wait for it.
          if (ensureError(error).code !== 'OperationNotAllowed') throw error;
          return awaitState(ports, input.vm, 'deallocated', 'deallocating', error, deadline);
        }
        const changed = !poller.isDone;
        await drive(
          'deallocate',
          powerActionPollable(poller, (url) => ports.operations.get(url)),
          deadline,
        );
        return { powerState: 'deallocated', changed };
      }),

    enableAcceleratedNetworking: (input, log = deps.log) =>
      step('enableNics', input, log, async (deadline) => {
        const ports = deps.arm(input.vm.subscriptionId);
        // The invariant that matters most: a NIC is changed only while its VM is deallocated,
        // or, in place, on a running VM of a size that requires AN (the run judged it so from the
        // VM's facts read at the point of no return). Never while it is changing state.
        const before = await powerState(ports, input.vm);
        if (input.inPlace === true && before !== 'running' && before !== 'deallocated') {
          throw new AccelnetError(
            'VmChangingState',
            `VM ${input.vm.name} is ${before}; its NICs are changed in place once it is running again.`,
            { retryable: true },
          );
        }
        if (input.inPlace !== true && before !== 'deallocated') {
          throw new AccelnetError(
            'VmNotDeallocated',
            `VM ${input.vm.name} is ${before}; NICs are changed only while it is deallocated.`,
            { retryable: false },
          );
        }
        const nics: EnableOutput['nics'] = [];
        for (const nicId of input.nicIds) {
          const ref = parseResourceRef(nicId);
          const nic = await ports.network.networkInterfaces.get(ref.resourceGroup, ref.name);
          if (nic.enableAcceleratedNetworking === true) {
            nics.push({ id: nicId, changed: false });
            continue;
          }
          // Send the whole NIC back (a partial body drops IP configurations), guarded by its etag.
          const poller = await ports.network.networkInterfaces.beginCreateOrUpdate(
            ref.resourceGroup,
            ref.name,
            { ...nic, enableAcceleratedNetworking: true },
            {
              requestOptions: { customHeaders: nic.etag ? { 'If-Match': nic.etag } : {} },
            },
          );
          await drive('nicUpdate', classicPollable(poller), deadline);
          const result = poller.getResult();
          if (result && result.enableAcceleratedNetworking !== true) {
            throw new AccelnetError(
              'NicNotUpdated',
              `NIC ${nicId} still has Accelerated Networking disabled after the update.`,
              { retryable: true },
            );
          }
          nics.push({ id: nicId, changed: true });
        }
        return { nics };
      }),

    startVm: (input, log = deps.log) =>
      step('start', input, log, async (deadline) => {
        const ports = deps.arm(input.vm.subscriptionId);
        const poller = ports.compute.virtualMachines.start(input.vm.resourceGroup, input.vm.name);
        try {
          await poller.submitted();
        } catch (error) {
          if (ensureError(error).code !== 'OperationNotAllowed') throw error;
          return awaitState(ports, input.vm, 'running', 'starting', error, deadline);
        }
        const changed = !poller.isDone;
        await drive(
          'start',
          powerActionPollable(poller, (url) => ports.operations.get(url)),
          deadline,
        );
        return { powerState: 'running', changed };
      }),

    verifyVm: (input, log = deps.log) =>
      step('verify', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        const got = await ports.compute.virtualMachines.get(input.vm.resourceGroup, input.vm.name, {
          expand: 'instanceView',
        });
        const state = powerStateOf(got.instanceView?.statuses);
        const problems: string[] = [];
        if (state !== input.expectedPowerState)
          problems.push(`VM is ${state}, expected ${input.expectedPowerState}`);
        const nics: VerifyOutput['nics'] = [];
        const confirmed = new Set((input.confirmedNicIds ?? []).map((id) => id.toLowerCase()));
        for (const ref of got.networkProfile?.networkInterfaces ?? []) {
          if (!ref.id) continue;
          if (confirmed.has(ref.id.toLowerCase())) {
            nics.push({ id: ref.id, enableAcceleratedNetworking: true });
            continue;
          }
          const parsed = parseResourceRef(ref.id);
          const nic = await ports.network.networkInterfaces.get(parsed.resourceGroup, parsed.name);
          const enabled = nic.enableAcceleratedNetworking === true;
          if (!enabled) problems.push(`NIC ${ref.id} does not have Accelerated Networking enabled`);
          nics.push({ id: nic.id ?? ref.id, enableAcceleratedNetworking: enabled });
        }
        return { ok: problems.length === 0, powerState: state, nics, problems };
      }),
  };
}
