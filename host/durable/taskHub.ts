/**
 * A task hub that runs orchestrations with the real durable-functions replay engine, in parts:
 * an episode (episode.ts) calls the registered orchestrator with the payload the Durable
 * extension builds and turns the returned actions into DTFx history; dispatch (dispatch.ts)
 * runs the work and delivers what comes back; retries (retries.ts) run in the host as in the
 * extension; records are persisted (persistence.ts) after every change so a new hub over the
 * same directory resumes work in flight; limits come from host.json and app settings
 * (limits.ts). Entities run beside the orchestrations (entities.ts). This module is the hub's
 * face (start, query, raise, terminate, purge) and the life of an instance.
 */
import { randomUUID } from 'node:crypto';

import { errorMessage, type HostLogger } from '../log';
import type { Registry } from '../registry';
import { Dispatcher } from './dispatch';
import { Entities, type EntityRecord } from './entities';
import { hasInvalidKeyCharacter, isEntityInstance, schedulerId } from './entityMessages';
import { runEpisode } from './episode';
import { InstanceExistsError, InvalidArgumentError, UnknownOrchestratorError } from './errors';
import { EventType, type HistoryEvent, historyEvent } from './history';
import { LanguageWorker } from './languageWorker';
import { hostLimits } from './limits';
import { HubRecords } from './persistence';
import { type InstanceRecord, type RuntimeStatus, TERMINAL } from './records';
import { Semaphore } from './semaphore';

export { InstanceExistsError, InvalidArgumentError, UnknownOrchestratorError } from './errors';
export type { InstanceRecord, RuntimeStatus, WorkItem } from './records';

export interface TaskHubOptions {
  registry: Registry;
  dataDir?: string;
  log: HostLogger;
  taskHubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
  maxEntityOperationBatchSize?: number;
  /** The app's environment (its app settings), for the limits it may set. */
  env?: NodeJS.ProcessEnv;
}

export class TaskHub {
  readonly name: string;
  readonly #registry: Registry;
  readonly #log: HostLogger;
  readonly #records: HubRecords;
  readonly #entities: Entities;
  readonly #dispatcher: Dispatcher;
  readonly #worker: LanguageWorker;
  /** Slots for episodes of orchestrations and entities alike (one work-item queue for both). */
  readonly #orchestrators: Semaphore;
  readonly #busy = new Set<string>();
  readonly #again = new Set<string>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #stopped = false;

