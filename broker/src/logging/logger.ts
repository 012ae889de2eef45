/**
 * The one logger, a leaf every folder may use: pino writing synchronously to fd 2 (no worker thread,
 * so the last lines before process.exit are never lost).
 *
 * TERN_LOG_LEVEL: debug|info|warn|error|silent (default info).
 * TERN_LOG_FORMAT: json (one JSON object per line, for Kubernetes) or pretty (for people); by default
 * pretty when stderr is a terminal, else json. A message is the same text in both formats.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';
/** Structured fields of one line; `err` (an Error) is written with its message and stack. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines name `<component>/<sub>`. */
  child(sub: string): Logger;
}

export interface LoggerOptions {
  /** Default: TERN_LOG_LEVEL, else info. */
  level?: LogLevel;
  /** Default: TERN_LOG_FORMAT, else pretty on a terminal and json otherwise. */
  format?: LogFormat;
  /** Where the lines go (default fd 2); a test may pass a stream it reads. */
  destination?: DestinationStream;
}

function envLevel(): LogLevel {
  const env = (process.env.TERN_LOG_LEVEL ?? 'info').toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(env) ? (env as LogLevel) : 'info';
}

function envFormat(): LogFormat {
  const env = (process.env.TERN_LOG_FORMAT ?? '').toLowerCase();
  if (env === 'json' || env === 'pretty') return env;
  return process.stderr.isTTY ? 'pretty' : 'json';
}

let stderrSink: DestinationStream | undefined;

/** One synchronous writer on fd 2 for every logger of the process. */
function stderr(): DestinationStream {
  stderrSink ??= pino.destination({ fd: 2, sync: true });
  return stderrSink;
}

const PRETTY_SKIP = new Set(['level', 'time', 'component', 'msg', 'err']);

/** `2026-01-02T03:04:05.678Z WARN  [broker/store] message key=value`, then an error's stack if any. */
export function prettyLine(json: string): string {
  const o = JSON.parse(json) as Record<string, unknown>;
  let line = `${String(o.time)} ${String(o.level).toUpperCase().padEnd(5)} [${String(o.component)}] ${String(o.msg)}`;
  for (const [k, v] of Object.entries(o)) {
    if (!PRETTY_SKIP.has(k)) line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  const err = o.err as { message?: string; stack?: string } | undefined;
  if (err !== undefined) line += `\n  ${err.stack ?? err.message ?? JSON.stringify(err)}`;
  return `${line}\n`;
}

function prettyTo(sink: DestinationStream): DestinationStream {
  return { write: (json: string) => sink.write(prettyLine(json)) };
}

function wrap(root: PinoLogger, component: string): Logger {
  const p = root.child({ component });
  return {
    debug: (msg, fields) => (fields === undefined ? p.debug(msg) : p.debug(fields, msg)),
    info: (msg, fields) => (fields === undefined ? p.info(msg) : p.info(fields, msg)),
    warn: (msg, fields) => (fields === undefined ? p.warn(msg) : p.warn(fields, msg)),
    error: (msg, fields) => (fields === undefined ? p.error(msg) : p.error(fields, msg)),
    // From the root, so a line carries one `component` key however deep the child.
    child: (sub) => wrap(root, `${component}/${sub}`),
  };
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const sink = options.destination ?? stderr();
  const root = pino(
    {
      level: options.level ?? envLevel(),
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    (options.format ?? envFormat()) === 'pretty' ? prettyTo(sink) : sink,
  );
  return wrap(root, component);
}
