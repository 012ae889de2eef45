/** The human-readable form of a store verify report: `tern store verify` prints it, the fault run shows it on failure. */
import type { VerifyReport } from './store-verify.ts';

export function renderVerifyReport(r: VerifyReport): string {
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
