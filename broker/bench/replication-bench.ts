/**
 * make bench-replication: send rate of a SYNC_MASTER against an ASYNC_MASTER (each with one slave, real
 * processes on 127.0.0.1, same machine, same run), the ratio between them, and the replication lag under load.
 *   node bench/replication-bench.ts [--count N] [--size BYTES] [--concurrency C]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { printTable, summaryColumn, tern } from './bench-processes.ts';
import { freePort } from '../src/harness/free-port.ts';
import { tempDir } from '../src/harness/temp-dir.ts';
import { waitFor, waitForPort } from '../src/harness/wait-for.ts';
import { createLogger } from '../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode } from '../src/remoting/index.ts';

const { values } = parseArgs({ options: {
  count: { type: 'string', default: '200000' }, size: { type: 'string', default: '1024' }, concurrency: { type: 'string', default: '256' },
} });
async function run(role: 'SYNC_MASTER' | 'ASYNC_MASTER') {
  const dir = tempDir(`tern-bench-${role}-`);
  const nsPort = await freePort();
  const procs = [tern(['namesrv', '-p', String(nsPort)])];
  await waitForPort(nsPort);
  const ns = `127.0.0.1:${nsPort}`;
  const ports: number[] = [];
  for (const [id, brokerRole] of [[0, role], [1, 'SLAVE']] as const) {
    const port = await freePort();
    ports.push(port);
    const conf = path.join(dir, `b${id}.conf`);
    fs.writeFileSync(conf, [`brokerName=bench`, `brokerId=${id}`, `brokerRole=${brokerRole}`, `listenPort=${port}`, `haListenPort=${await freePort()}`,
      `namesrvAddr=${ns}`, `storePathRootDir=${dir}/s${id}`, 'brokerIP1=127.0.0.1', 'registerNameServerPeriod=2000'].join('\n'));
    procs.push(tern(['broker', '-c', conf]));
    await waitForPort(port);
  }
  const raw = new RemotingClient({ logger: createLogger('bench') });
  const master = `127.0.0.1:${ports[0]}`;
  const runtimeInfo = async (): Promise<Record<string, string>> =>
    JSON.parse((await raw.invoke(master, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).body!.toString()).table;
  let maxLag = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    await waitForSlave(runtimeInfo, role);
    sampler = setInterval(async () => {
      try {
        maxLag = Math.max(maxLag, Number((await runtimeInfo()).haSlaveLagBytes ?? 0));
      } catch { /* a sample lost under load is fine */ }
    }, 200);
    const t0 = Date.now();
    const producer = tern(['produce', '-n', ns, '-t', 'replication-bench', '--count', values.count!, '--size', values.size!, '--async', '--concurrency', values.concurrency!]);
    const code = await producer.exited;
    const seconds = (Date.now() - t0) / 1000;
    // A SYNC_MASTER without a connected slave answers SLAVE_NOT_AVAILABLE at once: such a run measures nothing.
    const slaveNotAvailable = Number(/tern: (\d+) message\(s\) stored but answered SLAVE_NOT_AVAILABLE/.exec(producer.output())?.[1] ?? 0);
    const onlyThat = code === 3 && slaveNotAvailable > 0 && !/message\(s\) not sent:|stored but answered (?!SLAVE_NOT_AVAILABLE)/.test(producer.output());
    if (code !== 0 && !onlyThat) throw new Error(`tern produce failed against ${role} (exit ${code}):\n${producer.output()}`);
    const rate = summaryColumn(producer.output(), 'MSG/s');
    return { role, tps: rate ?? Number(values.count) / seconds, maxLag, slaveNotAvailable, output: producer.output() };
  } finally {
    clearInterval(sampler);
    await raw.close();
    for (const p of procs.reverse()) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Until the master reports its slave connected (haConnectedSlaves >= 1), instead of guessing with a sleep. */
async function waitForSlave(runtimeInfo: () => Promise<Record<string, string>>, role: string): Promise<void> {
  await waitFor(`${role}: the slave to connect (haConnectedSlaves >= 1)`, async (note) => {
    const connected = Number((await runtimeInfo()).haConnectedSlaves ?? 0);
    note(`haConnectedSlaves=${connected}`);
    return connected >= 1;
  }, 30_000);
}

const sync = await run('SYNC_MASTER');
const async_ = await run('ASYNC_MASTER');
const rows = [['mode', 'send TPS', 'max slave lag (bytes)', 'SLAVE_NOT_AVAILABLE'],
  ...[sync, async_].map((r) => [r.role, r.tps.toFixed(0), String(r.maxLag), String(r.slaveNotAvailable)])];
printTable(rows);
console.log(`\n${values.count} messages of ${values.size} B, async window ${values.concurrency}, one slave each`);
const invalid = [sync, async_].filter((r) => r.slaveNotAvailable > 0);
if (invalid.length) {
  // Those sends were answered without waiting for a slave, so the rate is not a replication rate.
  console.log(`INVALID run, not scored: ${invalid.map((r) => `${r.role} got ${r.slaveNotAvailable} SLAVE_NOT_AVAILABLE answers`).join('; ')}`);
  process.exitCode = 1;
} else {
  console.log(`SYNC_MASTER / ASYNC_MASTER send TPS ratio: ${(sync.tps / async_.tps).toFixed(3)} (goal >= 0.95)`);
}
