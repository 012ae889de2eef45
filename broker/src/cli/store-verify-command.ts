/** `tern store verify DIR`: an offline consistency check of a store directory; exit 1 when it finds damage. */
import { parseArgs } from 'node:util';
import { verifyStore } from '../store/store-verify.ts';
import { renderVerifyReport } from '../store/store-verify-report.ts';
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
  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderVerifyReport(report));
  return report.errors.length === 0 ? 0 : 1;
}
