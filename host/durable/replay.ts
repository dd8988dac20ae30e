/**
 * The replay the Durable extension makes of every episode of an out-of-process orchestrator,
 * and the check DTFx makes of it against the history.
 *
 * The extension does not read only an orchestrator's new actions: its OutOfProcOrchestrationShim
 * replays every action the orchestrator returned, in order, through the DTFx orchestration
 * context, awaiting each before it invokes the next (OutOfProcOrchestrationShim.cs:199-219),
 * while DTFx replays the history under it (TaskOrchestrationExecutor.ExecuteCore). Each action
 * takes the next sequence number; each TaskScheduled, TimerCreated,
 * SubOrchestrationInstanceCreated and EventSent of the history must find the action of its
 * sequence number, of its kind and name, or DTFx fails the orchestration with a
 * NonDeterministicOrchestrationException (DTFx.Core 2.17.1, TaskOrchestrationContext.cs:277-412;
 * caught in TaskOrchestrationExecutor.cs:180-183, which fails the orchestration with the
 * exception's message as its output). What the replay scheduled that the history does not hold
 * is what the episode adds. Retries are DTFx's RetryInterceptor (retries.ts).
 */
import { isRecord } from '../rpc';
import { ActionType, type WireAction } from './actions';
import { EventType, type HistoryEvent } from './history';
import { lockSetOf } from './orchestrationEntities';
import { type RetryChain, retryTimer } from './retries';

/** Kinds of what takes a sequence number, as DTFx's orchestrator actions. */
export type ScheduledKind = 'activity' | 'timer' | 'subOrchestration' | 'eventSent';

/** DTFx's name of each kind's action, as its messages print it. */
const ACTION_TYPE: Record<ScheduledKind, string> = {
  activity: 'ScheduleTaskOrchestratorAction',
  timer: 'CreateTimerOrchestratorAction',
  subOrchestration: 'CreateSubOrchestrationAction',
  eventSent: 'SendEventOrchestratorAction',
};

/** One thing the replay scheduled, by sequence number (an entry of DTFx's actions map). */
export interface Scheduled {
  id: number;
  kind: ScheduledKind;
  /** What DTFx compares: the function's name, or the event name of a message ('op', 'release'). */
  name: string;
  /** The orchestrator's action it comes from (for a retry: the action retried). */
  action: WireAction;
  /** Set when a retry scheduled it: the retry timer, or the next attempt. */
  retry?: { chain: RetryChain; what: 'timer' | 'attempt'; fireAt?: string };
}

export interface ReplayResult {
  /** What the replay scheduled that the history does not hold yet, in sequence order. */
  fresh: Scheduled[];
  /** DTFx's message when the actions no longer match the history. */
  nondeterminism?: string;
  /** An action the host cannot run. */
  unsupported?: number;
  /** The sequence number after the last one taken (locks released at the end continue from it). */
  nextId: number;
  /** The sequence number each action took first (a timer's, to drop a cancelled one). */
  idOf: Map<WireAction, number>;
  /** External events that came after the orchestrator continued as new (DTFx carries them over). */
  carryOver: HistoryEvent[];
}

/** The history events that record something scheduled, by the kind of action they match. */
const SCHEDULED_BY: Partial<Record<number, ScheduledKind>> = {
  [EventType.TaskScheduled]: 'activity',
  [EventType.TimerCreated]: 'timer',
  [EventType.SubOrchestrationInstanceCreated]: 'subOrchestration',
  [EventType.EventSent]: 'eventSent',
};

/** The history events that complete a task: the field naming it, and whether it succeeded. */
const COMPLETES: Partial<Record<number, { id: 'TaskScheduledId' | 'TimerId'; ok: boolean }>> = {
  [EventType.TaskCompleted]: { id: 'TaskScheduledId', ok: true },
  [EventType.SubOrchestrationInstanceCompleted]: { id: 'TaskScheduledId', ok: true },
  [EventType.TaskFailed]: { id: 'TaskScheduledId', ok: false },
  [EventType.SubOrchestrationInstanceFailed]: { id: 'TaskScheduledId', ok: false },
  [EventType.TimerFired]: { id: 'TimerId', ok: true },
};

/** A task of the replay, done or not yet. */
interface SimTask {
  readonly done: boolean;
}

class Atomic implements SimTask {
  done = false;
}

class NonDeterminism extends Error {}

