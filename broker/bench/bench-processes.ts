/** What the process benchmarks share: `tern` as a child process, the produce summary, and a plain table printer. */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');

export interface TernProcess {
  child: ReturnType<typeof spawn>;
  exited: Promise<number | null>;
  output(): string;
}

/** Runs `tern <args>` with warnings-only logs (a bench must not measure its own logging). */
export function tern(args: string[]): TernProcess {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERN_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  return { child, exited, output: () => out };
}

/** A column of the summary table `tern produce` prints (header row, a row of dashes, then one value row). */
export function summaryColumn(output: string, column: string): number | undefined {
  const lines = output.split('\n');
  const h = lines.findIndex((l) => l.includes(column));
  const row = lines.slice(h + 1).find((l) => !/^[-\s]*$/.test(l));
  if (h < 0 || !row) return undefined;
  const headers = lines[h]!.trim().split(/\s{2,}/);
  const cells = row.trim().split(/\s{2,}/);
  const v = Number(cells[headers.indexOf(column)]);
  return Number.isFinite(v) ? v : undefined;
}

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}
