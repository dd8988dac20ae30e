/**
 * A task hub that runs orchestrations with the real durable-functions replay engine: each
 * episode calls the registered orchestrator with the payload the Durable extension builds,
 * then executes the returned actions and records DTFx history. Entities run beside them
 * (entities.ts). State is persisted per instance and per entity after every change so a new
 * hub over the same directory resumes work in flight.
 */
import { randomUUID } from 'node:crypto';
import { types } from 'node:util';

import { errorMessage, type HostLogger } from '../log';
import type { Registry } from '../registry';
import { fromTypedData } from '../rpc';
import { ActionType, flattenActions, processedInputJson, type WireAction } from './actions';
import { Checkpoint } from './checkpoint';
import { Entities, type EntityRecord, isEntityRecord } from './entities';
import {
  hasInvalidKeyCharacter,
  inboundOf,
  isEntityInstance,
  type Outgoing,
  schedulerId,
} from './entityMessages';
import { InstanceExistsError, InvalidArgumentError, UnknownOrchestratorError } from './errors';
import { EventType, type HistoryEvent, historyEvent, OrchestrationStatusCode } from './history';
import { entityStep, isEntityAction, noteLockResponses, release } from './orchestrationEntities';
import { invokeOrchestrator, orchestratorPayload } from './orchestratorCall';
import { type InstanceRecord, type RuntimeStatus, TERMINAL, type WorkItem } from './records';
import { advanceRetries, allotsSequence } from './retries';
import { Semaphore } from './semaphore';
import { durableSetting } from './settings';

export { InstanceExistsError, InvalidArgumentError, UnknownOrchestratorError } from './errors';
export type { InstanceRecord, RuntimeStatus, WorkItem } from './records';

/** What the hub writes: an orchestration instance or an entity. */
type StoredRecord = InstanceRecord | EntityRecord;

export interface TaskHubOptions {
  registry: Registry;
  dataDir?: string;
  log: HostLogger;
  taskHubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
  maxEntityOperationBatchSize?: number;
}

export class TaskHub {
  readonly name: string;
  readonly #registry: Registry;
  readonly #log: HostLogger;
  readonly #checkpoint: Checkpoint<StoredRecord>;
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #entities: Entities;
  readonly #activities: Semaphore;
  /** Slots for episodes of orchestrations and entities alike (one work-item queue for both). */
  readonly #orchestrators: Semaphore;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #busy = new Set<string>();
  readonly #again = new Set<string>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #stopped = false;

