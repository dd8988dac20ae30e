import type { ArmFactory, ArmPorts } from '../arm/clients';
import { assessFleet, discoverFleet } from '../arm/discovery';
import { parseResourceRef, powerStateOf, readSizes, readVmFacts } from '../arm/facts';
import {
  classicPollable,
  operationError,
  OperationTimer,
  type Pollable,
  powerActionPollable,
  TYPICAL_DURATIONS_MS,
} from '../arm/lro';
import { parseVmId, type VmRef } from '../domain/events';
import type { PowerState, RuleSettings, SizeFacts, VmFacts } from '../domain/model';
import type { AuditInput } from '../domain/outcomes';
import { isFinal } from '../domain/outcomes';
import type { LaneVm, PlanItem } from '../domain/plan';
import type { PauseGate, PauseState } from '../domain/ports';
import type { RunStore } from '../domain/ports';
import type { AuditPort, LogPort } from '../domain/ports';
import { decide } from '../domain/rules';
import type { FreshVm } from '../domain/unit';
import { AccelnetError, ensureError } from '../platform/errors';
import type {
  AssessOutput,
  CloseRunInput,
  EnableInput,
  EnableOutput,
  PlanInput,
  PlanOutput,
  PowerInput,
  PowerOutput,
  PrepareInput,
  PrepareOutput,
  ReadLaneWorkInput,
  RecordRunInput,
  RecordVmResultsInput,
  RunProgress,
  StoreLaneWorkInput,
  VerifyInput,
  VerifyOutput,
} from './contracts';

export interface ActivityDeps {
  arm: ArmFactory;
  audit: AuditPort;
  /** Bulk runs and per-VM results; absent where only event-driven runs happen. */
  runs?: RunStore;
  /** The pause switch (POST /api/pause); absent means never paused. */
  pause?: PauseGate;
  log: LogPort;
  rules: RuleSettings;
  /** Shortest wait between polls of a long-running ARM operation. */
  pollIntervalMs: number;
  /** Shared operation timer (learned durations); one per process by default. */
  timer?: OperationTimer;
  /** ARM's clock against real time: 1 for Azure, the emulator's time scale locally. */
  armTimeScale?: number;
}

/** Each activity takes its input and, optionally, where this invocation logs (the Functions context). */
export interface Activities {
  assessVm(input: { vm: VmRef; runId: string }, log?: LogPort): Promise<AssessOutput>;
  /** The unit's VMs read again at the point of no return, and the pause switch. */
  prepareUnit(input: PrepareInput, log?: LogPort): Promise<PrepareOutput>;
  deallocateVm(input: PowerInput, log?: LogPort): Promise<PowerOutput>;
  enableAcceleratedNetworking(input: EnableInput, log?: LogPort): Promise<EnableOutput>;
  startVm(input: PowerInput, log?: LogPort): Promise<PowerOutput>;
  verifyVm(input: VerifyInput, log?: LogPort): Promise<VerifyOutput>;
  /** One audit row, or several (a run's steps written together). */
  recordAudit(input: AuditInput | AuditInput[], log?: LogPort): Promise<void>;
  planRemediation(input: PlanInput, log?: LogPort): Promise<PlanOutput>;
  recordRun(input: RecordRunInput, log?: LogPort): Promise<void>;
  recordVmResults(input: RecordVmResultsInput, log?: LogPort): Promise<void>;
  readRunProgress(input: { runId: string }, log?: LogPort): Promise<RunProgress>;
  storeLaneWork(input: StoreLaneWorkInput, log?: LogPort): Promise<{ vms: number }>;
  readLaneWork(input: ReadLaneWorkInput, log?: LogPort): Promise<LaneVm[]>;
  /** Ends a bulk run's open outcomes: any VM still in progress is failed with the reason. */
  closeRun(input: CloseRunInput, log?: LogPort): Promise<{ closed: number }>;
}

/**
 * The activities of the remediation, built from injected ports. Each one is idempotent (a
 * retry after a crash or a transient failure finds the VM already in the target state and
 * does nothing), logs what it did, and throws AccelnetError on failure.
 */