/** Replays the orchestrator's actions over the history and the episode's new events. */
export function replay(
  actions: unknown,
  history: readonly HistoryEvent[],
  newEvents: readonly HistoryEvent[],
): ReplayResult {
  return new Replay(topLevel(actions)).run(history, newEvents);
}

/** The actions in the order the orchestrator yielded them (schema V2+: one list in a list). */
function topLevel(actions: unknown): WireAction[] {
  if (!Array.isArray(actions)) return [];
  return (actions as unknown[])
    .flatMap((a): unknown[] => (Array.isArray(a) ? (a as unknown[]) : [a]))
    .filter(isAction);
}

function isAction(value: unknown): value is WireAction {
  return isRecord(value) && typeof value.actionType === 'number';
}

class Replay {
  readonly #actions: WireAction[];
  #next = 0;
  #current: SimTask | undefined;
  #nextId = 0;
  #now = new Date(0).toISOString();
  readonly #map = new Map<number, Scheduled>();
  readonly #idOf = new Map<WireAction, number>();
  /** Completions by task id (TaskScheduledId, TimerId). */
  readonly #byTaskId = new Map<number, (ok: boolean) => void>();
  /** Entity responses by request id. */
  readonly #byRequestId = new Map<string, () => void>();
  /** Entity calls waiting for their request id (read from their EventSent). */
  readonly #calls = new Map<number, Atomic>();
  /** External events nobody waited for yet, by name (the extension buffers them). */
  readonly #buffered = new Map<string, number>();
  readonly #waiters = new Map<string, Atomic[]>();
  /** Entities the current lock holds (a release sends one message each). */
  #held = 0;
  #continued = false;
  #unsupported: number | undefined;
  readonly #carryOver: HistoryEvent[] = [];

  constructor(actions: WireAction[]) {
    this.#actions = actions;
  }

