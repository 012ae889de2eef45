import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../../src/broker/broker-config.ts';
import { Admin, Producer, type TlsClientSettings } from '../../src/client/index.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { NamesrvController } from '../../src/namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig } from '../../src/namesrv/namesrv-config.ts';
import { BROKER_ROOT, NODE } from '../support/processes.ts';
import { createCa, issueCertificate, type CertificateFiles } from '../support/test-certificates.ts';

const run = promisify(execFile);
const TERN_BIN = path.join(BROKER_ROOT, 'bin/tern.mjs');
const dir = tempDir('tern-tls-cluster-');
let ca: CertificateFiles;
let member: CertificateFiles;
let namesrvAddr: string;
const stops: Array<() => Promise<void>> = [];

/** Every port TLS only, client certificates required: a process without one can neither register nor replicate. */
function tlsKeys(): Record<string, string | boolean> {
  return {
    'tls.server.mode': 'enforcing', 'tls.server.certPath': member.cert, 'tls.server.keyPath': member.key,
    'tls.server.trustCertPath': ca.cert, 'tls.server.need.client.auth': 'require',
    'tls.enable': true, 'tls.client.authServer': true, 'tls.client.trustCertPath': ca.cert,
    'tls.client.certPath': member.cert, 'tls.client.keyPath': member.key,
  };
}

async function startBroker(over: Partial<BrokerConfig>): Promise<BrokerController> {
  const store = tempDir('tern-tls-broker-');
  const broker = new BrokerController({
    ...defaultBrokerConfig(), brokerName: 'broker-a', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0, namesrvAddr,
    storePathRootDir: store, mappedFileSizeCommitLog: 1024 * 1024, ...tlsKeys(), ...over,
  }, createLogger(`broker-${over.brokerId ?? 0}`));
  await broker.start();
  stops.push(async () => { await broker.shutdown(); fs.rmSync(store, { recursive: true, force: true }); });
  return broker;
}

const withCert = (): TlsClientSettings => ({ verifyServer: true, trustCertPath: ca.cert, certPath: member.cert, keyPath: member.key });
let master: BrokerController;
let slave: BrokerController;

beforeAll(async () => {
  ca = createCa(dir, 'ca');
  member = issueCertificate(dir, ca, 'member');
  const namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: 0, bindAddress: '127.0.0.1', ...tlsKeys() }, createLogger('namesrv'));
  await namesrv.start();
  stops.push(() => namesrv.shutdown());
  namesrvAddr = `127.0.0.1:${namesrv.port}`;
  master = await startBroker({ brokerId: 0, brokerRole: 'SYNC_MASTER' });
  slave = await startBroker({ brokerId: 1, brokerRole: 'SLAVE' });
}, 60_000);
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a cluster with TLS enforced on every port', { timeout: 60_000 }, () => {
  it('registers over TLS, replicates over TLS to the slave and serves a TLS producer', async () => {
    await waitFor('the slave to replicate from the master over TLS', () => (master.context.haMaster?.replicaInfo().length ?? 0) > 0, 15_000);
    const producer = new Producer({ namesrvAddr, group: 'tls-producer', tls: withCert() });
    await producer.start();
    try {
      // SYNC_MASTER: SEND_OK means the slave acknowledged the bytes through the HA port.
      const r = await producer.send({ topic: 'tls-topic', body: Buffer.from('over tls') });
      expect(r.status).toBe('SEND_OK');
    } finally {
      await producer.shutdown();
    }
    await waitFor('the slave to hold the message', () => slave.context.store.getCommitLogMaxOffset() === master.context.store.getCommitLogMaxOffset(), 10_000);
  });

  it('refuses a plain client and a TLS client without a certificate', async () => {
    const plain = new Admin({ namesrvAddr, requestTimeoutMs: 2000 });
    await expect(plain.topicRoute('tls-topic')).rejects.toThrow();
    await plain.shutdown();
    const noCert = new Admin({ namesrvAddr, requestTimeoutMs: 2000, tls: { verifyServer: true, trustCertPath: ca.cert } });
    await expect(noCert.topicRoute('tls-topic')).rejects.toThrow();
    await noCert.shutdown();
  });

  it('tern produce and consume take --tls-ca, --tls-cert and --tls-key', async () => {
    const tlsArgs = ['--tls-ca', ca.cert, '--tls-cert', member.cert, '--tls-key', member.key];
    const produced = await run(NODE, [TERN_BIN, 'produce', '-n', namesrvAddr, '-t', 'tls-cli', '--count', '3', ...tlsArgs], { cwd: BROKER_ROOT, timeout: 60_000 });
    expect(produced.stdout).toMatch(/\b3\b/);
    const consumed = await run(NODE, [TERN_BIN, 'consume', '-n', namesrvAddr, '-t', 'tls-cli', '-g', 'tls-cli-group', '--from', 'first',
      '--count', '3', '--print', 'bodies', ...tlsArgs], { cwd: BROKER_ROOT, timeout: 60_000 });
    expect(consumed.stdout.trim().split('\n')).toHaveLength(3);
    await expect(run(NODE, [TERN_BIN, 'admin', 'topicList', '-n', namesrvAddr], { cwd: BROKER_ROOT, timeout: 60_000 })).rejects.toThrow();
  });
});
