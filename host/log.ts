import { types } from 'node:util';

/** A structured log line: one JSON object per event. */
export type LogFields = Record<string, unknown>;

/** Where the host writes its log lines. */
export type LogSink = (line: string) => void;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A logger bound to a component name. */
export interface HostLogger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
}

/** The keys every line starts with; a field of the same name is kept as `_<name>`. */
const RESERVED = new Set(['time', 'level', 'component', 'msg']);

/**
 * One line: `{time, level, component, msg, ...fields}`, the fields at the top level so that a
 * line is one flat JSON object to filter on (`jq 'select(.runId == "…")'`).
 */
export function formatLine(
  level: LogLevel,
  component: string,
  msg: string,
  fields: LogFields = {},
  time = new Date(),
): string {
  const line: LogFields = { time: time.toISOString(), level, component, msg };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line[RESERVED.has(key) ? `_${key}` : key] = value;
  }
  return JSON.stringify(line);
}

/** Builds a logger that writes `{time, level, component, msg, ...fields}` lines to `sink`. */
export function createLogger(sink: LogSink | undefined, component: string): HostLogger {
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (!sink) return;
    sink(formatLine(level, component, msg, fields));
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    log: write,
  };
}

/** The worker's log levels (RpcLog.Level, as @azure/functions names them) as the host's. */
export function hostLevel(rpcLevel: string): LogLevel {
  switch (rpcLevel.toLowerCase()) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'warning':
    case 'warn':
      return 'warn';
    case 'error':
    case 'critical':
      return 'error';
    default:
      return 'info';
  }
}

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

/**
 * A message an app logged through `context.log`. The worker protocol carries a log as one
 * string (RpcLog.message: @azure/functions formats every argument into it), so an app that
 * logs structured entries sends each as one JSON object with `level` and `msg`
 * (functions/logging.ts); the host writes its fields at the top level of the line rather than
 * as JSON text inside `msg`. Any other message is the line's `msg` as it is.
 */
export function appMessage(message: string): { level?: LogLevel; msg: string; fields: LogFields } {
  const text = message.trim();
  if (text.startsWith('{') && text.endsWith('}')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const { level, msg, ...fields } = parsed as LogFields;
        if (typeof msg === 'string' && typeof level === 'string' && LEVELS.has(level))
          return { level: level as LogLevel, msg, fields };
      }
    } catch {
      // Not JSON after all: the message as it is.
    }
  }
  return { msg: message, fields: {} };
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return types.isNativeError(err) ? err.message : String(err);
}