  run(history: readonly HistoryEvent[], newEvents: readonly HistoryEvent[]): ReplayResult {
    let nondeterminism: string | undefined;
    try {
      for (const e of history) this.#process(e, false);
      for (const e of newEvents) this.#process(e, true);
    } catch (err) {
      if (!(err instanceof NonDeterminism)) throw err;
      nondeterminism = err.message;
    }
    return {
      fresh: [...this.#map.values()].sort((a, b) => a.id - b.id),
      ...(nondeterminism !== undefined ? { nondeterminism } : {}),
      ...(this.#unsupported !== undefined ? { unsupported: this.#unsupported } : {}),
      nextId: this.#nextId,
      idOf: this.#idOf,
      carryOver: this.#carryOver,
    };
  }

  #process(e: HistoryEvent, isNew: boolean): void {
    const scheduled = SCHEDULED_BY[e.EventType];
    const completes = COMPLETES[e.EventType];
    if (e.EventType === EventType.OrchestratorStarted) {
      this.#now = e.Timestamp;
      return;
    } else if (scheduled) {
      this.#match(e, scheduled);
      if (scheduled === 'eventSent') this.#noteRequest(e);
    } else if (completes) {
      this.#complete(e[completes.id], completes.ok);
    } else if (e.EventType === EventType.EventRaised) {
      this.#raised(e, isNew);
    } else if (e.EventType !== EventType.ExecutionStarted) {
      return;
    }
    this.#advance();
  }

  /** The shim goes on to the next action once the one it awaits is done. */
  #advance(): void {
    while (
      (this.#current === undefined || this.#current.done) &&
      this.#next < this.#actions.length
    ) {
      const action = this.#actions[this.#next++];
      if (action) this.#current = this.#invoke(action);
    }
  }

  #allot(
    kind: ScheduledKind,
    name: string,
    action: WireAction,
    retry?: Scheduled['retry'],
  ): number {
    const id = this.#nextId++;
    this.#map.set(id, { id, kind, name, action, ...(retry ? { retry } : {}) });
    if (!retry && !this.#idOf.has(action)) this.#idOf.set(action, id);
    return id;
  }

  /** What invoking one action schedules, and the task the shim awaits. */
  #invoke(action: WireAction): SimTask {
    const task = new Atomic();
    const name = action.functionName ?? '';
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallSubOrchestrator:
      case ActionType.CallActivityWithRetry:
      case ActionType.CallSubOrchestratorWithRetry: {
        const kind = isActivity(action) ? 'activity' : 'subOrchestration';
        const id = this.#allot(kind, name, action);
        const options = action.retryOptions;
        const withRetry =
          action.actionType === ActionType.CallActivityWithRetry ||
          action.actionType === ActionType.CallSubOrchestratorWithRetry;
        if (withRetry && options)
          this.#retry(task, { action, options, firstId: id, attempts: 1 }, id);
        else this.#byTaskId.set(id, () => (task.done = true));
        return task;
      }
      case ActionType.CreateTimer: {
        const id = this.#allot('timer', '', action);
        if (action.isCanceled) task.done = true;
        else this.#byTaskId.set(id, () => (task.done = true));
        return task;
      }
      case ActionType.WaitForExternalEvent: {
        const event = typeof action.externalEventName === 'string' ? action.externalEventName : '';
        const buffered = this.#buffered.get(event) ?? 0;
        if (buffered > 0) {
          this.#buffered.set(event, buffered - 1);
          task.done = true;
        } else {
          this.#waiters.set(event, [...(this.#waiters.get(event) ?? []), task]);
        }
        return task;
      }
      case ActionType.CallEntity:
        this.#calls.set(this.#allot('eventSent', 'op', action), task);
        return task;
      case ActionType.SignalEntity:
        this.#allot('eventSent', 'op', action);
        task.done = true;
        return task;
      case ActionType.LockEntities: {
        this.#allot('eventSent', 'op', action);
        this.#held = lockSetOf(action.lockSet).length;
        if (typeof action.lockRequestId === 'string')
          this.#byRequestId.set(action.lockRequestId, () => (task.done = true));
        return task;
      }
      case ActionType.ReleaseEntities:
        for (let i = 0; i < this.#held; i++) this.#allot('eventSent', 'release', action);
        this.#held = 0;
        task.done = true;
        return task;
      case ActionType.ContinueAsNew:
        this.#continued = true;
        task.done = true;
        return task;
      case ActionType.WhenAll:
      case ActionType.WhenAny: {
        const children = (Array.isArray(action.compoundActions) ? action.compoundActions : [])
          .filter(isAction)
          .map((child) => this.#invoke(child));
        const all = action.actionType === ActionType.WhenAll;
        return {
          get done() {
            return all ? children.every((c) => c.done) : children.some((c) => c.done);
          },
        };
      }
      default:
        this.#unsupported ??= action.actionType;
        task.done = true;
        return task;
    }
  }

  /** An attempt of a retried call: a failure schedules the retry timer, the timer the next attempt. */
  #retry(task: Atomic, chain: RetryChain, attemptId: number): void {
    this.#byTaskId.set(attemptId, (ok) => {
      if (ok) {
        task.done = true;
        return;
      }
      // After the last attempt, a timer that fires at once; the task fails when it fires.
      const { fireAt, last } = retryTimer(chain, this.#now);
      const timerId = this.#allot('timer', '', chain.action, { chain, what: 'timer', fireAt });
      this.#byTaskId.set(timerId, () => {
        if (last) {
          task.done = true;
          return;
        }
        chain.attempts += 1;
        const kind = isActivity(chain.action) ? 'activity' : 'subOrchestration';
        const name = chain.action.functionName ?? '';
        this.#retry(task, chain, this.#allot(kind, name, chain.action, { chain, what: 'attempt' }));
      });
    });
  }

  #complete(id: unknown, ok: boolean): void {
    if (typeof id !== 'number') return;
    const handler = this.#byTaskId.get(id);
    if (!handler) return;
    this.#byTaskId.delete(id);
    handler(ok);
  }

  /** An entity call's EventSent carries the request id its response will come back under. */
  #noteRequest(e: HistoryEvent): void {
    const call = typeof e.EventId === 'number' ? this.#calls.get(e.EventId) : undefined;
    if (!call || typeof e.Input !== 'string') return;
    this.#calls.delete(e.EventId);
    try {
      const message = JSON.parse(e.Input) as unknown;
      if (isRecord(message) && typeof message.id === 'string')
        this.#byRequestId.set(message.id, () => (call.done = true));
    } catch {
      // not a request message
    }
  }

  /**
   * An external event (or an entity's response): once the orchestrator has continued as new,
   * DTFx keeps it for the next execution (TaskOrchestrationContext.HandleEventRaisedEvent with
   * Azure Storage's BehaviorOnContinueAsNew.Carryover); before, it completes a waiting task or
   * is buffered, and dropped if nothing waits for it by then.
   */
  #raised(e: HistoryEvent, isNew: boolean): void {
    const name = typeof e.Name === 'string' ? e.Name : '';
    if (this.#continued) {
      if (isNew) this.#carryOver.push(e);
      return;
    }
    const response = this.#byRequestId.get(name);
    if (response) {
      this.#byRequestId.delete(name);
      response();
      return;
    }
    const waiting = this.#waiters.get(name);
    const waiter = waiting?.shift();
    if (waiter) {
      waiter.done = true;
      return;
    }
    this.#buffered.set(name, (this.#buffered.get(name) ?? 0) + 1);
  }

  /** A scheduled event of the history must find the replay's action of its sequence number. */
  #match(e: HistoryEvent, kind: ScheduledKind): void {
    const id = e.EventId;
    const found = this.#map.get(id);
    if (!found || found.kind !== kind) throw new NonDeterminism(mismatch(e, kind, found));
    if (kind !== 'timer' && found.name.toLowerCase() !== field(e.Name).toLowerCase())
      throw new NonDeterminism(mismatch(e, kind, found));
    this.#map.delete(id);
  }
}

