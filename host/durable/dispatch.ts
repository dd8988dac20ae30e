/**
 * Dispatch of the work an orchestration waits on (activities, timers, sub-orchestrations) and
 * of the messages between orchestrations and entities, and delivery of what comes back: a
 * completion goes into the instance's inbox only while that execution still waits for it.
 */
import { types } from 'node:util';

import { errorMessage, type HostLogger } from '../log';
import type { Registry } from '../registry';
import { fromTypedData } from '../rpc';
import type { Entities } from './entities';
import { inboundOf, type Outgoing } from './entityMessages';
import { EventType, type HistoryEvent, historyEvent } from './history';
import type { LanguageWorker } from './languageWorker';
import type { HubRecords, StoredRecord } from './persistence';
import { type InstanceRecord, TERMINAL, type WorkItem } from './records';
import type { Semaphore } from './semaphore';

/** What dispatch needs from the hub it works for. */
export interface DispatchHost {
  readonly records: HubRecords;
  readonly entities: Entities;
  readonly registry: Registry;
  readonly log: HostLogger;
  /** Slots for activity invocations (maxConcurrentActivityFunctions). */
  readonly activities: Semaphore;
  /** The worker activities run on, with functionTimeout. */
  readonly worker: LanguageWorker;
  stopped(): boolean;
  /** Runs the episodes of an instance or an entity when it has work. */
  schedule(id: string): void;
  /** Starts a sub-orchestration; throws as a start does for an id that is running. */
  create(
    name: string,
    instanceId: string,
    input: string | undefined,
    parent: InstanceRecord['parent'],
  ): void;
}

/** Matches the work item a completion answers. */
type Match = (w: WorkItem) => boolean;

