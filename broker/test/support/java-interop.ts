import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const JAVA_INTEROP = path.resolve(import.meta.dirname, '../../../scripts/java-interop.sh');

export interface JavaResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the official Apache RocketMQ Java client harness (interop/java) with the given subcommand. */
export async function runJava(args: string[], opts: { javaOpts?: string; timeoutMs?: number } = {}): Promise<JavaResult> {
  try {
    const { stdout, stderr } = await run(JAVA_INTEROP, args, {
      env: { ...process.env, JAVA_OPTS: opts.javaOpts ?? '' },
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}\n${e.message}` };
  }
}

/** Keys printed by `consume` as lines "KEY <key> <queueId> <queueOffset> <bodyLength>". */
export function consumedKeys(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('KEY ')).map((l) => l.split(' ')[1]!);
}
