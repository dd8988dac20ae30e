/**
 * Orchestrators replayed from recorded histories by the real durable-functions engine, with no
 * host (as durable-js's own orchestrator tests do): a history is a list of DTFx events as the
 * Durable extension writes them (PascalCase fields, integer EventType), and one replay returns
 * the actions the orchestrator decides on next.
 */
import { DummyOrchestrationContext, type OrchestrationHandler } from 'durable-functions';

import { durableLib, HistoryEventType as EVENT } from './durable';

// The engine's entry, as the Functions worker drives it.
const { Orchestrator } = durableLib<{
  Orchestrator: new (fn: OrchestrationHandler) => {
    listen(): (trigger: unknown, context: unknown) => Promise<ReplayState>;
  };
}>('orchestrations/Orchestrator');

export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  lockRequestId?: string;
  lockSet?: { name: string; key: string }[];
  fireAt?: Date | string;
}

export interface ReplayState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  customStatus?: unknown;
}

/** Action types (durable-functions actions/ActionType.js). */
export const ACTION = {
  CallActivity: 0,
  CreateTimer: 5,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

type Event = Record<string, unknown>;

/** A recorded history, built episode by episode. */
export class History {
  readonly events: Event[] = [];
  private clock: number;

  constructor(start: string) {
    this.clock = Date.parse(start);
  }

  private add(type: number, fields: Record<string, unknown> = {}, eventId = -1): this {
    this.events.push({
      EventType: type,
      EventId: eventId,
      IsPlayed: false,
      Timestamp: new Date(this.clock).toISOString(),
      ...fields,
    });
    return this;
  }

  /** A new episode begins, `ms` after the last one. */
  episode(ms = 1_000): this {
    this.clock += ms;
    return this.add(EVENT.OrchestratorStarted);
  }

  started(name: string, input: unknown): this {
    return this.episode(0).add(EVENT.ExecutionStarted, {
      Name: name,
      Input: JSON.stringify(input),
    });
  }

  scheduled(id: number, name: string): this {
    return this.add(EVENT.TaskScheduled, { Name: name }, id);
  }

  completed(id: number, result: unknown): this {
    return this.add(EVENT.TaskCompleted, { TaskScheduledId: id, Result: JSON.stringify(result) });
  }

  failed(id: number, reason: string): this {
    return this.add(EVENT.TaskFailed, { TaskScheduledId: id, Reason: reason, Details: '' });
  }

  /** The lock request the orchestrator sent (sequence number `id`) to the first entity. */
  lockSent(id: number, lockRequestId: string, target: string): this {
    return this.add(
      EVENT.EventSent,
      { InstanceId: target, Name: 'op', Input: JSON.stringify({ id: lockRequestId }) },
      id,
    );
  }

  /** The last entity of the lock set answering: every lock is held. */
  lockGranted(lockRequestId: string): this {
    return this.add(EVENT.EventRaised, {
      Name: lockRequestId,
      Input: JSON.stringify({ result: '"Lock Acquisition Completed"' }),
    });
  }

  /** Everything so far is history the orchestrator has seen. */
  played(): Event[] {
    return this.events.map((e) => ({ ...e, IsPlayed: true }));
  }
}

/** Replays `history` through the orchestrator; the actions it decides on (all, since the start). */
export async function replay(
  fn: OrchestrationHandler,
  history: History,
  instanceId = 'replay-instance',
): Promise<ReplayState> {
  const started = history.events.find((e) => e.EventType === EVENT.ExecutionStarted);
  const input =
    typeof started?.Input === 'string' ? (JSON.parse(started.Input) as unknown) : undefined;
  const handler = new Orchestrator(fn).listen();
  const context = new DummyOrchestrationContext('replay', 'replay-invocation', () => undefined);
  return handler(
    {
      history: history.events,
      input,
      instanceId,
      isReplaying: false,
      parentInstanceId: '',
      upperSchemaVersion: 2,
      upperSchemaVersionNew: 3,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    },
    context,
  );
}

/** The actions of a replay, flat. */
export const actionsOf = (state: ReplayState): Action[] => state.actions.flat();
