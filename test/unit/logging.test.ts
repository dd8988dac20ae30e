/**
 * Structured logs (functions/logging.ts and host/log.ts): an entry leaves an invocation as an
 * OpenTelemetry log record whose attributes are its fields (Application Insights
 * customDimensions) and, without Application Insights, as one JSON object through
 * `context.log`, which the local host writes with the fields at the top level of its line.
 */
import { InvocationContext, type LogLevel } from '@azure/functions';
import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';

import { contextLog, logLine, setAppInsightsExport } from '../../functions/logging';
import { appMessage, formatLine, hostLevel } from '../../host/log';

const VM =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1';

describe('a log entry as a line', () => {
  test('when an entry has a step and a result, then they name the message and every field stays a field', () => {
    expect(
      logLine({ level: 'warn', step: 'deallocate', result: 'failed', runId: 'r1', vmId: VM }),
    ).toEqual({
      level: 'warn',
      msg: 'deallocate failed',
      fields: { step: 'deallocate', result: 'failed', runId: 'r1', vmId: VM },
    });
    expect(logLine({ msg: 'approval request posted', runId: 'r1' }).msg).toBe(
      'approval request posted',
    );
    expect(logLine({ level: 'loud' }).level).toBe('info');
    // Without a result, the entry's message says what happened.
    expect(logLine({ step: 'approval-request', message: 'No webhook: waiting' })).toEqual({
      level: 'info',
      msg: 'No webhook: waiting',
      fields: { step: 'approval-request' },
    });
  });

  test('when an entry carries a credential, then it is not written: fields named for secrets, and key or token query parameters', () => {
    const line = logLine({
      step: 'x',
      token: 'v1.abc.def',
      approveUrl: 'https://app/api/approvals/i/approve?token=v1.abc.def',
      statusUrl: 'https://app/api/remediations/bulk-1?code=THE-KEY&x=1',
      nested: { connectionString: 'AccountKey=abc', note: 'see ?sig=SAS&se=1' },
    });
    expect(JSON.stringify(line)).not.toMatch(/v1\.abc\.def|THE-KEY|AccountKey=abc|SAS/);
    expect(line.fields.statusUrl).toBe('https://app/api/remediations/bulk-1?code=[redacted]&x=1');
  });
});

describe('an entry of an invocation', () => {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exporter)] });
  beforeAll(() => logs.setGlobalLoggerProvider(provider));
  afterAll(async () => {
    logs.disable();
    await provider.shutdown();
  });
  afterEach(() => {
    exporter.reset();
    setAppInsightsExport(false);
  });

  const invocation = () => {
    const logged: { level: LogLevel; message: string }[] = [];
    const context = new InvocationContext({
      functionName: 'startRemediation',
      invocationId: 'inv-1',
      logHandler: (level, ...args) => logged.push({ level, message: args.map(String).join(' ') }),
    });
    return { context, logged };
  };

  test('when an entry is logged, then it is an OpenTelemetry record whose attributes are its fields (Application Insights customDimensions)', () => {
    const { context } = invocation();
    contextLog(context)({ level: 'info', step: 'bulk', result: 'started', runId: 'bulk-1' });
    const [record, ...more] = exporter.getFinishedLogRecords();
    expect(more).toEqual([]);
    expect(record?.body).toBe('bulk started');
    expect(record?.severityText).toBe('INFO');
    expect(record?.instrumentationScope.name).toBe('accelnet');
    expect(record?.attributes).toEqual({
      step: 'bulk',
      result: 'started',
      runId: 'bulk-1',
      functionName: 'startRemediation',
      invocationId: 'inv-1',
    });
  });

  test('when Application Insights is not configured, then the entry also goes through context.log as one JSON object, and the local host writes its fields at the top level with no JSON inside msg', () => {
    const { context, logged } = invocation();
    contextLog(context)({ level: 'warn', step: 'approval-decision', result: 'refused', code: 'X' });
    expect(logged).toHaveLength(1);
    const [entry] = logged;
    expect(entry?.level).toBe('warning');
    // What the host does with the message the worker protocol carries (host/server.ts).
    const message = appMessage(entry?.message ?? '');
    const line = JSON.parse(
      formatLine(message.level ?? hostLevel(entry?.level ?? ''), 'app', message.msg, {
        functionName: 'startRemediation',
        ...message.fields,
      }),
    ) as Record<string, unknown>;
    expect(line).toEqual({
      time: expect.any(String) as string,
      level: 'warn',
      component: 'app',
      msg: 'approval-decision refused',
      functionName: 'startRemediation',
      step: 'approval-decision',
      result: 'refused',
      code: 'X',
    });
    expect(JSON.stringify(line.msg)).not.toContain('{');
  });

  test('when Application Insights is configured, then the record is the only way out (no second, field-less trace through context.log)', () => {
    setAppInsightsExport(true);
    const { context, logged } = invocation();
    contextLog(context)({ level: 'error', step: 'bulk', result: 'not-started' });
    expect(logged).toEqual([]);
    expect(exporter.getFinishedLogRecords().map((r) => r.severityText)).toEqual(['ERROR']);
  });
});

describe('the host\u2019s lines', () => {
  test('when an app logs a plain message, then it is the line\u2019s msg as it is', () => {
    expect(appMessage('event e1')).toEqual({ msg: 'event e1', fields: {} });
    expect(appMessage('{"not":"an entry"}')).toEqual({ msg: '{"not":"an entry"}', fields: {} });
  });

  test('when a field has the name of a line\u2019s own key, then it is kept beside it', () => {
    const line = JSON.parse(
      formatLine('info', 'app', 'm', { time: 'x', msg: 'y', a: 1 }),
    ) as Record<string, unknown>;
    expect(line).toMatchObject({ component: 'app', msg: 'm', _time: 'x', _msg: 'y', a: 1 });
  });

  test.each([
    ['information', 'info'],
    ['warning', 'warn'],
    ['critical', 'error'],
    ['trace', 'debug'],
  ])('when the worker logs at %s, then the line says %s', (rpc, level) => {
    expect(hostLevel(rpc)).toBe(level);
  });
});
