/**
 * make raft-faults RUNS=N SEED=S: a 3-member Raft (DLedger-mode) broker group, each member in its own network
 * namespace (scripts/raft-netns.sh: 10.99.0.11-13 on a bridge, needs root), under seeded faults: the leader SIGKILLed
 * and restarted, a member cut off from both peers (the leader, in most draws), asymmetric cuts, all healed again,
 * while three producers send with ack logs and a consumer reads. Afterwards, with every member back and caught up:
 * every acknowledged message is consumed (0 lost), the CommitLogs are byte-identical over the committed range, and
 * duplicates are counted (at-least-once: only keys that were sent may repeat). Prints the counts of each run.
 * The seed fixes the fault schedule; how many messages get acknowledged depends on timing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../../client/index.ts';
import { SeededRandom } from '../../harness/seeded-random.ts';
import { tempDir } from '../../harness/temp-dir.ts';
import { waitFor } from '../../harness/wait-for.ts';

const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '1' }, seed: { type: 'string' }, faults: { type: 'string', default: '6' },
  keep: { type: 'boolean', default: false },
} });
const ROOT = path.resolve(import.meta.dirname, '../../..');
const NETNS = path.resolve(ROOT, '../scripts/raft-netns.sh');
const MAIN = path.join(ROOT, 'src/cli/main.ts');
const IPS = ['10.99.0.11', '10.99.0.12', '10.99.0.13'];
const NAMESRV = '10.99.0.1:19876';
const BROKER_PORT = 10911;
const RAFT_PORT = 40911;
const TOPIC = 'RaftFaultTopic';

interface Proc { child: ChildProcess; exited: Promise<number | null>; output(): string }

function run(cmd: string, args: string[], stdoutFile?: string): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERN_LOG_LEVEL: 'warn' } });
  let out = '';
  const file = stdoutFile ? fs.openSync(stdoutFile, 'a') : undefined;
  child.stdout!.on('data', (d: Buffer) => { if (file !== undefined) fs.writeSync(file, d); else out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => { if (file !== undefined) fs.closeSync(file); r(code); }));
  return { child, exited, output: () => out };
}
const ternArgs = (args: string[]) => ['--disable-warning=ExperimentalWarning', MAIN, ...args];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function netns(...args: string[]): void {
  const { status } = spawnSync(NETNS, args, { stdio: 'inherit' });
  if (status !== 0) throw new Error(`raft-netns.sh ${args.join(' ')} exited ${status}`);
}

class Member {
  proc: Proc | null = null;
  readonly conf: string;
  readonly index: number;
  constructor(index: number, dir: string) {
    this.index = index;
    this.conf = path.join(dir, `n${index}.conf`);
    const peers = IPS.map((ip, i) => `n${i}-${ip}:${RAFT_PORT}`).join(';');
    fs.writeFileSync(this.conf, ['brokerClusterName=raft-faults', 'brokerName=raft-f', `listenPort=${BROKER_PORT}`, `namesrvAddr=${NAMESRV}`,
      `storePathRootDir=${dir}/store-n${index}`, `brokerIP1=${IPS[index]}`, 'mappedFileSizeCommitLog=4194304', 'registerNameServerPeriod=2000',
      'enableDLegerCommitLog=true', 'dLegerGroup=raft-f', `dLegerPeers=${peers}`, `dLegerSelfId=n${index}`].join('\n'));
  }
  get addr(): string { return `${IPS[this.index]}:${BROKER_PORT}`; }
  start(): void {
    // `ip netns exec` execs node in place, so the pid is the broker's and SIGKILL reaches it.
    this.proc = run('ip', ['netns', 'exec', `ternrf-n${this.index}`, process.execPath, ...ternArgs(['broker', '-c', this.conf])]);
  }
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.proc) return;
    this.proc.child.kill(signal);
    await this.proc.exited;
    this.proc = null;
  }
}

/** A store's CommitLog bytes (segments concatenated) up to `end`. */
function commitLogPrefix(storeDir: string, end: number): Buffer {
  const dir = path.join(storeDir, 'commitlog');
  return Buffer.concat(fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f)))).subarray(0, end);
}

