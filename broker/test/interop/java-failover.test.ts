import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode } from '../../src/remoting/index.ts';
import { consumedKeys, runJava } from '../support/java-interop.ts';
import { spawnTern, waitForBrokerRegistered, waitForListening, type RunningProcess } from '../support/processes.ts';
import { freePort } from '../../src/harness/free-port.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const running: RunningProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

describe('official Java client and a dying master (real processes)', () => {
  it('DefaultMQPushConsumer reads everything from the slave after the master is killed', async () => {
    const dir = tempDir('tern-java-failover-');
    const nsPort = await freePort();
    const ns = spawnTern(['namesrv', '-p', String(nsPort)]);
    running.push(ns);
    await waitForListening(ns, nsPort);
    const namesrvAddr = `127.0.0.1:${nsPort}`;
    const ports: number[] = [];
    const brokers: RunningProcess[] = [];
    for (const [id, role] of [[0, 'SYNC_MASTER'], [1, 'SLAVE']] as const) {
      const port = await freePort();
      ports.push(port);
      const conf = path.join(dir, `b${id}.conf`);
      fs.writeFileSync(conf, [`brokerName=broker-j`, `brokerId=${id}`, `brokerRole=${role}`, `listenPort=${port}`, `haListenPort=${await freePort()}`,
        `namesrvAddr=${namesrvAddr}`, `storePathRootDir=${dir}/s${id}`, 'brokerIP1=127.0.0.1', 'registerNameServerPeriod=2000', 'slaveSyncInterval=1000'].join('\n'));
      const b = spawnTern(['broker', '-c', conf]);
      running.push(b);
      brokers.push(b);
      await waitForListening(b, port);
      await waitForBrokerRegistered(namesrvAddr, 'broker-j', id);
    }
    const raw = new RemotingClient({ logger: createLogger('test') });
    const info = async (port: number) => JSON.parse((await raw.invoke(`127.0.0.1:${port}`, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).body!.toString()).table;
    await waitFor('the slave connected to the master', async () => (await info(ports[0]!)).haConnectedSlaves === '1', 10_000);

    const ackLog = path.join(dir, 'acks');
    const produced = await runJava(['produce', '-n', namesrvAddr, '-t', 'java-failover', '-c', '1000', '--mode', 'sync', '--ack-log', ackLog, '--key-prefix', 'jf-']);
    expect(produced.stdout, produced.stderr).toMatch(/SENT ok=1000 failed=0/);
    // Sync replication: everything acknowledged is on the slave already.
    expect(Number((await info(ports[0]!)).haSlaveLagBytes)).toBe(0);
    await raw.close();

    brokers[0]!.child.kill('SIGKILL');
    await brokers[0]!.exited;
    const consumed = await runJava(['consume', '-n', namesrvAddr, '-t', 'java-failover', '-g', 'java-after-master', '-c', '1000', '--timeout-ms', '90000']);
    expect(consumed.code, consumed.stderr.slice(-2000)).toBe(0);
    const acked = fs.readFileSync(ackLog, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]!);
    expect(new Set(consumedKeys(consumed.stdout))).toEqual(new Set(acked));
  }, 180_000);
});