export function createActivities(deps: ActivityDeps): Activities {
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
  const drive = (kind: string, pollable: Pollable): Promise<unknown> =>
    timer.drive(kind, pollable, performance.now()).catch((error: unknown) => {
      throw operationError(ensureError(error));
    });

  async function step<T>(
    name: string,
    input: { vm: VmRef; runId: string },
    log: LogPort,
    work: () => Promise<T>,
  ): Promise<T> {
    const started = Date.now();
    try {
      const result = await work();
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
  ): Promise<PowerOutput> {
    const kind =
      target === 'deallocated' ? 'deallocate' : target === 'running' ? 'start' : 'powerOff';
    let wait = Math.max(deps.pollIntervalMs, (timer.expectedMs(kind) ?? deps.pollIntervalMs) * 0.1);
    for (let round = 0; round < 200; round += 1) {
      const state = await powerState(ports, vm);
      if (state === target) return { powerState: target, changed: false };
      if (state !== transitional) throw conflict;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(30_000, wait * 1.5);
    }
    throw conflict;
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
      step('deallocate', input, log, async () => {
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
          return awaitState(ports, input.vm, 'deallocated', 'deallocating', error);
        }
        const changed = !poller.isDone;
        await drive(
          'deallocate',
          powerActionPollable(poller, (url) => ports.operations.get(url)),
        );
        return { powerState: 'deallocated', changed };
      }),

    enableAcceleratedNetworking: (input, log = deps.log) =>
      step('enableNics', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        // The invariant that matters most: a NIC is changed only while its VM is deallocated.
        const before = await powerState(ports, input.vm);
        if (before !== 'deallocated') {
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
          await drive('nicUpdate', classicPollable(poller));
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
      step('start', input, log, async () => {
        const ports = deps.arm(input.vm.subscriptionId);
        const poller = ports.compute.virtualMachines.start(input.vm.resourceGroup, input.vm.name);
        try {
          await poller.submitted();
        } catch (error) {
          if (ensureError(error).code !== 'OperationNotAllowed') throw error;
          return awaitState(ports, input.vm, 'running', 'starting', error);
        }
        const changed = !poller.isDone;
        await drive(
          'start',
          powerActionPollable(poller, (url) => ports.operations.get(url)),
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

    recordRun: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      const existing = await deps.runs.getRun(input.runId);
      await deps.runs.putRun({
        id: input.runId,
        status: input.status,
        createdAt: existing?.createdAt ?? input.createdAt,
        updatedAt: new Date().toISOString(),
        request: input.request,
        ...(input.error !== undefined ? { error: input.error } : {}),
      });
      log({
        level: 'info',
        runId: input.runId,
        vmId: null,
        step: 'recordRun',
        status: input.status,
        ...(input.error !== undefined ? { error: input.error } : {}),
      });
    },

    readRunProgress: async (input) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      const counts: RunProgress['counts'] = {};
      let done = 0;
      for (const result of await deps.runs.listVmResults(input.runId)) {
        counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
        if (result.outcome !== 'in-progress' && result.outcome !== 'pending-approval') done += 1;
      }
      return { done, counts };
    },

    storeLaneWork: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      await deps.runs.putLaneWork(input.runId, input.lanes);
      const vms = input.lanes.reduce((n, lane) => n + lane.length, 0);
      log({
        level: 'info',
        runId: input.runId,
        vmId: null,
        step: 'storeLaneWork',
        lanes: input.lanes.length,
        vms,
      });
      return { vms };
    },

    readLaneWork: async (input) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      return deps.runs.getLaneWork(input.runId, input.lane, input.offset, input.limit);
    },

    closeRun: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      const open = (await deps.runs.listVmResults(input.runId)).filter((r) => !isFinal(r.outcome));
      if (open.length > 0) {
        await deps.runs.putVmResults(
          input.runId,
          open.map((r) => ({ ...r, outcome: 'failed', reason: input.reason })),
        );
      }
      log({ level: 'info', runId: input.runId, vmId: null, step: 'closeRun', closed: open.length });
      return { closed: open.length };
    },

    recordVmResults: async (input, log = deps.log) => {
      if (!deps.runs) throw new AccelnetError('NoRunStore', 'No run store is configured.');
      await deps.runs.putVmResults(input.runId, input.results);
      const [only] = input.results;
      log({
        level: 'info',
        runId: input.runId,
        // One VM's result (a lane's VM) names it; a batch is counted.
        vmId: input.results.length === 1 && only ? only.vmId : null,
        step: 'recordVmResults',
        vms: input.results.length,
        ...(input.results.length === 1 && only ? { outcome: only.outcome } : {}),
      });
    },

    recordAudit: async (input, log = deps.log) => {
      const rows = Array.isArray(input) ? input : [input];
      for (const row of rows) log({ level: 'info', audit: true, ...row });
      if (rows.length === 1 && rows[0]) await deps.audit.record(rows[0]);
      else if (deps.audit.recordMany) await deps.audit.recordMany(rows);
      else for (const row of rows) await deps.audit.record(row);
    },
  };
}

/** A VM's reference from its facts. */
function refOf(facts: VmFacts): VmRef {
  return (
    parseVmId(facts.id) ?? {
      id: facts.id,
      subscriptionId: facts.subscriptionId,
      resourceGroup: facts.resourceGroup,
      name: facts.name,
    }
  );
}