export class Dispatcher {
  readonly #host: DispatchHost;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(host: DispatchHost) {
    this.#host = host;
  }

  /** Starts a work item; `resuming` when a restarted hub picks up work from before. */
  dispatch(rec: InstanceRecord, item: WorkItem, resuming: boolean): void {
    if (this.#host.stopped()) return;
    const { instanceId, executionId } = rec;
    const match: Match = (w) => w.kind === item.kind && w.id === item.id;
    switch (item.kind) {
      case 'activity':
        void this.#host.activities.run(() =>
          this.#runActivity(instanceId, executionId, item, match),
        );
        break;
      case 'timer':
        this.#armTimer(instanceId, executionId, item, match);
        break;
      case 'entity':
        // The request went out through the outbox; the response comes back by its id.
        break;
      case 'subOrchestration': {
        const child = this.#host.records.instances.get(item.instanceId);
        const linked = child?.parent?.instanceId === instanceId && child.parent.taskId === item.id;
        if (resuming && child && linked) {
          if (TERMINAL.has(child.runtimeStatus)) this.notifyParent(child);
          return;
        }
        try {
          this.#host.create(item.name, item.instanceId, item.input, {
            instanceId,
            executionId,
            taskId: item.id,
          });
        } catch (err) {
          this.deliver(
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

  /** Tells the parent of a finished sub-orchestration how it ended. */
  notifyParent(child: InstanceRecord): void {
    const link = child.parent;
    if (!link) return;
    const output = child.output ?? 'null';
    const event =
      child.runtimeStatus === 'Completed'
        ? historyEvent(EventType.SubOrchestrationInstanceCompleted, {
            TaskScheduledId: link.taskId,
            Result: output,
          })
        : historyEvent(EventType.SubOrchestrationInstanceFailed, {
            TaskScheduledId: link.taskId,
            // DTFx hands the parent the child's failure as its reason (TaskOrchestrationDispatcher.cs:954-957).
            Reason: JSON.parse(output) as string,
            Details: '',
          });
    this.deliver(
      link.instanceId,
      link.executionId,
      (w) => w.kind === 'subOrchestration' && w.id === link.taskId,
      event,
    );
  }

  async #runActivity(
    instanceId: string,
    executionId: string,
    item: Extract<WorkItem, { kind: 'activity' }>,
    match: Match,
  ): Promise<void> {
    if (this.#host.stopped()) return;
    let event: HistoryEvent;
    try {
      const fn = this.#host.registry.get(item.name);
      if (!fn || fn.triggerType !== 'activityTrigger') {
        throw new Error(
          `The function '${item.name}' doesn't exist or is not an activity function.`,
        );
      }
      const response = await this.#host.worker.invoke(item.name, () =>
        this.#host.registry.invoke(item.name, {
          trigger: item.input === undefined ? undefined : { json: item.input },
        }),
      );
      const result = fromTypedData(response.returnValue);
      event = historyEvent(EventType.TaskCompleted, {
        TaskScheduledId: item.id,
        Result: JSON.stringify(result ?? null),
      });
    } catch (err) {
      this.#host.log.warn('activity failed', {
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
    this.deliver(instanceId, executionId, match, event);
  }

  #armTimer(
    instanceId: string,
    executionId: string,
    item: Extract<WorkItem, { kind: 'timer' }>,
    match: Match,
  ): void {
    const key = timerKey(instanceId, executionId, item.id);
    const fire = (): void => {
      const remaining = Date.parse(item.fireAt) - Date.now();
      if (remaining > 0) {
        this.#timers.set(key, setTimeout(fire, Math.min(remaining, 2 ** 31 - 1)));
        return;
      }
      this.#timers.delete(key);
      this.deliver(
        instanceId,
        executionId,
        match,
        historyEvent(EventType.TimerFired, { TimerId: item.id, FireAt: item.fireAt }),
      );
    };
    fire();
  }

  /** Moves a completion into the instance's inbox if that execution still waits for it. */
  deliver(instanceId: string, executionId: string, match: Match, event: HistoryEvent): void {
    if (this.#host.stopped()) return;
    const rec = this.#host.records.instances.get(instanceId);
    if (!rec || rec.executionId !== executionId || TERMINAL.has(rec.runtimeStatus)) return;
    const index = rec.work.findIndex(match);
    if (index < 0) return;
    rec.work.splice(index, 1);
    rec.inbox.push(event);
    this.#host.records.persist(rec);
    this.#host.schedule(instanceId);
  }

  // ---- messages between orchestrations and entities ----

  /**
   * Sends what an episode produced once the state that produced it is on disk (checkpoint,
   * then dispatch): the messages wait in the sender's outbox, written with that state.
   */
  sendAfterCheckpoint(sender: StoredRecord, messages: Outgoing[]): void {
    if (messages.length === 0) return;
    (sender.outbox ??= []).push(...messages);
    this.#host.records.persist(sender);
    this.#host.records.afterCheckpoint(() => this.send(sender, messages));
  }

  /**
   * Hands messages to their receivers, and drops them from the sender's outbox once the
   * receivers' records are on disk too. A copy sent again (after a restart in between) is
   * recognised by its receiver: an entity by the message's id, an orchestration by the
   * response it no longer waits for.
   */
  send(sender: StoredRecord, messages: Outgoing[]): void {
    if (this.#host.stopped()) return;
    for (const m of messages) {
      if (m.to === 'orchestration') this.#respond(m);
      else this.#host.entities.deliver(m.target, inboundOf(m));
    }
    this.#host.records.afterCheckpoint(() => {
      sender.outbox = (sender.outbox ?? []).filter((m) => !messages.includes(m));
      this.#host.records.persist(sender);
    });
  }

  /** An entity's response, delivered if that execution of the orchestration still waits for it. */
  #respond(m: Extract<Outgoing, { to: 'orchestration' }>): void {
    const rec = this.#host.records.instances.get(m.instanceId);
    if (!rec) return;
    this.deliver(
      m.instanceId,
      m.executionId ?? rec.executionId,
      (w) => w.kind === 'entity' && w.requestId === m.requestId,
      historyEvent(EventType.EventRaised, {
        Name: m.requestId,
        Input: JSON.stringify(m.response),
      }),
    );
  }

  // ---- timers ----

  /** Drops the work items that match, disarming their timers. */
  dropWork(rec: InstanceRecord, match: Match): void {
    rec.work = rec.work.filter((w) => {
      if (!match(w)) return true;
      if (w.kind === 'timer') this.#clearTimer(timerKey(rec.instanceId, rec.executionId, w.id));
      return false;
    });
  }

  /** Disarms the timers of an execution's work (it ended, or continues as new). */
  cancelTimers(rec: InstanceRecord): void {
    for (const w of rec.work)
      if (w.kind === 'timer') this.#clearTimer(timerKey(rec.instanceId, rec.executionId, w.id));
  }

  /** Disarms every timer (the hub stops). */
  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #clearTimer(key: string): void {
    const timer = this.#timers.get(key);
    if (timer) clearTimeout(timer);
    this.#timers.delete(key);
  }
}

function timerKey(instanceId: string, executionId: string, id: number): string {
  return `${instanceId}|${executionId}|${id}`;
}
