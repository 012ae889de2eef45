import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { Admin } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { consumedKeys, runJava } from '../support/java-interop.ts';
import { parseSamples, sampleSum, scrapeMetrics } from '../../src/harness/prometheus-text.ts';

// The official Java client 5.3.3 with AclClientRPCHook against a Tern namesrv + broker with authentication on
// (and, for the broker's own refusal, a namesrv without it).
const USER = { accessKey: 'java-user', secretKey: 'java-secret-1' };
const AUTH = {
  authenticationEnabled: true,
  initAuthenticationUser: JSON.stringify({ username: USER.accessKey, password: USER.secretKey }),
  innerClientAuthenticationCredentials: JSON.stringify(USER),
} as const;
const PROM = { metricsExporterType: 'PROM', metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: 0 } as const;
let cluster: LocalCluster;
const namesrvRefusals = async () =>
  sampleSum(parseSamples(await scrapeMetrics(cluster.namesrv.metricsPort!)), 'tern_requests_refused_total', { reason: 'NO_PERMISSION' }) ?? 0;

beforeAll(async () => {
  cluster = await startLocalCluster(AUTH, { ...AUTH, ...PROM });
});
afterAll(() => cluster.stop());

describe('official Java client with AclClientRPCHook against Tern', { timeout: 120_000 }, () => {
  it('signed with the right secret: 200 messages sent and all consumed', async () => {
    const keys = ['--access-key', USER.accessKey, '--secret-key', USER.secretKey];
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-acl', '-c', '200', '--mode', 'sync', '--key-prefix', 'acl-', ...keys]);
    expect(produced.stdout, produced.stderr).toMatch(/SENT ok=200 failed=0/);
    const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', 'java-acl', '-g', 'java-acl-group', '-c', '200', ...keys]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(new Set(consumedKeys(consumed.stdout)).size).toBe(200);
  });

  it('signed with binary (ROCKETMQ) headers too', async () => {
    const keys = ['--access-key', USER.accessKey, '--secret-key', USER.secretKey];
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-acl-bin', '-c', '20', '--mode', 'sync', '--key-prefix', 'bin-', ...keys],
      { javaOpts: '-Drocketmq.serialize.type=ROCKETMQ' });
    expect(produced.stdout, produced.stderr).toMatch(/SENT ok=20 failed=0/);
  });

  it('a wrong secret is refused by the namesrv: the client finds no route', async () => {
    const refusedBefore = await namesrvRefusals();
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-acl', '-c', '1', '--mode', 'sync',
      '--access-key', USER.accessKey, '--secret-key', 'wrong-secret']);
    expect(produced.code).not.toBe(0);
    expect(produced.stderr).toMatch(/No route info of this topic: java-acl/);
    expect(await namesrvRefusals()).toBeGreaterThan(refusedBefore);
  });

  it('a wrong secret or no signature at all is refused by the broker with NO_PERMISSION and the reason', async () => {
    const open = await startLocalCluster(AUTH);
    try {
      const wrong = await runJava(['produce', '-n', open.namesrvAddr, '-t', 'java-acl', '-c', '1', '--mode', 'sync',
        '--access-key', USER.accessKey, '--secret-key', 'wrong-secret']);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout).toMatch(/SENT ok=0 failed=1/);
      expect(wrong.stderr).toMatch(/CODE: 16\b[\s\S]*signature check failed for user java-user/);
      const unsigned = await runJava(['produce', '-n', open.namesrvAddr, '-t', 'java-acl', '-c', '1', '--mode', 'sync']);
      expect(unsigned.stdout).toMatch(/SENT ok=0 failed=1/);
      expect(unsigned.stderr).toMatch(/CODE: 16\b[\s\S]*not signed/);
    } finally {
      await open.stop();
    }
  });

  it('with aclEnable, a user holding Sub but not Pub on the topic is refused the send by the broker', async () => {
    const storeDir = tempDir('tern-java-acl-');
    const config = path.join(storeDir, 'config');
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(path.join(config, 'users.json'), JSON.stringify([{ username: 'reader', password: 'reader-secret', userType: 'Normal' }]));
    fs.writeFileSync(path.join(config, 'acls.json'), JSON.stringify([{
      subject: 'User:reader', policies: [{ policyType: 'Custom', entries: [{ resource: ['Topic:java-acl-*'], actions: ['Sub'], decision: 'Allow' }] }],
    }]));
    const acl = { ...AUTH, aclEnable: true };
    const secured = await startLocalCluster({ ...acl, storePathRootDir: storeDir }, { ...acl, authConfigPath: config });
    const admin = new Admin({ namesrvAddr: secured.namesrvAddr, credentials: USER });
    try {
      await waitFor('the broker to register', () => admin.masterAddresses().then((a) => a.length > 0, () => false), 10_000);
      await admin.createTopic('java-acl-ro');
      const produced = await runJava(['produce', '-n', secured.namesrvAddr, '-t', 'java-acl-ro', '-c', '1', '--mode', 'sync',
        '--access-key', 'reader', '--secret-key', 'reader-secret']);
      expect(produced.stdout).toMatch(/SENT ok=0 failed=1/);
      expect(produced.stderr).toMatch(/CODE: 16\b[\s\S]*user reader has no grant of Pub on Topic:java-acl-ro/);
    } finally {
      await admin.shutdown();
      await secured.stop();
    }
  });
});
