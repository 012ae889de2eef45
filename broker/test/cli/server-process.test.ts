import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { spawnTern, waitForBrokerRegistered, waitForListening, type RunningProcess } from '../support/processes.ts';
import { freePort } from '../../src/harness/free-port.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const running: RunningProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

function writeConf(dir: string, lines: string[]): string {
  const file = path.join(dir, 'broker.conf');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('tern namesrv / broker processes', () => {
  it('refuses a bad config value, naming the key', async () => {
    const dir = tempDir();
    const p = spawnTern(['broker', '-c', writeConf(dir, ['listenPort=ten-thousand'])]);
    expect(await p.exited).not.toBe(0);
    expect(p.output()).toMatch(/listenPort/);
    expect(p.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    const q = spawnTern(['broker', '-c', writeConf(dir, ['brokerRole=MASTER'])]);
    expect(await q.exited).not.toBe(0);
    expect(q.output()).toMatch(/brokerRole.*ASYNC_MASTER, SYNC_MASTER, SLAVE/);
  });

  it('refuses a bad DLedger membership before opening a store, naming the key', async () => {
    const dir = tempDir();
    const store = path.join(dir, 'store');
    const p = spawnTern(['broker', '-c', writeConf(dir, [
      'brokerName=broker-r', `storePathRootDir=${store}`, 'enableDLegerCommitLog=true', 'dLegerGroup=broker-r',
      'dLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1', 'dLegerSelfId=n0',
    ])]);
    running.push(p);
    expect(await p.exited, p.output()).not.toBe(0);
    expect(p.output()).toMatch(/dLegerPeers has "n1-127.0.0.1", expected n<k>-host:port/);
    expect(p.output()).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(store)).toBe(false);
    const q = spawnTern(['broker', '-c', writeConf(dir, ['brokerName=broker-r', `storePathRootDir=${store}`,
      'dLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912', 'dLegerSelfId=n5'])]);
    running.push(q);
    expect(await q.exited, q.output()).not.toBe(0);
    expect(q.output()).toMatch(/dLegerSelfId "n5" is not among the ids of dLegerPeers \(n0, n1\)/);
    expect(fs.existsSync(store)).toBe(false);
  });

  it('runs a broker from broker.conf, survives hostile clients, and stops gracefully on SIGTERM', async () => {
    const dir = tempDir();
    const nsPort = await freePort();
    const brokerPort = await freePort();
    const ns = spawnTern(['namesrv', '-p', String(nsPort)]);
    running.push(ns);
    await waitForListening(ns, nsPort);
    const conf = writeConf(dir, [
      'brokerClusterName=TestCluster', 'brokerName=broker-x', 'brokerId=0', 'brokerRole=ASYNC_MASTER', 'flushDiskType=SYNC_FLUSH',
      `listenPort=${brokerPort}`, `haListenPort=${await freePort()}`, `namesrvAddr=127.0.0.1:${nsPort}`, `storePathRootDir=${dir}/store`, 'brokerIP1=127.0.0.1',
      'mappedFileSizeCommitLog=1048576', 'someFutureKey=1',
    ]);
    const broker = spawnTern(['broker', '-c', conf], { TERN_LOG_LEVEL: 'info' });
    running.push(broker);
    await waitForListening(broker, brokerPort);
    expect(broker.output()).toMatch(/unknown config key 'someFutureKey'/);

    const client = new RemotingClient({ logger: createLogger('test') });
    await waitForBrokerRegistered(`127.0.0.1:${nsPort}`, 'broker-x');
    const cluster = JSON.parse((await client.invoke(`127.0.0.1:${nsPort}`, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO))).body!.toString());
    expect(cluster.clusterAddrTable).toEqual({ TestCluster: ['broker-x'] });

    // Hostile peers: a 100 MB length and garbage; the broker closes them and keeps serving.
    for (const bytes of [Buffer.from([0x06, 0x40, 0, 0, 0, 0, 0, 0]), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]) {
      const s = net.connect(brokerPort, '127.0.0.1');
      s.on('error', () => {});
      s.write(bytes);
      await new Promise<void>((resolve) => s.on('close', () => resolve()));
    }
    const send = await client.invoke(`127.0.0.1:${brokerPort}`, createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: 'pg', b: 'proc-topic', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', m: false,
    }, Buffer.from('still serving')));
    expect(send.code).toBe(ResponseCode.SUCCESS);
    expect(broker.output()).toMatch(/closing .*declared frame length/);

    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    expect(broker.output()).toMatch(/broker stopped/);
    await waitFor('the stopped broker gone from the name server', async () => {
      const after = JSON.parse((await client.invoke(`127.0.0.1:${nsPort}`, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO))).body!.toString());
      return Object.keys(after.clusterAddrTable).length === 0;
    }, 5000);
    await client.close();
    ns.child.kill('SIGTERM');
    expect(await ns.exited).toBe(0);
  });
});