function isActivity(action: WireAction): boolean {
  return (
    action.actionType === ActionType.CallActivity ||
    action.actionType === ActionType.CallActivityWithRetry
  );
}

const CHANGED =
  'Was a change made to the orchestrator code after this instance had already started running?';

/**
 * DTFx's message for a scheduled event the replay does not match, word for word
 * (TaskOrchestrationContext.cs:277-412 at DTFx.Core 2.17.1), after the exception's own prefix
 * (NonDeterministicOrchestrationException.cs: "Non-Deterministic workflow detected: ").
 */
export function mismatch(
  e: HistoryEvent,
  kind: ScheduledKind,
  found: Scheduled | undefined,
): string {
  const id = e.EventId;
  const name = field(e.Name);
  const version = field(e.Version);
  const other = found ? ACTION_TYPE[found.kind] : '';
  let text: string;
  switch (kind) {
    case 'activity':
      text = !found
        ? `A previous execution of this orchestration scheduled an activity task with sequence ID ${id} and name '${name}' (version '${version}'), but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED}`
        : found.kind !== kind
          ? `A previous execution of this orchestration scheduled an activity task with sequence number ${id} named '${name}', but the current orchestration replay instead produced a ${other} action with this sequence number. ${CHANGED}`
          : `A previous execution of this orchestration scheduled an activity task with sequence number ${id} named '${name}', but the current orchestration replay instead scheduled an activity task named '${found.name}' with this sequence number.  ${CHANGED}`;
      break;
    case 'timer':
      text = !found
        ? `A previous execution of this orchestration scheduled a timer task with sequence number ${id} but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED}`
        : `A previous execution of this orchestration scheduled a timer task with sequence number ${id} named but the current orchestration replay instead produced a ${other} action with this sequence number. ${CHANGED}`;
      break;
    case 'subOrchestration': {
      const what = `A previous execution of this orchestration scheduled a sub-orchestration task with sequence ID ${id} and name '${name}' (version '${version}', instance ID '${field(e.InstanceId)}'), but the current`;
      text = !found
        ? `${what} replay execution hasn't (yet?) scheduled this task. ${CHANGED}`
        : found.kind !== kind
          ? `${what} orchestration replay instead produced a ${other} action at this sequence number. ${CHANGED}`
          : `${what} orchestration replay instead scheduled a sub-orchestration task with name ${found.name} at this sequence number. ${CHANGED}`;
      break;
    }
    case 'eventSent': {
      const target = field(e.InstanceId);
      text = !found
        ? `A previous execution of this orchestration scheduled a send event task with sequence ID ${id}, type 'EventSent' name '${name}', instance ID '${target}', but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED}`
        : found.kind !== kind
          ? `A previous execution of this orchestration scheduled a send event task with sequence ID ${id}, type 'EventSent', name '${name}', instance ID '${target}', but the current orchestration replay instead scheduled a ${other} task at this sequence number. ${CHANGED}`
          : `A previous execution of this orchestration scheduled a send event task with sequence ID ${id}, type 'EventSent', name '${name}', instance ID '${target}'), but the current orchestration replay instead scheduled a send event task with name ${found.name}at this sequence number. ${CHANGED}`;
      break;
    }
  }
  return `Non-Deterministic workflow detected: ${text}`;
}

/** A history event's string field, or '' (as a null string prints in .NET). */
function field(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