  constructor(options: TaskHubOptions) {
    this.name = options.taskHubName ?? 'accelnet';
    this.#registry = options.registry;
    this.#log = options.log;
    this.#checkpoint = new Checkpoint<StoredRecord>(options.dataDir, options.log, (id, doc) =>
      isEntityRecord(doc) ? this.#entities.get(id) === doc : this.#instances.get(id) === doc,
    );
    this.#activities = new Semaphore(
      options.maxConcurrentActivityFunctions ??
        durableSetting('maxConcurrentActivityFunctions', options.registry.entry),
    );
    this.#orchestrators = new Semaphore(
      options.maxConcurrentOrchestratorFunctions ??
        durableSetting('maxConcurrentOrchestratorFunctions', options.registry.entry),
    );
    this.#entities = new Entities({
      registry: options.registry,
      log: options.log,
      batchSize:
        options.maxEntityOperationBatchSize ??
        durableSetting('maxEntityOperationBatchSize', options.registry.entry),
      stopped: () => this.#stopped,
      persist: (rec) => this.#checkpoint.mark(rec.id, rec),
      schedule: (id) => this.#schedule(id),
      dispatch: (rec, messages) => this.#dispatchMessages(rec, messages),
    });
  }

  /** Loads persisted instances and entities, resumes those in flight and sends what was unsent. */
  start(): void {
    for (const doc of this.#checkpoint.loadAll()) {
      if (isEntityRecord(doc)) this.#entities.load(doc);
      else this.#instances.set(doc.instanceId, doc);
    }
    for (const rec of this.#instances.values()) {
      if (TERMINAL.has(rec.runtimeStatus)) continue;
      this.#log.info('resuming instance', { instanceId: rec.instanceId, work: rec.work.length });
      for (const item of rec.work) this.#dispatch(rec, item, true);
      if (rec.inbox.length > 0) this.#schedule(rec.instanceId);
    }
    // Messages in an outbox are on disk with the state that sent them; a copy that had
    // already arrived is recognised by its receiver and dropped.
    for (const rec of [...this.#instances.values(), ...this.#entities.list()])
      if (rec.outbox && rec.outbox.length > 0) this.#send(rec, [...rec.outbox]);
    for (const entity of this.#entities.list()) this.#schedule(entity.id);
  }

  /** Stops timers and dispatching; work still running is discarded when it ends. */
  stop(): void {
    this.#checkpoint.stop();
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Starts a new instance; an id that is Pending or Running is rejected. */
  startNew(name: string, options: { instanceId?: string; input?: string } = {}): string {
    const fn = this.#registry.get(name);
    if (!fn || fn.triggerType !== 'orchestrationTrigger') throw new UnknownOrchestratorError(name);
    if (options.instanceId !== undefined && isEntityInstance(options.instanceId))
      throw new InvalidArgumentError('Orchestration instance ids must not start with @.');
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    this.#create(name, instanceId, options.input, undefined);
    return instanceId;
  }

  #create(
    name: string,
    instanceId: string,
    input: string | undefined,
    parent: InstanceRecord['parent'],
  ): InstanceRecord {
    const existing = this.#instances.get(instanceId);
    if (existing && !TERMINAL.has(existing.runtimeStatus))
      throw new InstanceExistsError(instanceId);
    if (existing) this.#cancelTimers(existing);
    const now = new Date().toISOString();
    const rec: InstanceRecord = {
      instanceId,
      name,
      executionId: randomUUID().replace(/-/g, ''),
      runtimeStatus: 'Pending',
      input,
      createdTime: now,
      lastUpdatedTime: now,
      parent,
      history: [],
      inbox: [],
      knownActions: 0,
      actionIds: [],
      nextSeq: 0,
      work: [],
      retries: [],
    };
    rec.inbox.push(this.#executionStarted(rec));
    this.#instances.set(instanceId, rec);
    this.#persist(rec);
    this.#log.info('instance created', { instanceId, name });
    this.#schedule(instanceId);
    return rec;
  }

  #executionStarted(rec: InstanceRecord): HistoryEvent {
    return historyEvent(EventType.ExecutionStarted, {
      Name: rec.name,
      Input: rec.input,
      Version: '',
      OrchestrationInstance: { InstanceId: rec.instanceId, ExecutionId: rec.executionId },
      ParentInstance: rec.parent
        ? {
            OrchestrationInstance: { InstanceId: rec.parent.instanceId },
            TaskScheduleId: rec.parent.taskId,
          }
        : undefined,
    });
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.#instances.get(instanceId);
  }

  list(): InstanceRecord[] {
    return [...this.#instances.values()];
  }

  /** Queues an external event; false when the instance does not exist or has ended. */
  raiseEvent(
    instanceId: string,
    eventName: string,
    input: string | undefined,
  ): 'ok' | 'notFound' | 'gone' {
    const rec = this.#instances.get(instanceId);
    if (!rec) return 'notFound';
    if (TERMINAL.has(rec.runtimeStatus)) return 'gone';
    rec.inbox.push(historyEvent(EventType.EventRaised, { Name: eventName, Input: input }));
    this.#persist(rec);
    this.#schedule(instanceId);
    return 'ok';
  }

  terminate(instanceId: string, reason: string): 'ok' | 'notFound' | 'gone' {
    const rec = this.#instances.get(instanceId);
    if (!rec) return 'notFound';
    if (TERMINAL.has(rec.runtimeStatus)) return 'gone';
    this.#cancelTimers(rec);
    rec.work = [];
    rec.inbox = [];
    rec.history.push(
      historyEvent(EventType.ExecutionTerminated, { Input: JSON.stringify(reason) }),
    );
    this.#finish(rec, 'Terminated', JSON.stringify(reason));
    return 'ok';
  }

  /** Removes an instance or an entity (by its `@name@key` id) and its file. */
  purge(instanceId: string): boolean {
    if (isEntityInstance(instanceId)) {
      if (!this.#entities.remove(instanceId)) return false;
      this.#checkpoint.remove(instanceId);
      return true;
    }
    const rec = this.#instances.get(instanceId);
    if (!rec) return false;
    this.#cancelTimers(rec);
    this.#instances.delete(instanceId);
    this.#checkpoint.remove(instanceId);
    return true;
  }

  // ---- entities, as the durable client reaches them ----

  /** An entity by scheduler id (`@name@key`). */
  entity(id: string): EntityRecord | undefined {
    return this.#entities.get(id);
  }

  entities(): EntityRecord[] {
    return this.#entities.list();
  }

  /** A client's signal: the operation is queued for the entity, nobody waits for it. */
  signalEntity(name: string, key: string, operation: string, input: string | undefined): void {
    if (hasInvalidKeyCharacter(key))
      throw new InvalidArgumentError(
        'Entity keys must not contain /, \\, #, ?, or control characters.',
      );
    if (!this.#entities.knows(name))
      throw new InvalidArgumentError(this.#entities.unknownMessage(name.toLowerCase()));
    this.#entities.deliver(schedulerId({ name, key }), {
      name: 'op',
      message: {
        op: operation,
        signal: true,
        ...(input !== undefined ? { input } : {}),
        id: randomUUID(),
      },
    });
  }

  /**
   * The state of an entity as the client reads it: none unless it exists with a state (the
   * extension reads the scheduler's stored state, absent for an entity that never set one).
   */
  readEntityState(name: string, key: string): string | undefined {
    const rec = this.#entities.get(schedulerId({ name, key }));
    return rec?.exists ? rec.state : undefined;
  }

  /** Resolves once the instance has reached Completed, Failed or Terminated (or on timeout). */
  async waitForCompletion(
    instanceId: string,
    timeoutMs: number,
  ): Promise<InstanceRecord | undefined> {
    const done = (): boolean => {
      const rec = this.#instances.get(instanceId);
      return rec !== undefined && TERMINAL.has(rec.runtimeStatus);
    };
    if (!done()) {
      await new Promise<void>((resolve) => {
        const waiters = this.#waiters.get(instanceId) ?? new Set<() => void>();
        this.#waiters.set(instanceId, waiters);
        const timer = setTimeout(() => finish(), timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const check = (): void => {
          if (done()) finish();
        };
        waiters.add(check);
      });
    }
    return this.#instances.get(instanceId);
  }

  // ---- episodes ----

  /** Runs the episodes of an instance or an entity, one at a time, while it has work. */
  #schedule(id: string): void {
    if (this.#stopped) return;
    if (this.#busy.has(id)) {
      this.#again.add(id);
      return;
    }
    this.#busy.add(id);
    void this.#orchestrators
      .run(async () => {
        try {
          for (;;) {
            this.#again.delete(id);
            if (this.#stopped || !this.#hasWork(id)) break;
            const rec = this.#instances.get(id);
            if (rec) await this.#episode(rec);
            else await this.#entities.runEpisode(id);
          }
        } catch (err) {
          this.#log.error('episode failed', { instanceId: id, error: errorMessage(err) });
        }
      })
      .finally(() => {
        this.#busy.delete(id);
        if (this.#again.has(id) || this.#hasWork(id)) {
          this.#again.delete(id);
          this.#schedule(id);
        }
      });
  }

  #hasWork(id: string): boolean {
    if (isEntityInstance(id)) return this.#entities.hasWork(id);
    const rec = this.#instances.get(id);
    return rec !== undefined && !TERMINAL.has(rec.runtimeStatus) && rec.inbox.length > 0;
  }

  /**
   * Gives the orchestrator the new events waiting for it and applies what it decides. Like the
   * Durable extension, it hands over a batch: the first event, then those queued behind it
   * that allot no sequence number (completions, external events, plain timers); a failure or
   * a retry timer starts a batch of its own, so the numbers the host allots to retries and to
   * new actions stay in the engine's order.
   */
  async #episode(rec: InstanceRecord): Promise<void> {
    let size = 0;
    for (const e of rec.inbox) {
      if (size > 0 && allotsSequence(rec, e)) break;
      size++;
    }
    const batch = rec.inbox.slice(0, size);
    if (batch.length === 0) return;
    const started = historyEvent(EventType.OrchestratorStarted);
    const newEvents: HistoryEvent[] = [started, ...batch];
    const emitted: HistoryEvent[] = [];
    const followUps: WorkItem[] = [];

    const outcome = await invokeOrchestrator(
      this.#registry,
      rec.name,
      orchestratorPayload(rec, newEvents),
    );
    if (
      this.#stopped ||
      this.#instances.get(rec.instanceId) !== rec ||
      TERMINAL.has(rec.runtimeStatus)
    )
      return;
    // The batch leaves the inbox only now that the episode is applied: the record written
    // while the orchestrator ran (when a completion arrived meanwhile) still holds it, so a
    // host stopped or killed mid-episode loses no event.
    rec.inbox.splice(0, batch.length);
    // Retries run in the host: the engine allots the retry timer and the next attempt a
    // sequence number as it reads the failure or the timer, before any new action.
    for (const e of batch) advanceRetries(rec, e, emitted, followUps);
    rec.history.push(...newEvents);
    if (rec.runtimeStatus === 'Pending') rec.runtimeStatus = 'Running';
    noteLockResponses(rec, batch);

    if (outcome.kind === 'failed') {
      rec.history.push(...emitted);
      // The extension carries out the actions of a failing out-of-process episode before it
      // fails the orchestration: entity messages among them are sent (so a release in a
      // `finally` frees the entities).
      const sent = this.#entityActions(rec, flattenActions(outcome.actions));
      rec.history.push(...sent.events);
      if (outcome.customStatus !== undefined)
        rec.customStatus = JSON.stringify(outcome.customStatus);
      rec.history.push(
        historyEvent(EventType.ExecutionCompleted, {
          OrchestrationStatus: OrchestrationStatusCode.Failed,
          Result: JSON.stringify(outcome.error),
        }),
        historyEvent(EventType.OrchestratorCompleted),
      );
      this.#log.warn('orchestration failed', { instanceId: rec.instanceId, error: outcome.error });
      this.#finish(rec, 'Failed', JSON.stringify(outcome.error));
      this.#dispatchMessages(rec, sent.outgoing);
      return;
    }

    const state = outcome.state;
    const actions = flattenActions(state.actions);
    let continueAsNew: WireAction | undefined;
    let failure: string | undefined;
    const outgoing: Outgoing[] = [];
    for (let i = rec.knownActions; i < actions.length; i++) {
      const action = actions[i];
      if (!action || failure !== undefined) continue;
      let id: number | null = null;
      switch (action.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry: {
          id = rec.nextSeq++;
          const input = processedInputJson(action.input);
          const name = action.functionName ?? '';
          emitted.push(historyEvent(EventType.TaskScheduled, { Name: name, Input: input }, id));
          followUps.push({ kind: 'activity', id, name, input });
          if (action.actionType === ActionType.CallActivityWithRetry && action.retryOptions) {
            rec.retries.push({
              kind: 'activity',
              name,
              input,
              options: action.retryOptions,
              attempt: 1,
              attemptId: id,
            });
          }
          break;
        }
        case ActionType.CallSubOrchestrator:
        case ActionType.CallSubOrchestratorWithRetry: {
          id = rec.nextSeq++;
          const name = action.functionName ?? '';
          const instanceId = action.instanceId || `${rec.instanceId}:${id}`;
          const input = action.input === undefined ? undefined : JSON.stringify(action.input);
          emitted.push(
            historyEvent(
              EventType.SubOrchestrationInstanceCreated,
              { Name: name, InstanceId: instanceId, Input: input },
              id,
            ),
          );
          followUps.push({ kind: 'subOrchestration', id, name, instanceId, input });
          if (
            action.actionType === ActionType.CallSubOrchestratorWithRetry &&
            action.retryOptions
          ) {
            rec.retries.push({
              kind: 'subOrchestration',
              name,
              input,
              instanceId,
              options: action.retryOptions,
              attempt: 1,
              attemptId: id,
            });
          }
          break;
        }
        case ActionType.CreateTimer: {
          id = rec.nextSeq++;
          const fireAt = action.fireAt ?? new Date().toISOString();
          emitted.push(historyEvent(EventType.TimerCreated, { FireAt: fireAt }, id));
          if (!action.isCanceled) followUps.push({ kind: 'timer', id, fireAt });
          break;
        }
        case ActionType.CallEntity:
        case ActionType.SignalEntity:
        case ActionType.LockEntities:
        case ActionType.ReleaseEntities: {
          const step = entityStep(rec, action, this.#entities);
          if ('error' in step) {
            failure = step.error;
            break;
          }
          id = step.id;
          emitted.push(...step.events);
          outgoing.push(...step.outgoing);
          if (step.awaits !== undefined)
            followUps.push({ kind: 'entity', id, requestId: step.awaits });
          break;
        }
        case ActionType.WaitForExternalEvent:
          break;
        case ActionType.ContinueAsNew:
          continueAsNew = action;
          break;
        default:
          failure = `action type ${action.actionType} is not supported by the local host`;
      }
      rec.actionIds[i] = id;
    }
    rec.knownActions = Math.max(rec.knownActions, actions.length);

    // Timers the orchestrator cancelled (e.g. a timeout that lost a race) are dropped.
    actions.forEach((action, i) => {
      const id = rec.actionIds[i];
      if (
        action.actionType === ActionType.CreateTimer &&
        action.isCanceled &&
        typeof id === 'number'
      ) {
        this.#dropWork(rec, (w) => w.kind === 'timer' && w.id === id);
      }
    });
    if (state.customStatus !== undefined) rec.customStatus = JSON.stringify(state.customStatus);
    rec.history.push(...emitted);

    if (failure !== undefined) {
      this.#log.warn('orchestration failed', { instanceId: rec.instanceId, error: failure });
      rec.history.push(historyEvent(EventType.OrchestratorCompleted));
      this.#finish(rec, 'Failed', JSON.stringify(failure));
      this.#dispatchMessages(rec, outgoing);
      return;
    }
    // An orchestration that ends (or continues as new) holding locks releases them, as the
    // extension's orchestration shim does once the orchestrator function has completed.
    if (state.isDone) {
      const released = rec.critical?.acquired ? release(rec) : undefined;
      if (released) {
        rec.history.push(...released.events);
        outgoing.push(...released.outgoing);
        this.#log.info('locks released as the orchestration ended', {
          instanceId: rec.instanceId,
          entities: released.outgoing.map((m) => (m.to === 'entity' ? m.target : m.instanceId)),
        });
      }
    }
    if (state.isDone && continueAsNew) {
      this.#continueAsNew(rec, processedInputJson(continueAsNew.input));
      this.#dispatchMessages(rec, outgoing);
      return;
    }
    if (state.isDone) {
      const output = JSON.stringify(state.output ?? null);
      rec.history.push(
        historyEvent(EventType.ExecutionCompleted, {
          OrchestrationStatus: OrchestrationStatusCode.Completed,
          Result: output,
        }),
        historyEvent(EventType.OrchestratorCompleted),
      );
      this.#finish(rec, 'Completed', output);
      this.#dispatchMessages(rec, outgoing);
      return;
    }
    rec.history.push(historyEvent(EventType.OrchestratorCompleted));
    rec.work.push(...followUps);
    rec.lastUpdatedTime = new Date().toISOString();
    this.#persist(rec);
    // Checkpoint, then dispatch (as the Durable extension does): work starts only once the
    // state that scheduled it is on disk, so a host killed meanwhile never runs an activity
    // again after the work that followed it has already touched ARM.
    if (followUps.length > 0)
      this.#afterCheckpoint(() => {
        for (const item of followUps) this.#dispatch(rec, item, false);
      });
    this.#dispatchMessages(rec, outgoing);
  }

  /** The entity actions among an episode's new actions (those of a failing episode). */
  #entityActions(
    rec: InstanceRecord,
    actions: WireAction[],
  ): { events: HistoryEvent[]; outgoing: Outgoing[] } {
    const events: HistoryEvent[] = [];
    const outgoing: Outgoing[] = [];
    for (const action of actions.slice(rec.knownActions)) {
      if (!isEntityAction(action)) continue;
      const step = entityStep(rec, action, this.#entities);
      if ('error' in step) continue;
      events.push(...step.events);
      outgoing.push(...step.outgoing);
    }
    return { events, outgoing };
  }

  #continueAsNew(rec: InstanceRecord, input: string | undefined): void {
    this.#cancelTimers(rec);
    this.#log.info('continued as new', { instanceId: rec.instanceId });
    this.#leaveLocks(rec, 'ContinuedAsNew');
    rec.runtimeStatus = 'ContinuedAsNew';
    rec.executionId = randomUUID().replace(/-/g, '');
    rec.input = input;
    rec.output = undefined;
    rec.history = [];
    rec.knownActions = 0;
    rec.actionIds = [];
    rec.nextSeq = 0;
    rec.work = [];
    rec.retries = [];
    rec.inbox = [
      this.#executionStarted(rec),
      ...rec.inbox.filter((e) => e.EventType === EventType.EventRaised),
    ];
    rec.runtimeStatus = 'Running';
    rec.lastUpdatedTime = new Date().toISOString();
    this.#persist(rec);
    this.#again.add(rec.instanceId);
  }

  #finish(rec: InstanceRecord, status: RuntimeStatus, output: string): void {
    this.#cancelTimers(rec);
    this.#leaveLocks(rec, status);
    rec.runtimeStatus = status;
    rec.output = output;
    rec.work = [];
    rec.retries = [];
    rec.lastUpdatedTime = new Date().toISOString();
    this.#persist(rec);
    this.#log.info('instance finished', { instanceId: rec.instanceId, runtimeStatus: status });
    if (rec.parent && status !== 'Terminated') this.#notifyParent(rec, status, output);
    for (const waiter of [...(this.#waiters.get(rec.instanceId) ?? [])]) waiter();
  }

  /**
   * An execution that ends still holding (or still asking for) locks leaves them so, as the
   * extension does: it releases locks only when the orchestrator function completes (incl.
   * continue-as-new), never when it fails or is terminated. The entities stay locked by this
   * instance id until an execution under the same id releases them.
   */
  #leaveLocks(rec: InstanceRecord, status: RuntimeStatus): void {
    const section = rec.critical;
    if (!section) return;
    rec.critical = undefined;
    this.#log.warn(
      section.acquired
        ? 'orchestration ended holding locks: the entities stay locked'
        : 'orchestration ended with a lock request pending: the entities will stay locked once it is granted',
      {
        instanceId: rec.instanceId,
        runtimeStatus: status,
        entities: section.entities,
        lockRequestId: section.lockRequestId,
      },
    );
  }

  #notifyParent(child: InstanceRecord, status: RuntimeStatus, output: string): void {
    const link = child.parent;
    if (!link) return;
    const event =
      status === 'Completed'
        ? historyEvent(EventType.SubOrchestrationInstanceCompleted, {
            TaskScheduledId: link.taskId,
            Result: output,
          })
        : historyEvent(EventType.SubOrchestrationInstanceFailed, {
            TaskScheduledId: link.taskId,
            Reason: `Orchestrator function '${child.name}' failed: ${JSON.parse(output) as string}`,
            Details: '',
          });
    this.#deliver(
      link.instanceId,
      link.executionId,
      (w) => w.kind === 'subOrchestration' && w.id === link.taskId,
      event,
    );
  }

  // ---- work ----

  #dispatch(rec: InstanceRecord, item: WorkItem, resuming: boolean): void {
    if (this.#stopped) return;
    const { instanceId, executionId } = rec;
    const match = (w: WorkItem): boolean => w.kind === item.kind && w.id === item.id;
    switch (item.kind) {
      case 'activity':
        void this.#activities.run(() => this.#runActivity(instanceId, executionId, item, match));
        break;
      case 'timer':
        this.#armTimer(instanceId, executionId, item, match);
        break;
      case 'entity':
        // The request went out through the outbox; the response comes back by its id.
        break;
      case 'subOrchestration': {
        const child = this.#instances.get(item.instanceId);
        const linked = child?.parent?.instanceId === instanceId && child.parent.taskId === item.id;
        if (resuming && child && linked) {
          if (TERMINAL.has(child.runtimeStatus))
            this.#notifyParent(child, child.runtimeStatus, child.output ?? 'null');
          return;
        }
        try {
          this.#create(item.name, item.instanceId, item.input, {
            instanceId,
            executionId,
            taskId: item.id,
          });
        } catch (err) {
          this.#deliver(
            instanceId,
            executionId,
            match,
            historyEvent(EventType.SubOrchestrationInstanceFailed, {
              TaskScheduledId: item.id,
              Reason: errorMessage(err),
              Details: '',
            }),
          );
        }
        break;
      }
    }
  }

  async #runActivity(
    instanceId: string,
    executionId: string,
    item: Extract<WorkItem, { kind: 'activity' }>,
    match: (w: WorkItem) => boolean,
  ): Promise<void> {
    if (this.#stopped) return;
    let event: HistoryEvent;
    try {
      const fn = this.#registry.get(item.name);
      if (!fn || fn.triggerType !== 'activityTrigger') {
        throw new Error(
          `The function '${item.name}' doesn't exist or is not an activity function.`,
        );
      }
      const response = await this.#registry.invoke(item.name, {
        trigger: item.input === undefined ? undefined : { json: item.input },
      });
      const result = fromTypedData(response.returnValue);
      event = historyEvent(EventType.TaskCompleted, {
        TaskScheduledId: item.id,
        Result: JSON.stringify(result ?? null),
      });
    } catch (err) {
      this.#log.warn('activity failed', {
        instanceId,
        activity: item.name,
        error: errorMessage(err),
      });
      event = historyEvent(EventType.TaskFailed, {
        TaskScheduledId: item.id,
        Reason: `Activity function '${item.name}' failed: ${errorMessage(err)}`,
        Details: types.isNativeError(err) ? (err.stack ?? '') : '',
      });
    }
    this.#deliver(instanceId, executionId, match, event);
  }

  #armTimer(
    instanceId: string,
    executionId: string,
    item: Extract<WorkItem, { kind: 'timer' }>,
    match: (w: WorkItem) => boolean,
  ): void {
    const key = `${instanceId}|${executionId}|${item.id}`;
    const fire = (): void => {
      const remaining = Date.parse(item.fireAt) - Date.now();
      if (remaining > 0) {
        this.#timers.set(key, setTimeout(fire, Math.min(remaining, 2 ** 31 - 1)));
        return;
      }
      this.#timers.delete(key);
      this.#deliver(
        instanceId,
        executionId,
        match,
        historyEvent(EventType.TimerFired, { TimerId: item.id, FireAt: item.fireAt }),
      );
    };
    fire();
  }

  /** Moves a completion into the instance's inbox if that execution still waits for it. */
  #deliver(
    instanceId: string,
    executionId: string,
    match: (w: WorkItem) => boolean,
    event: HistoryEvent,
  ): void {
    if (this.#stopped) return;
    const rec = this.#instances.get(instanceId);
    if (!rec || rec.executionId !== executionId || TERMINAL.has(rec.runtimeStatus)) return;
    const index = rec.work.findIndex(match);
    if (index < 0) return;
    rec.work.splice(index, 1);
    rec.inbox.push(event);
    this.#persist(rec);
    this.#schedule(instanceId);
  }

  // ---- messages between orchestrations and entities ----

  /**
   * Sends what an episode produced once the state that produced it is on disk (checkpoint,
   * then dispatch): the messages wait in the sender's outbox, written with that state.
   */
  #dispatchMessages(sender: StoredRecord, messages: Outgoing[]): void {
    if (messages.length === 0) return;
    (sender.outbox ??= []).push(...messages);
    this.#persist(sender);
    this.#afterCheckpoint(() => this.#send(sender, messages));
  }

  /**
   * Hands messages to their receivers, and drops them from the sender's outbox once the
   * receivers' records are on disk too. A copy sent again (after a restart in between) is
   * recognised by its receiver: an entity by the message's id, an orchestration by the
   * response it no longer waits for.
   */
  #send(sender: StoredRecord, messages: Outgoing[]): void {
    if (this.#stopped) return;
    for (const m of messages) {
      if (m.to === 'orchestration') this.#respond(m);
      else this.#entities.deliver(m.target, inboundOf(m));
    }
    this.#afterCheckpoint(() => {
      sender.outbox = (sender.outbox ?? []).filter((m) => !messages.includes(m));
      this.#persist(sender);
    });
  }

  /** An entity's response, delivered if that execution of the orchestration still waits for it. */
  #respond(m: Extract<Outgoing, { to: 'orchestration' }>): void {
    const rec = this.#instances.get(m.instanceId);
    if (!rec) return;
    this.#deliver(
      m.instanceId,
      m.executionId ?? rec.executionId,
      (w) => w.kind === 'entity' && w.requestId === m.requestId,
      historyEvent(EventType.EventRaised, {
        Name: m.requestId,
        Input: JSON.stringify(m.response),
      }),
    );
  }

  #dropWork(rec: InstanceRecord, match: (w: WorkItem) => boolean): void {
    rec.work = rec.work.filter((w) => {
      if (!match(w)) return true;
      if (w.kind === 'timer') this.#clearTimer(`${rec.instanceId}|${rec.executionId}|${w.id}`);
      return false;
    });
  }

  #cancelTimers(rec: InstanceRecord): void {
    for (const w of rec.work)
      if (w.kind === 'timer') this.#clearTimer(`${rec.instanceId}|${rec.executionId}|${w.id}`);
  }

  #clearTimer(key: string): void {
    const timer = this.#timers.get(key);
    if (timer) clearTimeout(timer);
    this.#timers.delete(key);
  }

  #persist(rec: StoredRecord): void {
    if (isEntityRecord(rec)) this.#checkpoint.mark(rec.id, rec);
    else this.#checkpoint.mark(rec.instanceId, rec);
  }

  /** Runs `then` once the records changed so far are on disk. */
  #afterCheckpoint(then: () => void): void {
    this.#checkpoint.after(then);
  }
}
