import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ClientError, Producer, PushConsumer } from '../../src/client/index.ts';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig } from '../../src/broker/broker-config.ts';
import { NamesrvController } from '../../src/namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig } from '../../src/namesrv/namesrv-config.ts';
import { parseSamples, sampleSum, scrapeMetrics } from '../../src/harness/prometheus-text.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { signRequest } from '../../src/protocol/request-signature.ts';
import { capturedLog } from '../support/captured-log.ts';

// A namesrv and a broker with authentication on: the broker registers with its inner credentials, clients sign
// with theirs; unsigned and wrongly signed requests are refused with NO_PERMISSION, logged and counted.
const ADMIN = { accessKey: 'tern-admin', secretKey: 'admin-secret-1' };
const AUTH = {
  authenticationEnabled: true,
  initAuthenticationUser: JSON.stringify({ username: ADMIN.accessKey, password: ADMIN.secretKey }),
  innerClientAuthenticationCredentials: JSON.stringify(ADMIN),
} as const;
const PROM = { metricsExporterType: 'PROM', metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: 0 } as const;

const storeDir = tempDir('tern-auth-');
const brokerLog = capturedLog('broker', 'info');
let namesrv: NamesrvController;
let broker: BrokerController;
let namesrvAddr: string;
const raw = new RemotingClient({ logger: capturedLog().log });

beforeAll(async () => {
  namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: 0, bindAddress: '127.0.0.1', ...AUTH }, capturedLog('namesrv').log);
  await namesrv.start();
  namesrvAddr = `127.0.0.1:${namesrv.port}`;
  broker = new BrokerController({
    ...defaultBrokerConfig(), brokerName: 'broker-a', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0,
    namesrvAddr, storePathRootDir: storeDir, mappedFileSizeCommitLog: 64 * 1024 * 1024, ...AUTH, ...PROM,
  }, brokerLog.log);
  await broker.start();
});
afterAll(async () => {
  await raw.close();
  await broker.shutdown();
  await namesrv.shutdown();
  fs.rmSync(storeDir, { recursive: true, force: true });
});

const refusedCount = async () =>
  sampleSum(parseSamples(await scrapeMetrics(broker.metricsPort!)), 'tern_requests_refused_total', { reason: 'NO_PERMISSION' }) ?? 0;

describe('authentication (AclClientRPCHook signatures)', { timeout: 60_000 }, () => {
  it('a signed producer and consumer work end to end, through the namesrv the broker registered with', async () => {
    const admin = new Admin({ namesrvAddr, credentials: ADMIN });
    const producer = new Producer({ namesrvAddr, group: 'auth-producer', credentials: ADMIN });
    const consumer = new PushConsumer({ namesrvAddr, group: 'auth-group', consumeFrom: 'first', credentials: ADMIN });
    try {
      await waitFor('the broker to register', () => admin.masterAddresses().then((a) => a.length > 0, () => false), 10_000);
      await admin.createTopic('auth-topic');
      await producer.start();
      for (let i = 0; i < 10; i++) expect((await producer.send({ topic: 'auth-topic', body: Buffer.from(`m${i}`) })).status).toBe('SEND_OK');
      const received = new Set<string>();
      consumer.subscribe('auth-topic', '*');
      consumer.onMessage((msgs) => { for (const m of msgs) received.add(m.body.toString()); });
      await consumer.start();
      await waitFor('all 10 messages', () => received.size === 10, 20_000);
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
      await admin.shutdown();
    }
  });

  it('unsigned requests are refused with NO_PERMISSION and a remark, logged with the peer address, and counted', async () => {
    const before = await refusedCount();
    const response = await raw.invoke(broker.brokerAddr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    expect(response.code).toBe(ResponseCode.NO_PERMISSION);
    expect(response.remark).toMatch(/not signed \(no AccessKey\)/);
    const line = brokerLog.lines.find((l) => /authentication refused GET_BROKER_RUNTIME_INFO from 127\.0\.0\.1:\d+/.test(l.msg));
    expect(line?.level).toBe('warn');
    expect(await refusedCount()).toBe(before + 1);

    const fromNamesrv = await raw.invoke(namesrvAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
    expect(fromNamesrv.code).toBe(ResponseCode.NO_PERMISSION);
  });

  it('a wrong secret, an unknown user and a request changed after signing are refused', async () => {
    const wrong = await raw.invoke(broker.brokerAddr, signRequest(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), { ...ADMIN, secretKey: 'nope' }));
    expect([wrong.code, wrong.remark]).toEqual([ResponseCode.NO_PERMISSION, `signature check failed for user ${ADMIN.accessKey}: wrong SecretKey, or the request was changed after signing`]);
    const unknown = await raw.invoke(broker.brokerAddr, signRequest(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), { accessKey: 'ghost', secretKey: 'x' }));
    expect([unknown.code, unknown.remark]).toEqual([ResponseCode.NO_PERMISSION, 'user ghost is not found']);
    const signed = signRequest(createRequest(RequestCode.GET_MAX_OFFSET, { topic: 'auth-topic', queueId: 0 }), ADMIN);
    const changed = await raw.invoke(broker.brokerAddr, { ...signed, extFields: { ...signed.extFields, queueId: '1' } });
    expect(changed.code).toBe(ResponseCode.NO_PERMISSION);
    expect((await raw.invoke(broker.brokerAddr, signed)).code).toBe(ResponseCode.SUCCESS);

    const producer = new Producer({ namesrvAddr, group: 'wrong-producer', credentials: { ...ADMIN, secretKey: 'nope' } });
    await producer.start();
    try {
      const err = await producer.send({ topic: 'auth-topic', body: Buffer.from('x') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClientError);
      expect((err as ClientError).message).toMatch(/signature check failed/);
    } finally {
      await producer.shutdown();
    }
  });

  it('users.json in the broker\'s config folder is re-read when it changes: added, disabled, removed', async () => {
    const bob = { accessKey: 'bob', secretKey: 'bob-secret' };
    const ask = () => raw.invoke(broker.brokerAddr, signRequest(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), bob));
    expect((await ask()).remark).toBe('user bob is not found');
    const file = path.join(storeDir, 'config', 'users.json');
    const write = (users: unknown) => fs.writeFileSync(file, JSON.stringify(users));
    write([{ username: 'bob', password: bob.secretKey, userType: 'Normal' }]);
    await waitFor('bob to be accepted', async () => (await ask()).code === ResponseCode.SUCCESS, 10_000);
    write([{ username: 'bob', password: bob.secretKey, userStatus: 'disable' }]);
    await waitFor('bob to be disabled', async () => (await ask()).remark === 'user bob is disabled', 10_000);
    fs.writeFileSync(file, '[{"username": "bob", "passw');
    await waitFor('the bad file to be reported', () => brokerLog.lines.some((l) => l.level === 'error' && /users\.json ignored, keeping what was read before/.test(l.msg)), 10_000);
    expect((await ask()).remark).toBe('user bob is disabled');
    write([]);
    await waitFor('bob to be removed', async () => (await ask()).remark === 'user bob is not found', 10_000);
    // The initial user stays whatever users.json says.
    expect((await raw.invoke(broker.brokerAddr, signRequest(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), ADMIN))).code).toBe(ResponseCode.SUCCESS);
  });
});
