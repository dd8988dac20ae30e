/**
 * What an orchestrator's entity actions become, as the Durable extension's
 * DurableOrchestrationContext makes them (CallDurableTaskFunctionAsync for entities, LockAsync,
 * ReleaseLocks, SendEntityMessage): one EventSent per message, its EventId the sequence
 * number the engine gave the action and its Input the message, whose id names the response
 * event the orchestration then waits for.
 */
import { randomUUID } from 'node:crypto';

import { ActionType, type WireAction } from './actions';
import {
  entityIdFrom,
  type EntityIdWire,
  type EntityInbound,
  type Outgoing,
  parseSchedulerId,
  RELEASE_EVENT,
  type RequestMessage,
  schedulerId,
} from './entityMessages';
import { EventType, type HistoryEvent, historyEvent } from './history';

/** A critical section an orchestration asked for, and whether it holds it yet. */
export interface CriticalSection {
  lockRequestId: string;
  /** Scheduler ids of the lock set, in the order the locks are taken. */
  entities: string[];
  /** The response to the lock request has been read: every lock is held. */
  acquired: boolean;
}

/** The parts of an orchestration's record its entity actions read and change. */
export interface EntityCaller {
  instanceId: string;
  executionId: string;
  nextSeq: number;
  critical?: CriticalSection;
}

/** The app's entity functions, as the actions need them. */
export interface EntityCatalog {
  knows(name: string): boolean;
  unknownMessage(name: string): string;
}

/** What one entity action becomes. */
export interface EntityStep {
  /** The first sequence number the action took. */
  id: number;
  events: HistoryEvent[];
  outgoing: Outgoing[];
  /** The response the orchestration waits for (a call's or a lock's), by request id. */
  awaits?: string;
}

/** Whether an action is one of the entity actions (call, signal, lock, release). */
export function isEntityAction(action: WireAction): boolean {
  return (
    action.actionType === ActionType.CallEntity ||
    action.actionType === ActionType.SignalEntity ||
    action.actionType === ActionType.LockEntities ||
    action.actionType === ActionType.ReleaseEntities
  );
}

/** Sends one message from the orchestration: a sequence number, an EventSent, the message. */
function send(caller: EntityCaller, target: string, inbound: EntityInbound): EntityStep {
  const id = caller.nextSeq++;
  const event = historyEvent(
    EventType.EventSent,
    { InstanceId: target, Name: inbound.name, Input: JSON.stringify(inbound.message) },
    id,
  );
  return { id, events: [event], outgoing: [{ to: 'entity', target, ...inbound }] };
}

/** Turns an entity action into history and messages, or the reason the orchestration fails. */
export function entityStep(
  caller: EntityCaller,
  action: WireAction,
  catalog: EntityCatalog,
): EntityStep | { error: string } {
  switch (action.actionType) {
    case ActionType.CallEntity:
    case ActionType.SignalEntity: {
      const target = typeof action.instanceId === 'string' ? action.instanceId : '';
      const entity = parseSchedulerId(target);
      if (!entity) return { error: `'${target}' is not an entity id` };
      if (!catalog.knows(entity.name)) return { error: catalog.unknownMessage(entity.name) };
      const signal = action.actionType === ActionType.SignalEntity;
      const message: RequestMessage = {
        op: typeof action.operation === 'string' ? action.operation : '',
        ...(signal ? { signal: true } : {}),
        ...(action.input === undefined || action.input === null
          ? {}
          : { input: JSON.stringify(action.input) }),
        id: randomUUID(),
        parent: caller.instanceId,
        parentExecution: caller.executionId,
      };
      const step = send(caller, schedulerId(entity), { name: 'op', message });
      return signal ? step : { ...step, awaits: message.id };
    }
    case ActionType.LockEntities: {
      if (caller.critical)
        return { error: 'Cannot acquire more locks when already holding some locks.' };
      const lockRequestId = typeof action.lockRequestId === 'string' ? action.lockRequestId : '';
      const lockSet = lockSetOf(action.lockSet);
      const first = lockSet[0];
      if (!first || lockRequestId === '')
        return { error: 'The list of entities to lock must not be null or empty.' };
      const unknown = lockSet.find((e) => !catalog.knows(e.name));
      if (unknown) return { error: catalog.unknownMessage(unknown.name) };
      const message: RequestMessage = {
        id: lockRequestId,
        parent: caller.instanceId,
        parentExecution: caller.executionId,
        lockset: lockSet,
      };
      const step = send(caller, schedulerId(first), { name: 'op', message });
      caller.critical = {
        lockRequestId,
        entities: lockSet.map((e) => schedulerId(e)),
        acquired: false,
      };
      return { ...step, awaits: lockRequestId };
    }
    case ActionType.ReleaseEntities: {
      const released = release(caller);
      return released ?? { error: 'ReleaseEntities without a critical section' };
    }
    default:
      return { error: `action type ${action.actionType} is not an entity action` };
  }
}

/**
 * Frees every entity of the orchestration's critical section: one release message (and one
 * sequence number) per entity. Undefined when it has none.
 */
export function release(caller: EntityCaller): EntityStep | undefined {
  const section = caller.critical;
  if (!section) return undefined;
  caller.critical = undefined;
  const steps = section.entities.map((target) =>
    send(caller, target, {
      name: RELEASE_EVENT,
      message: { parent: caller.instanceId, id: section.lockRequestId },
    }),
  );
  return {
    id: steps[0]?.id ?? caller.nextSeq,
    events: steps.flatMap((s) => s.events),
    outgoing: steps.flatMap((s) => s.outgoing),
  };
}

/** Marks the critical section held once the orchestration reads the response to its request. */
export function noteLockResponses(caller: EntityCaller, events: readonly HistoryEvent[]): void {
  const section = caller.critical;
  if (!section || section.acquired) return;
  section.acquired = events.some(
    (e) => e.EventType === EventType.EventRaised && e.Name === section.lockRequestId,
  );
}

/** The lock set of a LockEntities action: entity ids sorted by scheduler id, without repeats. */
export function lockSetOf(value: unknown): EntityIdWire[] {
  const ids = (Array.isArray(value) ? value : [])
    .map(entityIdFrom)
    .filter((e): e is EntityIdWire => e !== undefined);
  ids.sort((a, b) => {
    const x = schedulerId(a);
    const y = schedulerId(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return ids.filter((e, i) => i === 0 || schedulerId(ids[i - 1] ?? e) !== schedulerId(e));
}
