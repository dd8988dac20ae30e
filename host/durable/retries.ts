/**
 * Retries run in the host: the engine allots the retry timer and the next attempt a sequence
 * number as it reads the failure or the timer, before any new action.
 */
import { retryDelayMs } from './actions';
import { EventType, type HistoryEvent, historyEvent } from './history';
import type { InstanceRecord, WorkItem } from './records';

/** Whether reading this event makes the host allot a sequence number (a retry). */
export function allotsSequence(rec: InstanceRecord, event: HistoryEvent): boolean {
  if (event.EventType === EventType.ExecutionStarted) return true;
  if (
    event.EventType === EventType.TaskFailed ||
    event.EventType === EventType.SubOrchestrationInstanceFailed
  )
    return true;
  return (
    event.EventType === EventType.TimerFired &&
    rec.retries.some((c) => c.timerId !== undefined && c.timerId === event.TimerId)
  );
}

/**
 * Moves a retry chain on as its attempt's completion or its retry timer is read: a failure
 * schedules the retry timer (or, after the last attempt, a timer of no delay that ends the
 * chain), the timer the next attempt. Each takes the next sequence number, as the engine
 * expects.
 */
export function advanceRetries(
  rec: InstanceRecord,
  event: HistoryEvent,
  emitted: HistoryEvent[],
  followUps: WorkItem[],
): void {
  const failed =
    event.EventType === EventType.TaskFailed ||
    event.EventType === EventType.SubOrchestrationInstanceFailed;
  const succeeded =
    event.EventType === EventType.TaskCompleted ||
    event.EventType === EventType.SubOrchestrationInstanceCompleted;
  if (failed || succeeded) {
    const chain = rec.retries.find(
      (c) => c.timerId === undefined && c.attemptId === event.TaskScheduledId,
    );
    if (!chain) return;
    if (succeeded) {
      rec.retries.splice(rec.retries.indexOf(chain), 1);
      return;
    }
    const timerId = rec.nextSeq++;
    const delay =
      chain.attempt < chain.options.maxNumberOfAttempts
        ? retryDelayMs(chain.options, chain.attempt)
        : 0;
    const fireAt = new Date(Date.now() + delay).toISOString();
    chain.timerId = timerId;
    emitted.push(historyEvent(EventType.TimerCreated, { FireAt: fireAt }, timerId));
    followUps.push({ kind: 'timer', id: timerId, fireAt });
    return;
  }
  if (event.EventType === EventType.TimerFired) {
    const chain = rec.retries.find((c) => c.timerId !== undefined && c.timerId === event.TimerId);
    if (!chain) return;
    if (chain.attempt >= chain.options.maxNumberOfAttempts) {
      rec.retries.splice(rec.retries.indexOf(chain), 1);
      return;
    }
    const id = rec.nextSeq++;
    chain.attempt += 1;
    chain.attemptId = id;
    chain.timerId = undefined;
    if (chain.kind === 'activity') {
      emitted.push(
        historyEvent(EventType.TaskScheduled, { Name: chain.name, Input: chain.input }, id),
      );
      followUps.push({ kind: 'activity', id, name: chain.name, input: chain.input });
    } else {
      const instanceId = chain.instanceId ?? `${rec.instanceId}:${id}`;
      emitted.push(
        historyEvent(
          EventType.SubOrchestrationInstanceCreated,
          { Name: chain.name, InstanceId: instanceId, Input: chain.input },
          id,
        ),
      );
      followUps.push({
        kind: 'subOrchestration',
        id,
        name: chain.name,
        instanceId,
        input: chain.input,
      });
    }
  }
}
