import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine, type LoggerOptions } from '../../src/logging/logger.ts';
import { BROKER_ROOT, NODE } from '../support/processes.ts';

/** A destination the test reads: every line the logger wrote, in whichever format. */
function capture(): { lines: string[]; destination: NonNullable<LoggerOptions['destination']> } {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(...s.split('\n').filter((l) => l !== '')) } };
}

describe('logger', () => {
  it('writes one JSON object per line with level, time, component and message', () => {
    const out = capture();
    const log = createLogger('broker a', { format: 'json', level: 'info', destination: out.destination });
    log.info('broker started');
    log.child('store').warn('disk back at 80% used: accepting puts again', { file: '/x/y' });
    log.debug('not shown at info');
    expect(out.lines).toHaveLength(2);
    const [first, second] = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ level: 'info', component: 'broker a', msg: 'broker started' });
    expect(Number.isNaN(Date.parse(String(first!.time)))).toBe(false);
    expect(second).toMatchObject({ level: 'warn', component: 'broker a/store', file: '/x/y' });
    // A grep for the message text finds it in the raw line.
    expect(out.lines[1]).toContain('disk back at 80% used: accepting puts again');
  });

  it('writes human-readable lines in pretty format, with fields and an error stack', () => {
    const out = capture();
    const log = createLogger('namesrv', { format: 'pretty', level: 'debug', destination: out.destination });
    log.debug('route table scanned', { brokers: 2 });
    log.error('flush failed', { err: new Error('EIO: i/o error') });
    expect(out.lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z DEBUG \[namesrv\] route table scanned brokers=2$/);
    expect(out.lines[1]).toMatch(/^\S+ ERROR \[namesrv\] flush failed$/);
    expect(out.lines[2]).toMatch(/^ {2}Error: EIO: i\/o error$/);
    expect(out.lines.some((l) => /^\s+at /.test(l))).toBe(true);
  });

  it('keeps one component key however deep the child', () => {
    const out = capture();
    createLogger('broker', { format: 'json', destination: out.destination }).child('store').child('retention').info('x');
    expect(out.lines[0]!.match(/"component"/g)).toHaveLength(1);
    expect(prettyLine(out.lines[0]!)).toContain('[broker/store/retention] x');
  });

  it('writes nothing when silent, and only error and above at error', () => {
    const out = capture();
    const silent = createLogger('a', { format: 'json', level: 'silent', destination: out.destination });
    silent.error('dropped');
    const errorsOnly = createLogger('a', { format: 'json', level: 'error', destination: out.destination });
    errorsOnly.warn('dropped too');
    errorsOnly.error('kept');
    expect(out.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['kept']);
  });
});

describe('logger in a real process', () => {
  const script = (env: Record<string, string>) => promisify(execFile)(NODE, [
    '--disable-warning=ExperimentalWarning', '--input-type=module', '-e',
    `const { createLogger } = await import(${JSON.stringify(path.join(BROKER_ROOT, 'src/logging/logger.ts'))});
     const log = createLogger('proc');
     log.info('info line');
     log.warn('last words before exit');
     process.exit(3);`,
  ], { env: { ...process.env, ...env } }).catch((err: { code: number; stderr: string }) => err);

  it('writes JSON to a piped stderr by default, synchronously up to process.exit', async () => {
    const r = await script({ TERN_LOG_LEVEL: 'info', TERN_LOG_FORMAT: '' });
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string });
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual(['info info line', 'warn last words before exit']);
  });

  it('honours TERN_LOG_FORMAT=pretty and TERN_LOG_LEVEL=warn', async () => {
    const r = await script({ TERN_LOG_LEVEL: 'warn', TERN_LOG_FORMAT: 'pretty' });
    expect(r.stderr).toMatch(/^\S+ WARN  \[proc\] last words before exit\n$/);
  });
});
