/**
 * The `tern` command: servers (namesrv, broker, standalone), cluster administration, and the produce /
 * consume load tools. Run through bin/tern.mjs, or directly with `node src/cli/main.ts`.
 */
import { ClientError } from '../client/client-error.ts';
import { adminUsage } from './admin-command.ts';
import { UsageError } from './cli-error.ts';
import { consumeUsage } from './consume-command.ts';
import { produceUsage } from './produce-command.ts';

const usage = `usage: tern <command> [options]

Servers (run until SIGTERM / SIGINT):
  namesrv [-c FILE] [-p PORT]                 a name server
  broker  [-c FILE] [-n NAMESRV]              a broker
          --print-config (broker: -p)         print every key, its value and its default, then exit
  standalone [--data DIR] [...]               a name server and a broker in one process

Tools:
  admin <command> ...                         topics and cluster status (tern admin help)
  admin queryMsgById|queryMsgByKey|queryMsgByUniqueKey ...   find messages by id or key (tern help query)
  store verify DIR                            check a store directory offline (tern help store)
  produce -n NAMESRV -t TOPIC [...]           send test messages and report rates (tern produce --help)
  consume -n NAMESRV -t TOPIC -g GROUP [...]  read messages and report rates (tern consume --help)
`;

function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Runs one command; resolves with the process exit code. Servers resolve after their graceful stop. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'namesrv':
    case 'broker':
    case 'standalone': {
      // Loaded on demand so that the client tools do not load the broker and the store.
      const servers = await import('./server-commands.ts');
      if (command === 'namesrv') await servers.runNamesrv(rest);
      else if (command === 'broker') await servers.runBroker(rest);
      else await servers.runStandalone(rest);
      return Number(process.exitCode ?? 0);
    }
    case 'admin':
      if (['queryMsgById', 'queryMsgByKey', 'queryMsgByUniqueKey'].includes(rest[0] ?? '')) return (await import('./query-command.ts')).runQuery(rest);
      return (await import('./admin-command.ts')).runAdmin(rest);
    case 'store':
      return (await import('./store-verify-command.ts')).runStore(rest);
    case 'produce':
      if (wantsHelp(rest)) return help(produceUsage);
      return (await import('./produce-command.ts')).runProduce(rest);
    case 'consume':
      if (wantsHelp(rest)) return help(consumeUsage);
      return (await import('./consume-command.ts')).runConsume(rest);
    case undefined:
      process.stderr.write(usage);
      return 2;
    case 'help':
    case '--help':
    case '-h': {
      const topic = rest[0];
      if (topic === 'query') return help((await import('./query-command.ts')).queryUsage);
      if (topic === 'store') return help((await import('./store-verify-command.ts')).storeUsage);
      return help(topic === 'admin' ? adminUsage : topic === 'produce' ? produceUsage : topic === 'consume' ? consumeUsage : usage);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function help(text: string): number {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  return 0;
}

/** One line for people, never a stack trace for their mistakes; the stack only with TERN_LOG_LEVEL=debug. */
export function describeError(err: unknown): { line: string; code: number } {
  if (err instanceof UsageError) return { line: `${err.message} (see tern help)`, code: 2 };
  const e = err as Error & { code?: string };
  if (typeof e?.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) return { line: `${e.message} (see tern help)`, code: 2 };
  if (err instanceof ClientError || e?.name === 'ConfigError') return { line: e.message, code: 1 };
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES' || e?.code === 'ENOENT') return { line: e.message, code: 1 };
  return { line: e instanceof Error ? e.message : String(err), code: 1 };
}

/** Entry point used by bin/tern.mjs: runs, reports, flushes stdout, exits. */
export async function runCli(argv: string[]): Promise<void> {
  // The tools talk to servers; their connection chatter is only interesting when something goes wrong.
  if (!['namesrv', 'broker', 'standalone'].includes(argv[0] ?? '')) process.env.TERN_LOG_LEVEL ??= 'warn';
  let code: number;
  try {
    code = await main(argv);
  } catch (err) {
    const { line, code: c } = describeError(err);
    process.stderr.write(`tern: ${line}\n`);
    if ((process.env.TERN_LOG_LEVEL ?? '').toLowerCase() === 'debug' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    code = c;
  }
  process.exitCode = code;
  // Exit once stdout is flushed (a pipe may still hold output), even if a stray timer or socket lingers.
  process.stdout.write('', () => process.exit(code));
}

if (import.meta.main) void runCli(process.argv.slice(2));
