/**
 * A contract test of the wire between the local host and durable-functions: the orchestration
 * trigger's payload, the history events and actions in it, and the durable client binding,
 * checked against the literal payloads and constants of durable-functions' own tests
 * (azure-functions-durable-js test/testobjects/testconstants.ts and testutils.ts at c212f6c4,
 * lib/src/util/testingUtils.js in the package) and the Durable extension's source (v2.13.7,
 * a7c6d694), and run through durable-functions' own engine.
 */
import { createRequire } from 'node:module';

import { ActionType } from '../../host/durable/actions';
import { durableClientData } from '../../host/durable/clientBinding';
import { EventType, type HistoryEvent } from '../../host/durable/history';
import { orchestratorPayload } from '../../host/durable/orchestratorCall';
import { replay } from '../../host/durable/replay';
import type { InstanceRecord } from '../../host/durable/taskHub';

const nodeRequire = createRequire(__filename);
const lib = (module: string): Record<string, unknown> =>
  nodeRequire(`durable-functions/lib/src/${module}`) as Record<string, unknown>;
const HistoryEventType = lib('history/HistoryEventType').HistoryEventType as Record<
  string,
  number | string
>;
const DfActionType = lib('actions/ActionType').ActionType as Record<string, number | string>;
const ReplaySchema = lib('orchestrations/ReplaySchema').ReplaySchema as Record<string, number>;
const { OrchestrationClientInputData } = lib('durableClient/OrchestrationClientInputData') as {
  OrchestrationClientInputData: { isOrchestrationClientInputData(obj: unknown): boolean };
};
const { DurableOrchestrationInput, DummyOrchestrationContext } = lib('util/testingUtils') as {
  DurableOrchestrationInput: new () => Record<string, unknown>;
  DummyOrchestrationContext: new (name: string, id: string, log: () => void) => object;
};
const { Orchestrator } = lib('orchestrations/Orchestrator') as {
  Orchestrator: new (fn: (context: unknown) => Generator<unknown, unknown, unknown>) => {
    handle(trigger: unknown, context: object): Promise<{ actions: unknown[][]; isDone: boolean }>;
  };
};
const { DurableClient } = lib('durableClient/DurableClient') as {
  DurableClient: new (data: unknown) => {
    createHttpManagementPayload(instanceId: string): Record<string, string>;
  };
};
const df = nodeRequire('durable-functions') as typeof import('durable-functions');

