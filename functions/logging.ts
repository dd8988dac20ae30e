/**
 * Structured logs: every entry is a level, a short message and its fields (`runId`, `vmId`,
 * `step`, `result`, ...), and the fields stay fields wherever the entry goes.
 *
 * How a log of a Node.js function reaches Application Insights decides how: `context.log(...)`
 * formats its arguments into one string (@azure/functions InvocationContext: `format(...args)`),
 * which the worker sends to the Functions host as RpcLog.message; the host logs it through
 * ILogger, and Application Insights gets a trace whose `message` is that string and whose
 * customDimensions are the host's own (Category, LogLevel, InvocationId...). Nothing of it
 * carries properties: Microsoft's own @azure/functions-opentelemetry-instrumentation turns
 * `context.log` into OpenTelemetry log records with a body and no attributes. What does carry
 * them is an OpenTelemetry log record's attributes: the Azure Monitor exporter
 * (@azure/monitor-opentelemetry, registered by startTelemetry when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set) writes a record without an event name as a
 * trace whose customDimensions are its attributes (monitor-opentelemetry-exporter,
 * utils/logUtils: createPropertiesFromLog).
 *
 * So each entry is emitted as an OpenTelemetry log record (body: the message; attributes: the
 * fields, the function name and the invocation id). When Application Insights is configured,
 * that is its only way out (the same entry through `context.log` too would be a second trace,
 * without the fields). When it is not, the entry also goes through `context.log`, as one JSON
 * object: the local host writes its fields at the top level of its line (host/log.ts
 * appMessage), and Azure's log stream shows one JSON object per entry.
 */
import type { InvocationContext } from '@azure/functions';
import { type AnyValueMap, logs, SeverityNumber } from '@opentelemetry/api-logs';

import type { LogPort } from '../shared/domain/ports';
import { TELEMETRY_SCOPE } from '../shared/platform/telemetry';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** An entry as written: a level, a message, and the fields at the top level. */
export interface LogLine {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
}

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

/** Field names whose values are credentials: never written, whatever a caller passes. */
const SECRET_FIELD =
  /token|secret|password|authorization|signature|functionkey|accountkey|connectionstring|clientprincipal|^key$|^(approve|reject)url$/i;
/** A credential in a URL's query (`?code=…`, `&token=…`, a SAS `sig=`): its value is dropped. */
const SECRET_PARAM = /([?&](?:code|token|sig)=)[^&\s"']+/gi;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(SECRET_PARAM, '$1[redacted]');
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: scrub(value.message) };
  if (depth > 4) return '[nested]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  return scrubFields(value as Record<string, unknown>, depth + 1);
}

function scrubFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || typeof value === 'function') continue;
    out[key] = SECRET_FIELD.test(key) ? '[redacted]' : scrub(value, depth);
  }
  return out;
}

/**
 * An entry of a LogPort as a line: its `level` (info when it names none), its message (`msg`
 * when it has one; else, with a `result`, its `step` and `result`: "approval-decision refused";
 * else its `message`), and every other property as a field, credentials removed.
 */
export function logLine(entry: Record<string, unknown>): LogLine {
  const { level, msg, ...rest } = entry;
  const fields = scrubFields(rest);
  const lineLevel = typeof level === 'string' && LEVELS.has(level) ? (level as LogLevel) : 'info';
  if (typeof msg === 'string' && msg !== '')
    return { level: lineLevel, msg: scrub(msg) as string, fields };
  // An entry with a result says it in its step and result; one without says it in its message.
  if (typeof fields.result !== 'string' && typeof fields.message === 'string') {
    const { message, ...others } = fields;
    return { level: lineLevel, msg: message, fields: others };
  }
  const named = [fields.step, fields.result].filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  return { level: lineLevel, msg: named.length > 0 ? named.join(' ') : 'log', fields };
}

const SEVERITY: Record<LogLevel, SeverityNumber> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

/**
 * The entry as an OpenTelemetry log record of accelnet's scope: body the message, attributes
 * the fields (Application Insights customDimensions). Dropped when no provider is registered.
 */
export function emitLogRecord(line: LogLine, extra: Record<string, unknown> = {}): void {
  logs.getLogger(TELEMETRY_SCOPE).emit({
    severityNumber: SEVERITY[line.level],
    severityText: line.level.toUpperCase(),
    body: line.msg,
    attributes: { ...line.fields, ...extra } as AnyValueMap,
  });
}

/** Where entries go besides OpenTelemetry: set once by the composition root. */
let exportingToAppInsights = false;

/** Application Insights receives the records (so `context.log` is not used as well). */
export function setAppInsightsExport(on: boolean): void {
  exportingToAppInsights = on;
}

/** Structured logs of one invocation (see the module's comment for where they go). */
export function contextLog(context: InvocationContext): LogPort {
  return (entry) => {
    const line = logLine(entry);
    emitLogRecord(line, {
      functionName: context.functionName,
      invocationId: context.invocationId,
    });
    if (exportingToAppInsights) return;
    const text = JSON.stringify({ level: line.level, msg: line.msg, ...line.fields });
    if (line.level === 'warn') context.warn(text);
    else if (line.level === 'error') context.error(text);
    else if (line.level === 'debug') context.debug(text);
    else context.info(text);
  };
}

/** Structured logs outside an invocation: the record, and one JSON object per line on stdout. */
export const jsonLog: LogPort = (entry) => {
  const line = logLine(entry);
  emitLogRecord(line);
  if (exportingToAppInsights) return;
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: line.level, msg: line.msg, ...line.fields })}\n`,
  );
};
