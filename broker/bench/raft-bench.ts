/**
 * make bench-raft: in one run, real processes on 127.0.0.1,
 *  1. send TPS of a 3-member Raft (DLedger-mode) group against a SYNC_MASTER with one slave (same size, same window);
 *  2. leader SIGKILL -> first acknowledged send started after the kill, p50 and max over --kills kills (the killed
 *     member restarts and catches up between kills), with a PNG chart of the send rate across the kills;
 *  3. follower catch-up: a follower stopped while --catchup-mb MiB are written, then restarted: MiB/s until its
 *     applied index reaches the leader's commit index.
 *   node bench/raft-bench.ts [--count N] [--size BYTES] [--concurrency C] [--kills K] [--catchup-mb MB] [--chart FILE]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { printTable, summaryColumn, tern, type TernProcess } from './bench-processes.ts';
import { writeSendRateChart } from './send-rate-chart.ts';
import { Admin, Producer } from '../src/client/index.ts';
import { freePort } from '../src/harness/free-port.ts';
import { tempDir } from '../src/harness/temp-dir.ts';
import { waitFor, waitForPort } from '../src/harness/wait-for.ts';

const { values } = parseArgs({ options: {
  count: { type: 'string', default: '100000' }, size: { type: 'string', default: '1024' }, concurrency: { type: 'string', default: '256' },
  kills: { type: 'string', default: '10' }, 'kill-senders': { type: 'string', default: '8' }, 'catchup-mb': { type: 'string', default: '256' },
  chart: { type: 'string', default: path.join(os.tmpdir(), 'tern-raft-failover.png') },
} });
const CLUSTER = 'bench-cluster';
const TOPIC = 'raft-bench';
const procs: TernProcess[] = [];
process.on('exit', () => { for (const p of procs) p.child.kill('SIGKILL'); });

function spawnTern(args: string[]): TernProcess {
  const p = tern(args);
  procs.push(p);
  return p;
}

async function startNamesrv(): Promise<string> {
  const port = await freePort();
  spawnTern(['namesrv', '-p', String(port)]);
  await waitForPort(port);
  return `127.0.0.1:${port}`;
}

async function stopAll(): Promise<void> {
  const stopping = procs.splice(0).reverse();
  for (const p of stopping) p.child.kill('SIGTERM');
  await Promise.all(stopping.map((p) => p.exited));
}

/** `tern produce --async` with the bench's size and window; returns its MSG/s. */
async function produceRate(namesrv: string, what: string): Promise<number> {
  const producer = spawnTern(['produce', '-n', namesrv, '-t', TOPIC, '--count', values.count!, '--size', values.size!, '--async',
    '--concurrency', values.concurrency!]);
  const code = await producer.exited;
  // Any unacknowledged or SLAVE_NOT_AVAILABLE answer means the run did not measure replicated sends.
  if (code !== 0) throw new Error(`tern produce against ${what} failed (exit ${code}):\n${producer.output()}`);
  const rate = summaryColumn(producer.output(), 'MSG/s');
  if (rate === undefined) throw new Error(`no MSG/s in the output of tern produce:\n${producer.output()}`);
  return rate;
}

