import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Prometheus's promtool, built from Go modules by scripts/ensure-promtool.sh (cached per version). Undefined only
 * when this machine has no Go toolchain; the reason is returned so a test can say loudly why it skipped.
 */
export function ensurePromtool(): { path?: string; missing?: string } {
  const run = spawnSync(path.join(ROOT, 'scripts/ensure-promtool.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (run.status === 0) return { path: run.stdout.trim().split('\n').pop()! };
  if (/no Go toolchain/.test(run.stderr)) return { missing: run.stderr.trim() };
  throw new Error(`scripts/ensure-promtool.sh failed (exit ${run.status}): ${run.stderr.slice(-2000)}`);
}

/** `promtool check metrics` on a scrape: returns its complaints, empty when the text passes parser and lint. */
export function promtoolCheckMetrics(promtool: string, text: string): string {
  try {
    execFileSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return '';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number };
    return `exit ${e.status}: ${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
  }
}