  constructor(options: TaskHubOptions) {
    this.name = options.taskHubName ?? 'accelnet';
    this.#registry = options.registry;
    this.#log = options.log;
    const limits = hostLimits(options.registry.entry, options, options.env);
    this.#worker = new LanguageWorker(limits.functionTimeoutMs, options.log);
    this.#records = new HubRecords(options.dataDir, options.log, (id) => this.#entities.get(id));
    this.#orchestrators = new Semaphore(limits.maxConcurrentOrchestratorFunctions);
    this.#entities = new Entities({
      registry: options.registry,
      log: options.log,
      batchSize: limits.maxEntityOperationBatchSize,
      stopped: () => this.#stopped,
      persist: (rec) => this.#records.persist(rec),
      schedule: (id) => this.#schedule(id),
      dispatch: (rec, messages) => this.#dispatcher.sendAfterCheckpoint(rec, messages),
    });
    this.#dispatcher = new Dispatcher({
      records: this.#records,
      entities: this.#entities,
      registry: options.registry,
      log: options.log,
      activities: new Semaphore(limits.maxConcurrentActivityFunctions),
      worker: this.#worker,
      stopped: () => this.#stopped,
      schedule: (id) => this.#schedule(id),
      create: (name, instanceId, input, parent) => {
        this.#create(name, instanceId, input, parent);
      },
    });
  }

  /** Loads persisted instances and entities, resumes those in flight and sends what was unsent. */
  start(): void {
    for (const entity of this.#records.load()) this.#entities.load(entity);
    const instances = [...this.#records.instances.values()];
    for (const rec of instances) {
      if (TERMINAL.has(rec.runtimeStatus)) continue;
      this.#log.info('resuming instance', { instanceId: rec.instanceId, work: rec.work.length });
      for (const item of rec.work) this.#dispatcher.dispatch(rec, item, true);
      if (rec.inbox.length > 0) this.#schedule(rec.instanceId);
    }
    // Messages in an outbox are on disk with the state that sent them; a copy that had
    // already arrived is recognised by its receiver and dropped.
    for (const rec of [...instances, ...this.#entities.list()])
      if (rec.outbox && rec.outbox.length > 0) this.#dispatcher.send(rec, [...rec.outbox]);
    for (const entity of this.#entities.list()) this.#schedule(entity.id);
  }

  /** Stops timers and dispatching; work still running is discarded when it ends. */
  stop(): void {
    this.#records.stop();
    this.#stopped = true;
    this.#dispatcher.stop();
    this.#worker.stop();
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

  get(instanceId: string): InstanceRecord | undefined {
    return this.#records.instances.get(instanceId);
  }

  list(): InstanceRecord[] {
    return [...this.#records.instances.values()];
  }

  /** Queues an external event; false when the instance does not exist or has ended. */
  raiseEvent(
    instanceId: string,
    eventName: string,
    input: string | undefined,
  ): 'ok' | 'notFound' | 'gone' {
    const rec = this.#records.instances.get(instanceId);
    if (!rec) return 'notFound';
    if (TERMINAL.has(rec.runtimeStatus)) return 'gone';
    rec.inbox.push(historyEvent(EventType.EventRaised, { Name: eventName, Input: input }));
    this.#records.persist(rec);
    this.#schedule(instanceId);
    return 'ok';
  }

  terminate(instanceId: string, reason: string): 'ok' | 'notFound' | 'gone' {
    const rec = this.#records.instances.get(instanceId);
    if (!rec) return 'notFound';
    if (TERMINAL.has(rec.runtimeStatus)) return 'gone';
    this.#dispatcher.cancelTimers(rec);
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
      this.#records.remove(instanceId);
      return true;
    }
    const rec = this.#records.instances.get(instanceId);
    if (!rec) return false;
    this.#dispatcher.cancelTimers(rec);
    this.#records.instances.delete(instanceId);
    this.#records.remove(instanceId);
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
      const rec = this.#records.instances.get(instanceId);
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
    return this.#records.instances.get(instanceId);
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
            const rec = this.#records.instances.get(id);
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
    const rec = this.#records.instances.get(id);
    return rec !== undefined && !TERMINAL.has(rec.runtimeStatus) && rec.inbox.length > 0;
  }

  /** Runs one episode and carries out what it decided. */
  async #episode(rec: InstanceRecord): Promise<void> {
    const result = await runEpisode(
      {
        registry: this.#registry,
        entities: this.#entities,
        log: this.#log,
        isCurrent: (r) =>
          !this.#stopped &&
          this.#records.instances.get(r.instanceId) === r &&
          !TERMINAL.has(r.runtimeStatus),
        dropTimer: (r, id) =>
          this.#dispatcher.dropWork(r, (w) => w.kind === 'timer' && w.id === id),
      },
      rec,
    );
    switch (result.kind) {
      case 'none':
        return;
      case 'failed':
        this.#log.warn('orchestration failed', {
          instanceId: rec.instanceId,
          error: result.reason,
        });
        this.#finish(rec, 'Failed', JSON.stringify(result.reason));
        break;
      case 'completed':
        this.#finish(rec, 'Completed', result.output);
        break;
      case 'continuedAsNew':
        this.#continueAsNew(rec, result.input, result.carryOver);
        break;
      case 'waiting': {
        const { followUps } = result;
        rec.work.push(...followUps);
        rec.lastUpdatedTime = new Date().toISOString();
        this.#records.persist(rec);
        // Checkpoint, then dispatch (as the Durable extension does): work starts only once the
        // state that scheduled it is on disk, so a host killed meanwhile never runs an activity
        // again after the work that followed it has already touched ARM.
        if (followUps.length > 0)
          this.#records.afterCheckpoint(() => {
            for (const item of followUps) this.#dispatcher.dispatch(rec, item, false);
          });
        break;
      }
    }
    this.#dispatcher.sendAfterCheckpoint(rec, result.outgoing);
  }

  // ---- the life of an instance ----

  #create(
    name: string,
    instanceId: string,
    input: string | undefined,
    parent: InstanceRecord['parent'],
  ): InstanceRecord {
    const existing = this.#records.instances.get(instanceId);
    if (existing && !TERMINAL.has(existing.runtimeStatus))
      throw new InstanceExistsError(instanceId, existing.runtimeStatus);
    if (existing) this.#dispatcher.cancelTimers(existing);
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
      nextSeq: 0,
      work: [],
    };
    rec.inbox.push(executionStarted(rec));
    this.#records.instances.set(instanceId, rec);
    this.#records.persist(rec);
    this.#log.info('instance created', { instanceId, name });
    this.#schedule(instanceId);
    return rec;
  }

  #continueAsNew(rec: InstanceRecord, input: string | undefined, carryOver: HistoryEvent[]): void {
    this.#dispatcher.cancelTimers(rec);
    this.#log.info('continued as new', { instanceId: rec.instanceId });
    this.#leaveLocks(rec, 'ContinuedAsNew');
    rec.runtimeStatus = 'ContinuedAsNew';
    rec.executionId = randomUUID().replace(/-/g, '');
    rec.input = input;
    rec.output = undefined;
    rec.history = [];
    rec.nextSeq = 0;
    rec.work = [];
    // External events go on to the new execution: those of the last episode that came after
    // the orchestrator continued as new (DTFx carries them over), and those raised since (the
    // client raises events to an instance, not to one execution: DurableClient.cs:835-838).
    // Those it had received before and not consumed are gone, as in the extension: the
    // out-of-process shim never asks to preserve them (OutOfProcOrchestrationShim.cs:170-173).
    rec.inbox = [
      executionStarted(rec),
      ...carryOver,
      ...rec.inbox.filter((e) => e.EventType === EventType.EventRaised),
    ];
    rec.runtimeStatus = 'Running';
    rec.lastUpdatedTime = new Date().toISOString();
    this.#records.persist(rec);
    this.#again.add(rec.instanceId);
  }

  #finish(rec: InstanceRecord, status: RuntimeStatus, output: string): void {
    this.#dispatcher.cancelTimers(rec);
    this.#leaveLocks(rec, status);
    rec.runtimeStatus = status;
    rec.output = output;
    rec.work = [];
    rec.lastUpdatedTime = new Date().toISOString();
    this.#records.persist(rec);
    this.#log.info('instance finished', { instanceId: rec.instanceId, runtimeStatus: status });
    if (rec.parent && status !== 'Terminated') this.#dispatcher.notifyParent(rec);
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
}

/** The first event of an execution. */
function executionStarted(rec: InstanceRecord): HistoryEvent {
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
