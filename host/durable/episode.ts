/**
 * One orchestration episode, as the Durable extension runs it: the new events are handed to
 * the orchestrator with the history (the payload of orchestratorCall.ts), and the actions it
 * returns become history (TaskScheduled, TimerCreated, ...), work to dispatch and messages to
 * entities. What the instance does next (wait, complete, fail, continue as new) is the
 * episode's result; the hub carries it out.
 */
import type { HostLogger } from '../log';
import type { Registry } from '../registry';
import { ActionType, flattenActions, processedInputJson, type WireAction } from './actions';
import type { Outgoing } from './entityMessages';
import { EventType, type HistoryEvent, historyEvent, OrchestrationStatusCode } from './history';
import {
  type EntityCatalog,
  entityStep,
  isEntityAction,
  noteLockResponses,
  release,
} from './orchestrationEntities';
import { invokeOrchestrator, orchestratorPayload } from './orchestratorCall';
import type { InstanceRecord, WorkItem } from './records';
import { advanceRetries, allotsSequence } from './retries';

/** What an episode needs from the hub. */
export interface EpisodeHost {
  readonly registry: Registry;
  readonly entities: EntityCatalog;
  readonly log: HostLogger;
  /** Whether the instance is still the hub's and still running once the orchestrator returned. */
  isCurrent(rec: InstanceRecord): boolean;
  /** Drops the work of a timer the orchestrator cancelled. */
  dropTimer(rec: InstanceRecord, id: number): void;
}

/** What the instance does after an episode; its history already holds the episode. */
export type EpisodeResult =
  /** Nothing was handed over (no events, or the instance ended or was replaced meanwhile). */
  | { kind: 'none' }
  | { kind: 'waiting'; followUps: WorkItem[]; outgoing: Outgoing[] }
  | { kind: 'completed'; output: string; outgoing: Outgoing[] }
  | { kind: 'continuedAsNew'; input: string | undefined; outgoing: Outgoing[] }
  | { kind: 'failed'; reason: string; outgoing: Outgoing[] };

/**
 * Gives the orchestrator the new events waiting for it and applies what it decides. Like the
 * Durable extension, it hands over a batch: the first event, then those queued behind it
 * that allot no sequence number (completions, external events, plain timers); a failure or
 * a retry timer starts a batch of its own, so the numbers the host allots to retries and to
 * new actions stay in the engine's order.
 */
export async function runEpisode(host: EpisodeHost, rec: InstanceRecord): Promise<EpisodeResult> {
  let size = 0;
  for (const e of rec.inbox) {
    if (size > 0 && allotsSequence(rec, e)) break;
    size++;
  }
  const batch = rec.inbox.slice(0, size);
  if (batch.length === 0) return { kind: 'none' };
  const newEvents: HistoryEvent[] = [historyEvent(EventType.OrchestratorStarted), ...batch];
  const emitted: HistoryEvent[] = [];
  const followUps: WorkItem[] = [];

  const outcome = await invokeOrchestrator(
    host.registry,
    rec.name,
    orchestratorPayload(rec, newEvents),
  );
  if (!host.isCurrent(rec)) return { kind: 'none' };
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
    const sent = entityActions(host, rec, flattenActions(outcome.actions));
    rec.history.push(...sent.events);
    if (outcome.customStatus !== undefined) rec.customStatus = JSON.stringify(outcome.customStatus);
    rec.history.push(
      historyEvent(EventType.ExecutionCompleted, {
        OrchestrationStatus: OrchestrationStatusCode.Failed,
        Result: JSON.stringify(outcome.error),
      }),
      historyEvent(EventType.OrchestratorCompleted),
    );
    return { kind: 'failed', reason: outcome.error, outgoing: sent.outgoing };
  }

  const state = outcome.state;
  const actions = flattenActions(state.actions);
  const applied = applyNewActions(host, rec, actions, emitted, followUps);

  // Timers the orchestrator cancelled (e.g. a timeout that lost a race) are dropped.
  actions.forEach((action, i) => {
    const id = rec.actionIds[i];
    if (
      action.actionType === ActionType.CreateTimer &&
      action.isCanceled &&
      typeof id === 'number'
    ) {
      host.dropTimer(rec, id);
    }
  });
  if (state.customStatus !== undefined) rec.customStatus = JSON.stringify(state.customStatus);
  rec.history.push(...emitted);
  const { outgoing } = applied;

  if (applied.failure !== undefined) {
    rec.history.push(historyEvent(EventType.OrchestratorCompleted));
    return { kind: 'failed', reason: applied.failure, outgoing };
  }
  // An orchestration that ends (or continues as new) holding locks releases them, as the
  // extension's orchestration shim does once the orchestrator function has completed.
  if (state.isDone) {
    const released = rec.critical?.acquired ? release(rec) : undefined;
    if (released) {
      rec.history.push(...released.events);
      outgoing.push(...released.outgoing);
      host.log.info('locks released as the orchestration ended', {
        instanceId: rec.instanceId,
        entities: released.outgoing.map((m) => (m.to === 'entity' ? m.target : m.instanceId)),
      });
    }
  }
  if (state.isDone && applied.continueAsNew) {
    return {
      kind: 'continuedAsNew',
      input: processedInputJson(applied.continueAsNew.input),
      outgoing,
    };
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
    return { kind: 'completed', output, outgoing };
  }
  rec.history.push(historyEvent(EventType.OrchestratorCompleted));
  return { kind: 'waiting', followUps, outgoing };
}

/** What the new actions of an episode came to. */
interface Applied {
  outgoing: Outgoing[];
  continueAsNew?: WireAction;
  /** Why the orchestration fails (an action the host refuses). */
  failure?: string;
}

/**
 * Turns the actions the host has not seen yet into history, work and messages, each taking
 * its sequence number in order.
 */
function applyNewActions(
  host: EpisodeHost,
  rec: InstanceRecord,
  actions: WireAction[],
  emitted: HistoryEvent[],
  followUps: WorkItem[],
): Applied {
  const applied: Applied = { outgoing: [] };
  for (let i = rec.knownActions; i < actions.length; i++) {
    const action = actions[i];
    if (!action || applied.failure !== undefined) continue;
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
        if (action.actionType === ActionType.CallSubOrchestratorWithRetry && action.retryOptions) {
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
        const step = entityStep(rec, action, host.entities);
        if ('error' in step) {
          applied.failure = step.error;
          break;
        }
        id = step.id;
        emitted.push(...step.events);
        applied.outgoing.push(...step.outgoing);
        if (step.awaits !== undefined)
          followUps.push({ kind: 'entity', id, requestId: step.awaits });
        break;
      }
      case ActionType.WaitForExternalEvent:
        break;
      case ActionType.ContinueAsNew:
        applied.continueAsNew = action;
        break;
      default:
        applied.failure = `action type ${action.actionType} is not supported by the local host`;
    }
    rec.actionIds[i] = id;
  }
  rec.knownActions = Math.max(rec.knownActions, actions.length);
  return applied;
}

/** The entity actions among an episode's new actions (those of a failing episode). */
function entityActions(
  host: EpisodeHost,
  rec: InstanceRecord,
  actions: WireAction[],
): { events: HistoryEvent[]; outgoing: Outgoing[] } {
  const events: HistoryEvent[] = [];
  const outgoing: Outgoing[] = [];
  for (const action of actions.slice(rec.knownActions)) {
    if (!isEntityAction(action)) continue;
    const step = entityStep(rec, action, host.entities);
    if ('error' in step) continue;
    events.push(...step.events);
    outgoing.push(...step.outgoing);
  }
  return { events, outgoing };
}
