/**
 * One orchestration episode, as the Durable extension runs it: the new events are handed to
 * the orchestrator with the history (the payload of orchestratorCall.ts); every action it
 * returns is replayed against the history as the extension's shim and DTFx replay them
 * (replay.ts), and what the replay schedules anew becomes history (TaskScheduled,
 * TimerCreated, ...), work to dispatch and messages to entities. What the instance does next
 * (wait, complete, fail, continue as new) is the episode's result; the hub carries it out.
 */
import type { HostLogger } from '../log';
import type { Registry } from '../registry';
import { ActionType, flattenActions, processedInputJson, type WireAction } from './actions';
import type { Outgoing } from './entityMessages';
import { EventType, type HistoryEvent, historyEvent, OrchestrationStatusCode } from './history';
import { customStatusProblem } from './limits';
import {
  type EntityCatalog,
  entityStep,
  noteLockResponses,
  release,
} from './orchestrationEntities';
import { invokeOrchestrator, orchestratorPayload } from './orchestratorCall';
import type { InstanceRecord, WorkItem } from './records';
import { replay, type ReplayResult, type Scheduled } from './replay';

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
  | {
      kind: 'continuedAsNew';
      input: string | undefined;
      /** External events of this episode that came after the orchestrator continued as new. */
      carryOver: HistoryEvent[];
      outgoing: Outgoing[];
    }
  /** `reason` is the orchestration's output, as DTFx records a failure's reason. */
  | { kind: 'failed'; reason: string; outgoing: Outgoing[] };

/**
 * Gives the orchestrator every event waiting for it (as Azure Storage hands an orchestration
 * the messages queued for it) and applies what it decides.
 */
