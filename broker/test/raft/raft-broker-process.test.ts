/**
 * A Raft (DLedger-mode) broker group as real processes on 127.0.0.1: three brokers elect a master, producers send
 * with ack logs, the leader is SIGKILLed, a new leader takes over, and every acknowledged message is consumed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTern, type RunningProcess } from '../support/processes.ts';
import { raftMasterAddr, startRaftGroupProcesses } from '../support/raft-processes.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { Admin, Producer, PushConsumer, type ReceivedMessage } from '../../src/client/index.ts';

const running: RunningProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

function startRaftGroup() {
  return startRaftGroupProcesses({ clusterName: 'raft-cluster', brokerName: 'raft-a', running,
    extraConf: ['mappedFileSizeCommitLog=4194304', 'slaveSyncInterval=1000'] });
}

const masterAddr = raftMasterAddr;

/** A store's CommitLog bytes up to its last record (segment files concatenated, the trailing zeros cut). */
function commitLogBytes(storeDir: string): Buffer {
  const dir = path.join(storeDir, 'commitlog');
  const all = Buffer.concat(fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f))));
  let end = all.length;
  while (end > 0 && all[end - 1] === 0) end--;
  return all.subarray(0, end);
}

describe('Raft broker group as real processes', () => {
  it('elects a master, loses no acknowledged message when the leader is SIGKILLed, and resumes writes', async () => {
    const g = await startRaftGroup();
    const admin = new Admin({ namesrvAddr: g.namesrvAddr });
    try {
      const firstMaster = await waitFor('a master elected and registered as brokerId 0', async (note) => {
        const addr = await masterAddr(admin, 'raft-a');
        note(`master ${addr ?? 'none'}`);
        return addr;
      }, 20_000, 100);
      await admin.createTopic('raft-t', { clusterName: 'raft-cluster' });

      const ackLogs = [0, 1].map((i) => path.join(g.dir, `acks-${i}.txt`));
      const producers = ackLogs.map((ackLog, i) => spawnTern(['produce', '-n', g.namesrvAddr, '-t', 'raft-t', '--count', '1000000',
        '--size', '256', '--sync', '--concurrency', '8', '--key-prefix', `p${i}-`, '--ack-log', ackLog, '--timeout', '3000',
        '--allow-unacked']));
      running.push(...producers);
      const ackLines = () => ackLogs.flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '').split('\n').filter(Boolean));
      await waitFor('2,000 acknowledged sends', (note) => {
        note(`${ackLines().length} acks`);
        return ackLines().length >= 2000;
      }, 30_000, 50);

      const leader = g.members.find((m) => firstMaster.endsWith(`:${m.port}`))!;
      const ackedAtKill = ackLines().length;
      const killedAt = performance.now();
      leader.proc!.child.kill('SIGKILL');
      await leader.proc!.exited;
      const newMaster = await waitFor('a new master registered', async () => {
        const addr = await masterAddr(admin, 'raft-a');
        return addr !== undefined && addr !== firstMaster ? addr : undefined;
      }, 15_000, 50);
      const electedMs = performance.now() - killedAt;
      await waitFor('sends acknowledged after the kill', () => ackLines().length > ackedAtKill + 500, 20_000, 50).catch((err: Error) => {
        const tail = (s: string) => s.split('\n').slice(-25).join('\n');
        fs.writeFileSync('/tmp/raft-producer.log', producers[0]!.output());
        const out = producers[0]!.output().split('\n').filter((l) => /failed|error|warn/i.test(l));
        const warns = g.members.map((m) => `--- ${m.name}\n${(m.proc?.output() ?? '').split('\n').filter((l) => /"(warn|error)"|raft role|Raft/.test(l)).slice(-30).join('\n')}`).join('\n');
        throw new Error(`${err.message}\n${warns}\n--- producer\n${out.slice(0, 10).join('\n')}\n...\n${out.slice(-20).join('\n')}`);
      });
      const resumedMs = performance.now() - killedAt;
      console.log(`Raft leader SIGKILL: new master ${newMaster} routed after ${electedMs.toFixed(0)} ms; 500 more acks after ${resumedMs.toFixed(0)} ms`);

      // The old leader comes back as a follower and catches up.
      await g.start(leader);
      for (const p of producers) p.child.kill('SIGTERM');
      await Promise.all(producers.map((p) => p.exited));

      const acked = new Set(ackLines().map((l) => l.split(' ')[1]!));
      const consumer = spawnTern(['consume', '-n', g.namesrvAddr, '-t', 'raft-t', '-g', 'raft-check', '--from', 'first',
        '--idle-exit', '5', '--print', 'keys']);
      running.push(consumer);
      await consumer.exited;
      const consumed = new Set(consumer.output().split('\n').filter((k) => acked.has(k)));
      const lost = [...acked].filter((k) => !consumed.has(k));
      console.log(`Raft group: ${acked.size} acknowledged, ${lost.length} lost`);
      expect(acked.size).toBeGreaterThan(2500);
      expect(lost).toEqual([]);

      // Stopped gracefully, the three CommitLogs hold the same bytes (the restarted member caught up).
      await Promise.all(g.members.map(async (m) => {
        m.proc!.child.kill('SIGTERM');
        await m.proc!.exited;
      }));
      const logs = g.members.map((m) => commitLogBytes(path.join(g.dir, `store-${m.name}`)));
      const common = Math.min(...logs.map((l) => l.length));
      expect(common).toBeGreaterThan(1_000_000);
      for (const l of logs.slice(1)) expect(Buffer.compare(l.subarray(0, common), logs[0]!.subarray(0, common))).toBe(0);
    } finally {
      await admin.shutdown();
    }
  }, 180_000);

  it('hands leadership over on request and on SIGTERM without failing a send', async () => {
    const g = await startRaftGroup();
    const admin = new Admin({ namesrvAddr: g.namesrvAddr });
    try {
      const first = await waitFor('a master elected', () => masterAddr(admin, 'raft-a'), 20_000, 100);
      await admin.createTopic('raft-h', { clusterName: 'raft-cluster' });
      const producer = spawnTern(['produce', '-n', g.namesrvAddr, '-t', 'raft-h', '--count', '6000', '--size', '256', '--sync',
        '--concurrency', '4', '--rate', '1000', '--timeout', '3000']);
      running.push(producer);
      await new Promise((r) => setTimeout(r, 1500));

      const t0 = performance.now();
      const moved = spawnTern(['admin', 'transferLeadership', '-n', g.namesrvAddr, '-b', first]);
      expect(await moved.exited, moved.output()).toBe(0);
      const second = await waitFor('the new master routed', async () => {
        const a = await masterAddr(admin, 'raft-a');
        return a !== undefined && a !== first ? a : undefined;
      }, 10_000, 50);
      console.log(`transferLeadership: ${moved.output().trim()}; routed after ${(performance.now() - t0).toFixed(0)} ms`);

      // SIGTERM on the new leader: it hands off before it stops.
      const leader = g.members.find((m) => second.endsWith(`:${m.port}`))!;
      leader.proc!.child.kill('SIGTERM');
      expect(await leader.proc!.exited).toBe(0);
      expect(leader.proc!.output()).toMatch(/Raft leadership handed to a follower before stopping/);

      expect(await producer.exited, producer.output()).toBe(0);
      expect(producer.output()).toMatch(/sync\s+6000\s+0\s/);
    } finally {
      await admin.shutdown();
    }
  }, 120_000);

  it('delivers the timers the old leader had pending, none early, after the leader is SIGKILLed', async () => {
    const g = await startRaftGroup();
    const admin = new Admin({ namesrvAddr: g.namesrvAddr });
    const producer = new Producer({ namesrvAddr: g.namesrvAddr, group: 'raft-timer-p', sendTimeoutMs: 3000 });
    const consumer = new PushConsumer({ namesrvAddr: g.namesrvAddr, group: 'raft-timer-c', consumeFrom: 'first' });
    try {
      const first = await waitFor('a master elected', () => masterAddr(admin, 'raft-a'), 20_000, 100);
      await admin.createTopic('raft-timers', { clusterName: 'raft-cluster' });
      await producer.start();
      const due = new Map<string, number>();
      for (let i = 0; i < 50; i++) {
        const deliverAt = Date.now() + 4000 + i * 20;
        const r = await producer.send({ topic: 'raft-timers', body: Buffer.from(`t${i}`), keys: [`t${i}`] }, { deliverAt });
        expect(r.status).toBe('SEND_OK');
        due.set(`t${i}`, deliverAt);
      }
      const leader = g.members.find((m) => first.endsWith(`:${m.port}`))!;
      leader.proc!.child.kill('SIGKILL');
      await leader.proc!.exited;

      const arrived = new Map<string, number>();
      consumer.subscribe('raft-timers', '*');
      consumer.onMessage((msgs: ReceivedMessage[]) => {
        for (const m of msgs) if (!arrived.has(m.properties.get('KEYS')!)) arrived.set(m.properties.get('KEYS')!, Date.now());
      });
      await consumer.start();
      await waitFor('every timer delivered by the new leader', (note) => {
        note(`${arrived.size} of ${due.size}`);
        return arrived.size === due.size;
      }, 30_000, 100);
      // The new master delivered them, never before their time (the clock is this machine's, shared by all).
      const early = [...arrived].filter(([k, at]) => at < due.get(k)!);
      expect(early).toEqual([]);
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
      await admin.shutdown();
    }
  }, 120_000);
});
