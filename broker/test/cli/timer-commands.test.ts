import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { BROKER_ROOT, NODE } from '../support/processes.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const TERN_BIN = path.join(BROKER_ROOT, 'bin/tern.mjs');

function tern(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [TERN_BIN, ...args], { cwd: BROKER_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let cluster: LocalCluster;
let dir: string;
beforeAll(async () => {
  cluster = await startLocalCluster();
  dir = tempDir('tern-cli-timer-');
});
afterAll(async () => {
  await cluster?.stop();
});

describe('tern produce --delay-ms / --deliver-at, tern admin timerStatus / recall', () => {
  it('sends timers, shows them pending per topic, recalls one, delivers the rest', async () => {
    const ns = cluster.namesrvAddr;
    const b = cluster.brokerAddr;
    expect((await tern(['admin', 'updateTopic', '-n', ns, '-b', b, '-t', 'cli-timer', '-r', '1', '-w', '1'])).code).toBe(0);
    const acks = path.join(dir, 'acks');
    const delayed = await tern(['produce', '-n', ns, '-t', 'cli-timer', '--count', '3', '--delay-ms', '4000', '--key-prefix', 'd', '--ack-log', acks]);
    expect(delayed.code, delayed.stderr).toBe(0);
    const at = await tern(['produce', '-n', ns, '-t', 'cli-timer', '--count', '1', '--deliver-at', new Date(Date.now() + 4000).toISOString(), '--key-prefix', 'a']);
    expect(at.code, at.stderr).toBe(0);
    const status = await tern(['admin', 'timerStatus', '-n', ns, '-b', b]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/pending timers\s+4/);
    expect(status.stdout).toMatch(/cli-timer\s+4/);
    const firstId = fs.readFileSync(acks, 'utf8').split('\n')[0]!.split(' ')[0]!;
    const recalled = await tern(['admin', 'recall', '-n', ns, '-t', 'cli-timer', '-i', firstId]);
    expect(recalled.code, recalled.stderr).toBe(0);
    expect(recalled.stdout).toMatch(new RegExp(`recalled ${firstId} of cli-timer`));
    await waitFor('3 timers delivered', async (note) => {
      const out = (await tern(['admin', 'topicStatus', '-n', ns, '-t', 'cli-timer'])).stdout;
      note(out);
      return /\s0\s+3\s+3\s*$/m.test(out);
    }, 20_000, 200);
    const late = await tern(['admin', 'recall', '-n', ns, '-t', 'cli-timer', '-i', firstId]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/too late to recall/);
    expect((await tern(['produce', '-n', ns, '-t', 'cli-timer', '--delay-ms', '5', '--deliver-at', '1'])).code).toBe(2);
  });
});