async function oneRun(seed: number) {
  const rnd = new SeededRandom(seed);
  const dir = tempDir('tern-raft-faults-');
  const log: string[] = [];
  netns('up');
  const ns = run(process.execPath, ternArgs(['namesrv', '-p', NAMESRV.split(':')[1]!]));
  const members = IPS.map((_, i) => new Member(i, dir));
  const admin = new Admin({ namesrvAddr: NAMESRV });
  const others: Proc[] = [];
  try {
    for (const m of members) m.start();
    const leader = async () => waitFor('a routed leader', async () => {
      const addr = (await admin.clusterInfo()).brokerAddrTable['raft-f']?.brokerAddrs['0'];
      return members.find((m) => m.addr === addr && m.proc);
    }, 30_000, 50);
    await leader();
    await waitFor('the topic created', () => admin.createTopic(TOPIC, { clusterName: 'raft-faults' }).then(() => true), 20_000, 200);

    const ackLogs = [0, 1, 2].map((i) => path.join(dir, `acks-${i}.txt`));
    const producers = ackLogs.map((ackLog, i) => run(process.execPath, ternArgs(['produce', '-n', NAMESRV, '-t', TOPIC, '--count', '1000000',
      '--size', String(rnd.int(64, 2048)), '--sync', '--concurrency', String(rnd.int(2, 8)), '--rate', '400', '--key-prefix', `s${seed}-p${i}-`,
      '--ack-log', ackLog, '--timeout', '3000', '--allow-unacked'])));
    const liveConsumed = path.join(dir, 'live-consumed.txt');
    const consumer = run(process.execPath, ternArgs(['consume', '-n', NAMESRV, '-t', TOPIC, '-g', 'live', '--print', 'keys']), liveConsumed);
    others.push(...producers, consumer);
    await sleep(3000);

    for (let f = 0; f < Number(values.faults); f++) {
      const current = await leader();
      const kind = rnd.pick(['kill-leader', 'isolate', 'asymmetric'] as const);
      const victim = kind === 'kill-leader' || rnd.chance(0.7) ? current : rnd.pick(members);
      const hold = rnd.int(1500, 5000);
      log.push(`${kind} n${victim.index} ${hold} ms`);
      if (kind === 'kill-leader') {
        await victim.kill('SIGKILL');
        await sleep(hold);
        victim.start();
      } else {
        const peers = IPS.filter((_, i) => i !== victim.index);
        netns(kind === 'isolate' ? 'cut' : 'cut-in', String(victim.index), ...peers);
        await sleep(hold);
        netns('heal', String(victim.index));
      }
      await sleep(rnd.int(1000, 3000));
    }

    for (const p of producers) p.child.kill('SIGTERM');
    await Promise.all(producers.map((p) => p.exited));
    // Every member back and holding everything the leader committed.
    const final = await leader();
    const commit = Number((await admin.brokerRuntimeInfo(final.addr)).dLegerCommitIndex);
    const confirm = await Promise.all(members.map((m) => waitFor(`n${m.index} caught up to ${commit}`, async () => {
      const info = await admin.brokerRuntimeInfo(m.addr);
      return Number(info.dLegerAppliedIndex) >= commit ? Number(info.commitLogConfirmOffset) : undefined;
    }, 120_000, 100)));
    await sleep(2000);
    consumer.child.kill('SIGTERM');
    await consumer.exited;

    const acked = new Set(ackLogs.flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '').split('\n').filter(Boolean)).map((l) => l.split(' ')[1]!));
    const check = run(process.execPath, ternArgs(['consume', '-n', NAMESRV, '-t', TOPIC, '-g', `check-${seed}`, '--from', 'first', '--idle-exit', '8', '--print', 'keys']));
    await check.exited;
    const keys = check.output().split('\n').filter((k) => k.startsWith(`s${seed}-`));
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    const lost = [...acked].filter((k) => !counts.has(k));
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    const liveKeys = new Set(fs.readFileSync(liveConsumed, 'utf8').split('\n').filter(Boolean));
    const liveMissed = [...acked].filter((k) => !liveKeys.has(k)).length;

    await Promise.all(members.map((m) => m.kill('SIGTERM')));
    const end = Math.min(...confirm);
    const logs = members.map((m) => commitLogPrefix(path.join(dir, `store-n${m.index}`), end));
    const identical = logs.every((l) => l.length === end && Buffer.compare(l, logs[0]!) === 0);

    const sendsFailed = producers.map((p) => Number(/(\d+) message\(s\) not sent/.exec(p.output())?.[1] ?? 0)).reduce((a, b) => a + b, 0);
    return { seed, faults: log, acked: acked.size, consumed: counts.size, lost: lost.length, lostSample: lost.slice(0, 5), duplicates,
      liveMissed, sendsFailed, committedBytes: end, identical };
  } finally {
    for (const p of others) p.child.kill('SIGKILL');
    for (const m of members) m.proc?.child.kill('SIGKILL');
    ns.child.kill('SIGKILL');
    await admin.shutdown();
    await Promise.all([...others, ns].map((p) => p.exited));
    netns('down');
    if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const firstSeed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
let failed = 0;
for (let r = 0; r < Number(values.runs); r++) {
  const seed = firstSeed + r;
  const res = await oneRun(seed);
  const ok = res.lost === 0 && res.identical && res.acked > 0;
  if (!ok) failed++;
  console.log(`seed ${seed}: ${res.faults.join(', ')}`);
  console.log(`seed ${seed}: ${res.acked} acked, ${res.sendsFailed} sends failed, ${res.consumed} distinct consumed, ${res.lost} acked lost`
    + `${res.lost ? ` (e.g. ${res.lostSample.join(' ')})` : ''}, ${res.duplicates} keys consumed more than once, live consumer missed ${res.liveMissed},`
    + ` CommitLogs ${res.identical ? 'byte-identical' : 'DIFFERENT'} over ${res.committedBytes} committed bytes -> ${ok ? 'ok' : 'FAILED'}`);
}
console.log(`${Number(values.runs)} runs from seed ${firstSeed}: ${failed} failed (replay one with SEED=<seed>)`);
if (failed) process.exitCode = 1;
