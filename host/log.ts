import { types } from 'node:util';

/** A structured log line: one JSON object per event. */
export type LogFields = Record<string, unknown>;

/** Where the host writes its log lines. */
export type LogSink = (line: string) => void;

/** A logger bound to a component name. */
export interface HostLogger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Builds a logger that writes `{time, level, component, msg, ...fields}` lines to `sink`. */
export function createLogger(sink: LogSink | undefined, component: string): HostLogger {
  const write = (level: string, msg: string, fields?: LogFields): void => {
    if (!sink) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level, component, msg, ...fields }));
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return types.isNativeError(err) ? err.message : String(err);
}
