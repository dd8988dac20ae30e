/**
 * DTFx history events as the Durable extension serialises them for out-of-process
 * orchestrators: PascalCase fields, integer `EventType`, ISO timestamps, JSON strings.
 */

/**
 * DTFx `EventType` values, as durable-functions numbers them (history/HistoryEventType.js):
 * 2 is ExecutionFailed and 3 ExecutionTerminated.
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
} as const;

/** One history event. Extra fields depend on `EventType`. */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

/** DTFx `OrchestrationStatus` names used in ExecutionCompleted. */
export const OrchestrationStatusCode = {
  Completed: 1,
  Failed: 3,
  Terminated: 5,
  ContinuedAsNew: 2,
} as const;

/** Builds an event with the common fields. */
export function historyEvent(
  type: number,
  fields: Record<string, unknown> = {},
  eventId = -1,
): HistoryEvent {
  return {
    EventType: type,
    EventId: eventId,
    IsPlayed: false,
    Timestamp: new Date().toISOString(),
    ...fields,
  };
}

/** The name of an event type, for status queries with `showHistory`. */
export function eventTypeName(type: number): string {
  for (const [name, value] of Object.entries(EventType)) if (value === type) return name;
  return String(type);
}