async function syncMasterTps(): Promise<number> {
  const dir = tempDir('tern-raft-bench-ms-');
  const namesrv = await startNamesrv();
  const ports: number[] = [];
  for (const [id, role] of [[0, 'SYNC_MASTER'], [1, 'SLAVE']] as const) {
    const port = await freePort();
    ports.push(port);
    const conf = path.join(dir, `b${id}.conf`);
    fs.writeFileSync(conf, [`brokerClusterName=${CLUSTER}`, 'brokerName=bench', `brokerId=${id}`, `brokerRole=${role}`, `listenPort=${port}`,
      `haListenPort=${await freePort()}`, `namesrvAddr=${namesrv}`, `storePathRootDir=${dir}/s${id}`, 'brokerIP1=127.0.0.1',
      'registerNameServerPeriod=2000'].join('\n'));
    spawnTern(['broker', '-c', conf]);
    await waitForPort(port);
  }
  const admin = new Admin({ namesrvAddr: namesrv });
  try {
    await waitFor('the slave connected in sync', async () => Number((await admin.brokerRuntimeInfo(`127.0.0.1:${ports[0]}`)).inSyncSlaveNums ?? 0) >= 1, 30_000);
    await admin.createTopic(TOPIC, { clusterName: CLUSTER });
    return await produceRate(namesrv, 'SYNC_MASTER');
  } finally {
    await admin.shutdown();
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Member { name: string; addr: string; port: number; conf: string; proc: TernProcess | null }

class RaftGroupProcesses {
  readonly members: Member[] = [];
  readonly admin: Admin;
  readonly dir: string;
  readonly namesrv: string;
  private constructor(dir: string, namesrv: string) {
    this.dir = dir;
    this.namesrv = namesrv;
    this.admin = new Admin({ namesrvAddr: namesrv });
  }

  static async start(): Promise<RaftGroupProcesses> {
    const g = new RaftGroupProcesses(tempDir('tern-raft-bench-raft-'), await startNamesrv());
    const names = ['n0', 'n1', 'n2'];
    const raftPorts = await Promise.all(names.map(() => freePort()));
    const peers = names.map((n, i) => `${n}-127.0.0.1:${raftPorts[i]}`).join(';');
    for (const name of names) {
      const port = await freePort();
      const conf = path.join(g.dir, `${name}.conf`);
      fs.writeFileSync(conf, [`brokerClusterName=${CLUSTER}`, 'brokerName=raft-bench', `listenPort=${port}`, `namesrvAddr=${g.namesrv}`,
        `storePathRootDir=${g.dir}/store-${name}`, 'brokerIP1=127.0.0.1', 'registerNameServerPeriod=2000',
        'enableDLegerCommitLog=true', 'dLegerGroup=raft-bench', `dLegerPeers=${peers}`, `dLegerSelfId=${name}`].join('\n'));
      g.members.push({ name, addr: `127.0.0.1:${port}`, port, conf, proc: null });
    }
    await Promise.all(g.members.map((m) => g.startMember(m)));
    return g;
  }

  async startMember(m: Member): Promise<void> {
    m.proc = spawnTern(['broker', '-c', m.conf]);
    await waitForPort(m.port, 30_000);
  }

  async info(m: Member): Promise<Record<string, string>> {
    return this.admin.brokerRuntimeInfo(m.addr);
  }

  /** The member the namesrv routes writes to, once every running member follows it. */
  async leader(timeoutMs = 30_000): Promise<Member> {
    return waitFor('a registered leader that every running member follows', async (note) => {
      const addr = (await this.admin.clusterInfo()).brokerAddrTable['raft-bench']?.brokerAddrs['0'];
      const leader = this.members.find((m) => m.addr === addr && m.proc);
      if (!leader) return undefined;
      const id = (await this.info(leader)).dLegerSelfId;
      const seen = await Promise.all(this.members.filter((m) => m.proc).map(async (m) => (await this.info(m)).dLegerLeaderId));
      note(`routed ${addr}, leader ids ${seen.join(',')}`);
      return seen.every((s) => s === id) ? leader : undefined;
    }, timeoutMs, 50);
  }

  /** Until `m` has applied every entry the leader had committed when this was called. */
  async caughtUp(m: Member, timeoutMs: number): Promise<{ index: number }> {
    const leader = await this.leader();
    const index = Number((await this.info(leader)).dLegerCommitIndex);
    await waitFor(`${m.name} to apply index ${index}`, async (note) => {
      const applied = Number((await this.info(m)).dLegerAppliedIndex);
      note(`applied ${applied}`);
      return applied >= index;
    }, timeoutMs, 20);
    return { index };
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function leaderKills(g: RaftGroupProcesses) {
  const producer = new Producer({ namesrvAddr: g.namesrv, group: 'raft-bench-kills', sendTimeoutMs: 3000 });
  await producer.start();
  const body = Buffer.alloc(Number(values.size), 7);
  const acks: { started: number; at: number }[] = [];
  let failed = 0;
  let running = true;
  const senders = Array.from({ length: Number(values['kill-senders']) }, async () => {
    while (running) {
      const started = performance.now();
      try {
        await producer.send({ topic: TOPIC, body });
        acks.push({ started, at: performance.now() });
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  });
  const kills: { killedAt: number; routedMs: number; firstSendMs: number; failedSends: number }[] = [];
  try {
    for (let i = 0; i < Number(values.kills); i++) {
      const leader = await g.leader();
      await new Promise((r) => setTimeout(r, 1500));
      const failedBefore = failed;
      const killedAt = performance.now();
      leader.proc!.child.kill('SIGKILL');
      await leader.proc!.exited;
      leader.proc = null;
      const next = await g.leader();
      const routedMs = performance.now() - killedAt;
      // The first acknowledgement of a send that began after the kill: nothing the dead leader answered counts.
      await waitFor('a send started after the kill acknowledged', () => acks.some((a) => a.started >= killedAt), 30_000, 5);
      const firstSendMs = Math.min(...acks.filter((a) => a.started >= killedAt).map((a) => a.at)) - killedAt;
      kills.push({ killedAt, routedMs, firstSendMs, failedSends: failed - failedBefore });
      console.log(`kill ${i + 1}: ${leader.name} -> ${next.name}, routed after ${routedMs.toFixed(0)} ms, first send after ${firstSendMs.toFixed(0)} ms, ${failed - failedBefore} failed sends`);
      await g.startMember(leader);
      await g.caughtUp(leader, 60_000);
    }
  } finally {
    running = false;
    await Promise.all(senders);
    await producer.shutdown();
  }
  await writeSendRateChart(values.chart!, acks.map((a) => a.at), kills.map((k) => k.killedAt));
  return { kills, acked: acks.length, failed };
}

async function followerCatchUp(g: RaftGroupProcesses) {
  const leader = await g.leader();
  const follower = g.members.find((m) => m !== leader)!;
  follower.proc!.child.kill('SIGTERM');
  await follower.proc!.exited;
  follower.proc = null;
  const before = Number((await g.info(leader)).commitLogMaxOffset);
  const size = 4096;
  const producer = spawnTern(['produce', '-n', g.namesrv, '-t', TOPIC, '--count', String(Math.ceil((Number(values['catchup-mb']) << 20) / size)),
    '--size', String(size), '--async', '--concurrency', '64']);
  const code = await producer.exited;
  if (code !== 0) throw new Error(`tern produce failed while the follower was down (exit ${code}):\n${producer.output()}`);
  const bytes = Number((await g.info(leader)).commitLogMaxOffset) - before;
  const t0 = performance.now();
  await g.startMember(follower);
  const listeningMs = performance.now() - t0;
  await g.caughtUp(follower, 30 * 60_000);
  const seconds = (performance.now() - t0) / 1000;
  return { mib: bytes / 1024 / 1024, seconds, listeningMs };
}

const msTps = await syncMasterTps();
const g = await RaftGroupProcesses.start();
try {
  await g.leader();
  await g.admin.createTopic(TOPIC, { clusterName: CLUSTER });
  const raftTps = await produceRate(g.namesrv, 'the Raft group');
  console.log('\nsend TPS, 3 processes + namesrv each, same machine, same run');
  printTable([['group', 'send TPS'], ['SYNC_MASTER + 1 slave', msTps.toFixed(0)], ['Raft, 3 members', raftTps.toFixed(0)]]);
  console.log(`${values.count} messages of ${values.size} B, async window ${values.concurrency}`);
  console.log(`Raft / SYNC_MASTER send TPS ratio: ${(raftTps / msTps).toFixed(3)} (goal >= 0.75)\n`);

  const k = await leaderKills(g);
  const first = k.kills.map((x) => x.firstSendMs).sort((a, b) => a - b);
  const routed = k.kills.map((x) => x.routedMs).sort((a, b) => a - b);
  console.log(`\nleader SIGKILL, ${k.kills.length} kills, ${values['kill-senders']} sync senders of ${values.size} B (${k.acked} acked, ${k.failed} sends failed)`);
  printTable([['measure', 'p50 ms', 'max ms'],
    ['new leader routed by the namesrv', percentile(routed, 0.5).toFixed(0), routed.at(-1)!.toFixed(0)],
    ['first send started after the kill acknowledged', percentile(first, 0.5).toFixed(0), first.at(-1)!.toFixed(0)]]);
  console.log(`goal: max < 3000 ms -> ${first.at(-1)! < 3000 ? 'met' : 'NOT met'}; chart: ${values.chart}\n`);

  const c = await followerCatchUp(g);
  printTable([['follower catch-up', 'MiB', 'seconds', 'MiB/s', 'of which start-up'],
    ['restart -> applied index = leader commit', c.mib.toFixed(0), c.seconds.toFixed(1), (c.mib / c.seconds).toFixed(1), `${c.listeningMs.toFixed(0)} ms`]]);
} finally {
  await g.admin.shutdown();
  await stopAll();
  fs.rmSync(g.dir, { recursive: true, force: true });
}
