import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, PushConsumer } from '../../src/client/index.ts';
import { REQUEST_GRANTS } from '../../src/auth/request-grants.ts';
import { parseAcls } from '../../src/auth/acl-policies.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { signRequest } from '../../src/protocol/request-signature.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

// aclEnable (authentication + authorization) with ACL 2.0 users and policies in the broker's config folder.
const ROOT = { accessKey: 'root', secretKey: 'root-secret' };
const ALICE = { accessKey: 'alice', secretKey: 'alice-secret' };
const AUTH = {
  aclEnable: true,
  initAuthenticationUser: JSON.stringify({ username: ROOT.accessKey, password: ROOT.secretKey }),
  innerClientAuthenticationCredentials: JSON.stringify(ROOT),
} as const;
const aliceAcl = (ipOnlyRange: string) => [{
  subject: 'User:alice',
  policies: [{
    policyType: 'Custom',
    entries: [
      { resource: ['Topic:orders-*', 'Group:g-alice'], actions: ['Pub', 'Sub'], decision: 'Allow' },
      { resource: ['Topic:orders-secret'], actions: ['Pub'], decision: 'Deny' },
      { resource: ['Topic:ip-only'], actions: ['Pub'], sourceIps: [ipOnlyRange], decision: 'Allow' },
    ],
  }],
}];

let cluster: LocalCluster;
let admin: Admin;
const raw = new RemotingClient({ logger: createLogger('test') });
const configDir = () => path.join(cluster.storeDir, 'config');
const send = (topic: string, who = ALICE) => raw.invoke(cluster.brokerAddr, signRequest(createRequest(RequestCode.SEND_MESSAGE_V2, {
  a: 'alice-producer', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: encodeProperties({}), m: false,
}, Buffer.from('x')), who));

beforeAll(async () => {
  // The namesrv reads the same users and policies as the broker.
  const storeDir = tempDir('tern-acl-');
  cluster = await startLocalCluster({ ...AUTH, storePathRootDir: storeDir }, { ...AUTH, authConfigPath: path.join(storeDir, 'config') });
  fs.writeFileSync(path.join(configDir(), 'users.json'), JSON.stringify([{ username: 'alice', password: ALICE.secretKey, userType: 'Normal' }]));
  fs.writeFileSync(path.join(configDir(), 'acls.json'), JSON.stringify(aliceAcl('10.0.0.0/8')));
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr, credentials: ROOT });
  await waitFor('the broker to register', () => admin.masterAddresses().then((a) => a.length > 0, () => false), 10_000);
  for (const t of ['orders-1', 'orders-secret', 'other', 'ip-only']) await admin.createTopic(t);
  await waitFor('alice to be known', async () => (await send('orders-1')).code === ResponseCode.SUCCESS, 10_000);
});
afterAll(async () => {
  await raw.close();
  await admin.shutdown();
  await cluster.stop();
});

describe('authorization (ACL 2.0 users and policies)', { timeout: 60_000 }, () => {
  it('every request code Tern knows is either public or says what it needs', () => {
    const missing = Object.entries(RequestCode).filter(([, code]) => REQUEST_GRANTS[code] === undefined).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('a prefix grant allows Pub; another topic is refused; Deny wins over Allow', async () => {
    expect((await send('orders-1')).code).toBe(ResponseCode.SUCCESS);
    const other = await send('other');
    expect([other.code, other.remark]).toEqual([ResponseCode.NO_PERMISSION, 'user alice has no grant of Pub on Topic:other from 127.0.0.1']);
    const secret = await send('orders-secret');
    expect([secret.code, secret.remark]).toEqual([ResponseCode.NO_PERMISSION, 'user alice is denied Pub on Topic:orders-secret from 127.0.0.1']);
    expect((await send('other', ROOT)).code).toBe(ResponseCode.SUCCESS);
  });

  it('a consumer with Sub on the topic and its group receives; another group is refused', async () => {
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'alice-producer', credentials: ALICE });
    await producer.start();
    const consumer = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'g-alice', consumeFrom: 'first', credentials: ALICE });
    try {
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'orders-1', body: Buffer.from(`alice-${i}`) });
      const got = new Set<string>();
      consumer.subscribe('orders-1', '*');
      consumer.onMessage((msgs) => { for (const m of msgs) got.add(m.body.toString()); });
      await consumer.start();
      await waitFor('alice\'s 5 messages', () => ['0', '1', '2', '3', '4'].every((i) => got.has(`alice-${i}`)), 20_000);
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
    const pull = await raw.invoke(cluster.brokerAddr, signRequest(createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'g-bob', topic: 'orders-1', queueId: 0 }), ALICE));
    expect([pull.code, pull.remark]).toEqual([ResponseCode.NO_PERMISSION, 'user alice has no grant of Sub or Get on Group:g-bob from 127.0.0.1']);
  });

  it('admin requests need an admin grant: a normal user cannot create or delete topics, reset offsets or change config', async () => {
    const alice = new Admin({ namesrvAddr: cluster.namesrvAddr, credentials: ALICE });
    try {
      await expect(alice.createTopic('orders-new')).rejects.toThrow(/has no grant of Create or Update on Topic:orders-new/);
      await expect(alice.deleteTopic('orders-1')).rejects.toThrow(/has no grant of Delete on Topic:orders-1/);
      await expect(alice.updateBrokerConfig(cluster.brokerAddr, { brokerPermission: 4 })).rejects.toThrow(/has no grant of Update on Cluster:\*/);
      await expect(alice.resetOffsetByTime('g-alice', 'orders-1', Date.now())).rejects.toThrow(/has no grant of Update on Topic:orders-1/);
    } finally {
      await alice.shutdown();
    }
  });

  it('source IP ranges: refused from outside the range, allowed once acls.json (re-read on change) includes it', async () => {
    expect((await send('ip-only')).remark).toBe('user alice has no grant of Pub on Topic:ip-only from 127.0.0.1');
    fs.writeFileSync(path.join(configDir(), 'acls.json'), JSON.stringify(aliceAcl('127.0.0.0/8')));
    await waitFor('the new range to apply', async () => (await send('ip-only')).code === ResponseCode.SUCCESS, 10_000);
  });

  it('acls.json is checked: bad resources, actions and IP ranges are named', () => {
    const entry = (e: object) => JSON.stringify([{ subject: 'User:x', policies: [{ entries: [{ resource: ['Topic:t'], actions: ['Pub'], ...e }] }] }]);
    expect(() => parseAcls(entry({ resource: ['Queue:t'] }))).toThrow(/resource "Queue:t" is not/);
    expect(() => parseAcls(entry({ actions: ['Publish'] }))).toThrow(/action "Publish" is not one of/);
    expect(() => parseAcls(entry({ sourceIps: ['10.0.0.0/40'] }))).toThrow(/bad prefix length/);
    expect(() => parseAcls(entry({ sourceIps: ['ten'] }))).toThrow(/not an IP address/);
    expect(() => parseAcls('[{"subject":"bob","policies":[]}]')).toThrow(/subject must be User:NAME/);
  });
});