export async function runEpisode(host: EpisodeHost, rec: InstanceRecord): Promise<EpisodeResult> {
  const batch = rec.inbox.slice();
  if (batch.length === 0) return { kind: 'none' };
  const newEvents: HistoryEvent[] = [historyEvent(EventType.OrchestratorStarted), ...batch];
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

  const customStatus = outcome.kind === 'state' ? outcome.state.customStatus : outcome.customStatus;
  // The shim sets the custom status before it replays anything
  // (OutOfProcOrchestrationShim.cs:77-83): one the extension refuses leaves no action replayed.
  const statusProblem = customStatusProblem(customStatus);
  const actions =
    statusProblem !== undefined
      ? []
      : outcome.kind === 'state'
        ? outcome.state.actions
        : outcome.actions;
  const replayed = replay(actions, rec.history, newEvents);
  rec.history.push(...newEvents);
  if (rec.runtimeStatus === 'Pending') rec.runtimeStatus = 'Running';
  noteLockResponses(rec, batch);

  const fail = (reason: string, outgoing: Outgoing[] = []): EpisodeResult => {
    rec.history.push(
      historyEvent(EventType.ExecutionCompleted, {
        OrchestrationStatus: OrchestrationStatusCode.Failed,
        Result: reason,
      }),
      historyEvent(EventType.OrchestratorCompleted),
    );
    return { kind: 'failed', reason, outgoing };
  };
  // The extension's own failures and those of the function: DTFx records the message of the
  // exception that failed the orchestration as its output. The orchestrator's are wrapped by
  // the shim (OutOfProcOrchestrationShim.cs:85-91, TaskOrchestrationShim.cs:192-206).
  const failed = (message: string): string =>
    `Orchestrator function '${rec.name}' failed: ${message}`;
  if (statusProblem === undefined && customStatus !== undefined)
    rec.customStatus = JSON.stringify(customStatus);
  if (replayed.nondeterminism !== undefined) return fail(replayed.nondeterminism);
  if (statusProblem !== undefined)
    // On a failing episode the ArgumentException leaves the shim unwrapped.
    return fail(outcome.kind === 'failed' ? statusProblem : failed(statusProblem));

  if (outcome.kind === 'failed') {
    // The extension carries out the actions of a failing out-of-process episode before it
    // fails the orchestration: entity messages among them are sent (so a release in a
    // `finally` frees the entities).
    const applied = applyFresh(host, rec, replayed, true);
    rec.history.push(...applied.emitted);
    return fail(failed(outcome.error), applied.outgoing);
  }

  const state = outcome.state;
  const applied = applyFresh(host, rec, replayed, false);
  const all = flattenActions(state.actions);
  // Timers the orchestrator cancelled (e.g. a timeout that lost a race) are dropped.
  for (const action of all) {
    const id = replayed.idOf.get(action);
    if (action.actionType === ActionType.CreateTimer && action.isCanceled && id !== undefined)
      host.dropTimer(rec, id);
  }
  rec.history.push(...applied.emitted);
  const { outgoing } = applied;
  if (applied.failure !== undefined) return fail(failed(applied.failure), outgoing);

  if (!state.isDone) {
    rec.history.push(historyEvent(EventType.OrchestratorCompleted));
    return { kind: 'waiting', followUps: applied.followUps, outgoing };
  }
  // An orchestration that ends (or continues as new) holding locks releases them, as the
  // extension's orchestration shim does once the orchestrator function has completed.
  const released = rec.critical?.acquired ? release(rec) : undefined;
  if (released) {
    rec.history.push(...released.events);
    outgoing.push(...released.outgoing);
    host.log.info('locks released as the orchestration ended', {
      instanceId: rec.instanceId,
      entities: released.outgoing.map((m) => (m.to === 'entity' ? m.target : m.instanceId)),
    });
  }
  const continueAsNew = all.find((a) => a.actionType === ActionType.ContinueAsNew);
  if (continueAsNew) {
    return {
      kind: 'continuedAsNew',
      input: processedInputJson(continueAsNew.input),
      carryOver: replayed.carryOver,
      outgoing,
    };
  }
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

/** What the new part of an episode came to. */
interface Applied {
  emitted: HistoryEvent[];
  followUps: WorkItem[];
  outgoing: Outgoing[];
  /** Why the orchestration fails (an action the host refuses). */
  failure?: string;
}

/**
 * Turns what the replay scheduled anew into history, work and messages, in sequence order;
 * on a failing episode (`entitiesOnly`), only the messages to entities.
 */
function applyFresh(
  host: EpisodeHost,
  rec: InstanceRecord,
  replayed: ReplayResult,
  entitiesOnly: boolean,
): Applied {
  const applied: Applied = { emitted: [], followUps: [], outgoing: [] };
  if (replayed.unsupported !== undefined && !entitiesOnly)
    applied.failure = `action type ${replayed.unsupported} is not supported by the local host`;
  const sent = new Set<WireAction>();
  for (const s of replayed.fresh) {
    if (applied.failure !== undefined) break;
    if (s.kind !== 'eventSent') {
      if (!entitiesOnly) schedule(rec, s, applied);
      continue;
    }
    // A release sends one message per entity, each with its number: one step for all.
    if (sent.has(s.action)) continue;
    sent.add(s.action);
    rec.nextSeq = s.id;
    const step = entityStep(rec, s.action, host.entities);
    if ('error' in step) {
      if (!entitiesOnly) applied.failure = step.error;
      continue;
    }
    applied.emitted.push(...step.events);
    applied.outgoing.push(...step.outgoing);
    if (step.awaits !== undefined)
      applied.followUps.push({ kind: 'entity', id: step.id, requestId: step.awaits });
  }
  rec.nextSeq = replayed.nextId;
  return applied;
}

/** An activity, a sub-orchestration or a timer: its history event and the work it waits on. */
function schedule(rec: InstanceRecord, s: Scheduled, applied: Applied): void {
  const { id, action } = s;
  const name = action.functionName ?? '';
  switch (s.kind) {
    case 'activity': {
      const input = processedInputJson(action.input);
      applied.emitted.push(historyEvent(EventType.TaskScheduled, { Name: name, Input: input }, id));
      applied.followUps.push({ kind: 'activity', id, name, input });
      return;
    }
    case 'subOrchestration': {
      const instanceId = action.instanceId || `${rec.instanceId}:${s.retry?.chain.firstId ?? id}`;
      const input = action.input === undefined ? undefined : JSON.stringify(action.input);
      applied.emitted.push(
        historyEvent(
          EventType.SubOrchestrationInstanceCreated,
          { Name: name, InstanceId: instanceId, Input: input },
          id,
        ),
      );
      applied.followUps.push({ kind: 'subOrchestration', id, name, instanceId, input });
      return;
    }
    case 'timer': {
      const fireAt = s.retry?.fireAt ?? action.fireAt ?? new Date().toISOString();
      applied.emitted.push(historyEvent(EventType.TimerCreated, { FireAt: fireAt }, id));
      if (s.retry || !action.isCanceled) applied.followUps.push({ kind: 'timer', id, fireAt });
      return;
    }
    case 'eventSent':
      return;
  }
}