/** The numeric entries of a TypeScript enum compiled to JS. */
function numbers(e: Record<string, number | string>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(e).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

function record(history: HistoryEvent[], input?: unknown): InstanceRecord {
  return {
    instanceId: 'abc',
    name: 'SayHelloWithActivityRetry',
    executionId: 'e1',
    runtimeStatus: 'Running',
    ...(input === undefined ? {} : { input: JSON.stringify(input) }),
    createdTime: '2024-01-01T00:00:00.000Z',
    lastUpdatedTime: '2024-01-01T00:00:00.000Z',
    history,
    inbox: [],
    nextSeq: 0,
    work: [],
  };
}

const at = (seconds: number): string => new Date(Date.UTC(2024, 0, 1, 0, 0, seconds)).toISOString();
const event = (type: number, eventId: number, seconds: number, fields = {}): HistoryEvent => ({
  EventType: type,
  EventId: eventId,
  IsPlayed: false,
  Timestamp: at(seconds),
  ...fields,
});

describe('the wire between the local host and durable-functions', () => {
  test('when history events and actions are numbered, then every number is durable-functions\u2019 own (history/HistoryEventType.js, actions/ActionType.js)', () => {
    const theirs = numbers(HistoryEventType);
    for (const [name, value] of Object.entries(EventType))
      expect([name, theirs[name]]).toEqual([name, value]);
    expect(EventType.ExecutionTerminated).toBe(3);
    const actions = numbers(DfActionType);
    for (const [name, value] of Object.entries(ActionType))
      expect([name, actions[name]]).toEqual([name, value]);
  });

  test('when an episode is handed over, then the payload has the extension\u2019s fields and constants (OrchestrationTriggerAttributeBindingProvider.cs:230-240)', () => {
    const past = [
      event(EventType.OrchestratorStarted, -1, 0),
      event(EventType.ExecutionStarted, -1, 0),
    ];
    const payload = orchestratorPayload(record(past, { a: 1 }), [
      event(EventType.OrchestratorStarted, -1, 1),
    ]);
    expect(Object.keys(payload)).toEqual([
      'history',
      'input',
      'instanceId',
      'isReplaying',
      'parentInstanceId',
      'upperSchemaVersion',
      'upperSchemaVersionNew',
      'longRunningTimerIntervalDuration',
      'maximumShortTimerDuration',
      'defaultHttpAsyncRequestSleepTimeMillseconds',
    ]);
    expect(payload).toMatchObject({
      input: { a: 1 },
      instanceId: 'abc',
      isReplaying: true,
      // SchemaVersion.V2 written as its number (OutOfProcOrchestrationShim.cs:37-42).
      upperSchemaVersion: ReplaySchema.V2,
      // What durable-functions 3.5.0 needs for entity locks (DurableOrchestrationContext.js).
      upperSchemaVersionNew: ReplaySchema.V4,
    });
    // The Azure Storage provider's timer limits and the HTTP default
    // (AzureStorageDurabilityProvider.cs:68-70, HttpOptions.cs:19), as durable-functions' own
    // test input defaults them (testingUtils.js, DurableOrchestrationInput).
    const theirs = new DurableOrchestrationInput();
    for (const field of [
      'longRunningTimerIntervalDuration',
      'maximumShortTimerDuration',
      'defaultHttpAsyncRequestSleepTimeMillseconds',
    ])
      expect([field, payload[field]]).toEqual([field, theirs[field]]);
    const history = payload.history as HistoryEvent[];
    expect(history.map((e) => e.IsPlayed)).toEqual([true, true, false]);
  });

  test('when a retried activity has failed once, then durable-functions\u2019 engine and the host\u2019s replay agree on the retry timer\u2019s number (testhistories.ts, GetSayHelloWithActivityRetryFailOne / RetryOne)', async () => {
    // GetSayHelloWithActivityRetryFailOne as the extension writes it (PascalCase fields).
    const past = [
      event(EventType.OrchestratorStarted, -1, 0),
      event(EventType.ExecutionStarted, -1, 0, {
        Name: 'SayHelloWithActivityRetry',
        Input: '"World"',
      }),
      event(EventType.TaskScheduled, 0, 0, { Name: 'Hello' }),
      event(EventType.OrchestratorCompleted, -1, 0),
    ];
    const newEvents = [
      event(EventType.OrchestratorStarted, -1, 1),
      event(EventType.TaskFailed, -1, 1, {
        TaskScheduledId: 0,
        Reason: "Activity function 'Hello' failed: Result: Failure",
        Details: 'Big stack trace here',
      }),
    ];
    const payload = orchestratorPayload(record(past, 'World'), newEvents);
    const state = await new Orchestrator(function* (context: unknown) {
      const ctx = context as {
        df: { getInput(): unknown; callActivityWithRetry: (...a: unknown[]) => unknown };
      };
      return yield ctx.df.callActivityWithRetry(
        'Hello',
        new df.RetryOptions(10000, 2),
        ctx.df.getInput(),
      );
    }).handle(
      payload,
      new DummyOrchestrationContext('SayHelloWithActivityRetry', 'i', () => undefined),
    );
    expect(state.isDone).toBe(false);
    const replayed = replay(state.actions, past, newEvents);
    expect(replayed.nondeterminism).toBeUndefined();
    // GetSayHelloWithActivityRetryRetryOne: TimerCreated eventId 1, fireAt the failure's time
    // plus the interval.
    expect(replayed.fresh.map((s) => [s.id, s.kind, s.retry?.fireAt])).toEqual([
      [1, 'timer', new Date(Date.parse(at(1)) + 10000).toISOString()],
    ]);
  });

  describe('the durable client binding', () => {
    const host = 'http://127.0.0.1:7071';
    const data = durableClientData({
      baseUrl: host,
      rpcBaseUrl: `${host}/_host/durabletask/x/`,
      taskHubName: 'accelnet',
      systemKey: 'base64string',
    });
    // testconstants.ts with its placeholders filled in: CONNECTION = Storage (the Azure Storage
    // provider's default connection, AzureStorageDurabilityProviderFactory.cs:96), TASK-HUB =
    // accelnet, the instance id placeholder INSTANCEID (BindingHelper.cs:14).
    const webhookPath = '/runtime/webhooks/durabletask/';
    const testCode = 'code=base64string';
    const uriSuffix = `taskHub=accelnet&connection=Storage&${testCode}`;
    const instance = `${host}${webhookPath}instances/INSTANCEID`;

    test('when it is built, then its URLs are the extension\u2019s: creation URLs with the system key only, management URLs with the task hub and connection too (HttpApiHandler.cs:1136-1206)', () => {
      expect(data.creationUrls).toEqual({
        createNewInstancePostUri: `${host}${webhookPath}orchestrators/{functionName}[/{instanceId}]?${testCode}`,
        createAndWaitOnNewInstancePostUri: `${host}${webhookPath}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${testCode}`,
      });
      expect(data.managementUrls).toEqual({
        id: 'INSTANCEID',
        statusQueryGetUri: `${instance}?${uriSuffix}`,
        sendEventPostUri: `${instance}/raiseEvent/{eventName}?${uriSuffix}`,
        terminatePostUri: `${instance}/terminate?reason={text}&${uriSuffix}`,
        rewindPostUri: `${instance}/rewind?reason={text}&${uriSuffix}`,
        purgeHistoryDeleteUri: `${instance}?${uriSuffix}`,
        restartPostUri: `${instance}/restart?${uriSuffix}`,
        suspendPostUri: `${instance}/suspend?reason={text}&${uriSuffix}`,
        resumePostUri: `${instance}/resume?reason={text}&${uriSuffix}`,
      });
      // testutils.ts, createOrchestrationClientInputData: the base URL without its slash, and
      // the universal query string (HttpApiHandler.GetUniversalQueryStrings).
      expect(data.baseUrl).toBe(`${host}${webhookPath.replace(/\/$/, '')}`);
      expect(data.requiredQueryStringParameters).toBe(testCode);
      expect(data.taskHubName).toBe('accelnet');
      expect(data.rpcBaseUrl).toBe(`${host}/_host/durabletask/x/`);
    });

    test('when durable-functions reads it, then it is client input data and the management payload of an instance is the extension\u2019s', () => {
      expect(OrchestrationClientInputData.isOrchestrationClientInputData(data)).toBe(true);
      const client = new DurableClient(data);
      expect(client.createHttpManagementPayload('inst-1')).toMatchObject({
        id: 'inst-1',
        statusQueryGetUri: `${host}${webhookPath}instances/inst-1?${uriSuffix}`,
        sendEventPostUri: `${host}${webhookPath}instances/inst-1/raiseEvent/{eventName}?${uriSuffix}`,
      });
    });
  });
});
