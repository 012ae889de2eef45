import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTern, waitForBrokerRegistered, waitForListening, type RunningProcess } from '../support/processes.ts';
import { freePort } from '../../src/harness/free-port.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { Admin } from '../../src/client/index.ts';

const running: RunningProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

/** namesrv + master + slave as real processes; returns the namesrv address and the master process. */
async function startGroup(role: 'SYNC_MASTER' | 'ASYNC_MASTER') {
  const dir = tempDir(`tern-failover-${role}-`);
  const nsPort = await freePort();
  const ns = spawnTern(['namesrv', '-p', String(nsPort)]);
  running.push(ns);
  await waitForListening(ns, nsPort);
  const namesrvAddr = `127.0.0.1:${nsPort}`;
  const start = async (id: number, brokerRole: string) => {
    const port = await freePort();
    const conf = path.join(dir, `broker-${id}.conf`);
    fs.writeFileSync(conf, [
      'brokerName=broker-f', `brokerId=${id}`, `brokerRole=${brokerRole}`, `listenPort=${port}`, `haListenPort=${await freePort()}`,
      `namesrvAddr=${namesrvAddr}`, `storePathRootDir=${dir}/store-${id}`, 'brokerIP1=127.0.0.1', 'mappedFileSizeCommitLog=16777216',
      'registerNameServerPeriod=2000', 'slaveSyncInterval=1000',
    ].join('\n'));
    const p = spawnTern(['broker', '-c', conf]);
    running.push(p);
    await waitForListening(p, port);
    await waitForBrokerRegistered(namesrvAddr, 'broker-f', id);
    return { p, addr: `127.0.0.1:${port}` };
  };
  const master = await start(0, role);
  const slave = await start(1, 'SLAVE');
  // The slave learns its master from the namesrv and connects; failover is only meaningful once it has.
  const admin = new Admin({ namesrvAddr });
  try {
    await waitFor('the slave connected to the master', async () => (await admin.brokerRuntimeInfo(master.addr)).haConnectedSlaves === '1', 15_000);
  } finally {
    await admin.shutdown();
  }
  return { dir, namesrvAddr, master: master.p, slave: slave.p };
}

async function killMasterDuringProduce(role: 'SYNC_MASTER' | 'ASYNC_MASTER') {
  const g = await startGroup(role);
  // Several producers, each with its own ack log and keys.
  const ackLogs = [0, 1, 2].map((i) => path.join(g.dir, `acks-${i}.txt`));
  const producers = ackLogs.map((ackLog, i) => spawnTern(['produce', '-n', g.namesrvAddr, '-t', 'failover', '--count', '1000000',
    '--size', '256', '--sync', '--concurrency', '8', '--key-prefix', `p${i}-`, '--ack-log', ackLog, '--timeout', '3000']));
  running.push(...producers);
  const ackedBytes = () => ackLogs.reduce((n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
  // Kill the master once a good number of sends were acknowledged.
  await waitFor('300 kB of acknowledged sends', (note) => {
    note(`${ackedBytes()} bytes of acks`);
    return ackedBytes() >= 300_000;
  }, 30_000, 50);
  g.master.child.kill('SIGKILL');
  await g.master.exited;
  for (const p of producers) p.child.kill('SIGTERM');
  await Promise.all(producers.map((p) => p.exited));
  const acked = new Set(ackLogs.flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '').split('\n').filter(Boolean).map((l) => l.split(' ')[1]!)));
  const consumer = spawnTern(['consume', '-n', g.namesrvAddr, '-t', 'failover', '-g', 'after-failover', '--from', 'first',
    '--idle-exit', '5', '--print', 'keys']);
  running.push(consumer);
  await consumer.exited;
  const consumed = new Set(consumer.output().split('\n').filter((l) => acked.has(l)));
  const lost = [...acked].filter((k) => !consumed.has(k));
  return { acked: acked.size, lost: lost.length, consumerOutput: consumer.output() };
}

describe('master killed with SIGKILL while producers send (real processes)', () => {
  it('SYNC_MASTER: every message acknowledged with SEND_OK is consumed from the slave', async () => {
    const r = await killMasterDuringProduce('SYNC_MASTER');
    console.log(`SYNC_MASTER: ${r.acked} acknowledged, ${r.lost} lost`);
    expect(r.acked).toBeGreaterThan(1000);
    expect(r.lost, r.consumerOutput.slice(-500)).toBe(0);
  }, 120_000);

  it('ASYNC_MASTER: reports how many acknowledged messages were lost', async () => {
    const r = await killMasterDuringProduce('ASYNC_MASTER');
    // Asynchronous replication promises no zero; the figure is the loss window, printed for the record.
    console.log(`ASYNC_MASTER: ${r.acked} acknowledged, ${r.lost} lost (${((100 * r.lost) / Math.max(1, r.acked)).toFixed(3)}%)`);
    expect(r.acked).toBeGreaterThan(1000);
  }, 120_000);
});
