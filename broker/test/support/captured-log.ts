import { createLogger, type Logger, type LoggerOptions } from '../../src/logging/logger.ts';

/** One JSON log line as the logger wrote it. */
export interface LogLine {
  level: string;
  component: string;
  msg: string;
  [field: string]: unknown;
}

/** A real logger (JSON format) whose lines a test reads back. */
export function capturedLog(component = 'test', level: LoggerOptions['level'] = 'debug'): { log: Logger; lines: LogLine[]; raw: string[] } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      }
    },
  };
  return { log: createLogger(component, { format: 'json', level, destination }), lines, raw };
}
