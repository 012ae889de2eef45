/**
 * The official Java client through a Tern Raft group whose leader is SIGKILLed mid-run: every acknowledged message is
 * consumed, and the run reports how many sends failed and for how long after the kill (route refresh of the client).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/index.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { consumedKeys, JAVA_INTEROP, runJava } from '../support/java-interop.ts';
import type { RunningProcess } from '../support/processes.ts';
import { raftMasterAddr, startRaftGroupProcesses } from '../support/raft-processes.ts';

const running: RunningProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

describe('official Java client and a Raft group losing its leader (real processes)', () => {
  it('every acknowledged send is consumed; failed sends are reported', async () => {
    const { dir, namesrvAddr, members } = await startRaftGroupProcesses({ clusterName: 'raft-java', brokerName: 'raft-j', running });
    const admin = new Admin({ namesrvAddr });
    const master = () => raftMasterAddr(admin, 'raft-j');
    const first = await waitFor('a leader routed', master, 20_000, 100);
    await admin.createTopic('java-raft', { clusterName: 'raft-java' });

    const ackLog = path.join(dir, 'acks');
    // Spawned directly (not runJava) so that the leader can be killed while it sends.
    const java = spawn(JAVA_INTEROP, ['produce', '-n', namesrvAddr, '-t', 'java-raft', '-c', '4000', '--mode', 'sync', '--ack-log', ackLog,
      '--key-prefix', 'jr-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    java.stdout.on('data', (d) => { stdout += d; });
    java.stderr.resume();
    const javaExited = new Promise<number | null>((r) => java.on('exit', r));
    // The harness prints nothing per success: wait until the leader has stored a good share of the run.
    await waitFor('1,000 messages stored on the leader', async () =>
      Number((await admin.brokerRuntimeInfo(first)).msgPutTotalTodayNow) >= 1000, 60_000, 50);

    const leader = members.find((m) => first.endsWith(`:${m.port}`))!;
    const killedAt = performance.now();
    leader.proc!.child.kill('SIGKILL');
    await leader.proc!.exited;
    await waitFor('a new leader routed', async () => { const a = await master(); return a !== undefined && a !== first ? a : undefined; }, 15_000, 50);
    const routedMs = performance.now() - killedAt;
    // Exit 1 means some sends failed (counted below); anything else is a harness failure.
    expect([0, 1], stdout).toContain(await javaExited);
    const sent = /SENT ok=(\d+) failed=(\d+)/.exec(stdout);
    expect(sent, stdout).not.toBeNull();
    console.log(`Java client through a Raft leader SIGKILL: new leader routed after ${routedMs.toFixed(0)} ms; ${sent![2]} sends failed,`
      + ` ${sent![1]} acknowledged, ${(performance.now() - killedAt).toFixed(0)} ms after the kill the run ended`);

    const acked = fs.readFileSync(ackLog, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]!);
    const consumed = await runJava(['consume', '-n', namesrvAddr, '-t', 'java-raft', '-g', 'java-raft-check', '-c', String(acked.length),
      '--timeout-ms', '90000']);
    expect(consumed.code, consumed.stderr.slice(-2000)).toBe(0);
    const got = new Set(consumedKeys(consumed.stdout));
    expect(acked.filter((k) => !got.has(k))).toEqual([]);
    await admin.shutdown();
  }, 240_000);
});
