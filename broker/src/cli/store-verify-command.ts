/** `tern store verify DIR`: an offline consistency check of a store directory; exit 1 when it finds damage. */
import { parseArgs } from 'node:util';
import { verifyStore, type VerifyReport } from '../store/store-verify.ts';
import { UsageError } from './cli-error.ts';

export const storeUsage = `tern store verify DIR [--commitlog DIR] [--json]
  checks a store offline (read-only): CommitLog records (magic, size, offset, body CRC), the checkpoint,
  every ConsumeQueue unit against its record, and every IndexFile entry against its message's keys.
  Exit status 0 when nothing is wrong, 1 when something is (warnings alone are what recovery repairs).`;

export async function runStore(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'verify') throw new UsageError(sub === undefined ? 'store needs a subcommand: verify DIR' : `unknown store command "${sub}"`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { commitlog: { type: 'string' }, json: { type: 'boolean' } },
  });
  const dir = positionals[0];
  if (dir === undefined || positionals.length > 1) throw new UsageError('store verify needs exactly one DIR');
  const report = verifyStore(dir, values.commitlog !== undefined ? { commitLogDir: values.commitlog } : {});
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report));
  return report.errors.length === 0 ? 0 : 1;
}

export function renderReport(r: VerifyReport): string {
  const cl = r.commitLog;
  const cp = r.checkpoint;
  const lines = [
    `store ${r.dir}`,
    `  state         ${r.inUse ? 'IN USE by a running broker (its newest bytes may change during the check)' : 'not in use'}; ` +
      `last stop ${r.crashed ? 'was NOT clean (abort file present): recovery runs at the next start' : 'was clean'}`,
    `  commitlog     ${cl.segments} segment(s) of ${cl.segmentSize} bytes, offsets ${cl.minOffset}..${cl.end}; ` +
      `${cl.messages} message(s), ${cl.blanks} end-of-segment blank(s)${cl.tornTailBytes > 0 ? `, ${cl.tornTailBytes} byte(s) of torn tail` : ''}`,
    `  checkpoint    ${cp.valid ? `flushed ${cp.commitLogFlushedOffset}, dispatched ${cp.dispatchedOffset}, indexed ${cp.indexedOffset}` : 'missing or invalid'}`,
    `  consumequeue  ${r.consumeQueues.queues} queue(s), ${r.consumeQueues.units} unit(s)` +
      (r.consumeQueues.expiredUnits > 0 ? ` (${r.consumeQueues.expiredUnits} behind the CommitLog start)` : ''),
    `  index         ${r.index.files} file(s), ${r.index.entries} entr${r.index.entries === 1 ? 'y' : 'ies'}`,
  ];
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  for (const e of r.errors) lines.push(`  ERROR: ${e}`);
  lines.push(r.errors.length === 0 ? (r.warnings.length === 0 ? 'OK' : 'OK (recovery will repair the warnings above)') : `${r.errors.length} error(s)`);
  return lines.join('\n') + '\n';
}
