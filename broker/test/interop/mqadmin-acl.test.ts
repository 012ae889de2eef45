import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/index.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { BROKER_ROOT } from '../support/processes.ts';

// Apache RocketMQ's mqadmin 5.3.3 drives Tern's ACL 2.0 admin requests (AUTH_CREATE_USER 3001 ... AUTH_LIST_ACL 3010);
// what it does must land in the broker's users.json and acls.json and take effect.
const run = promisify(execFile);
const MQADMIN = path.resolve(BROKER_ROOT, '../scripts/mqadmin.sh');
const ADMIN = { accessKey: 'root', secretKey: 'root-secret-1' };
const AUTH = {
  aclEnable: true,
  initAuthenticationUser: JSON.stringify({ username: ADMIN.accessKey, password: ADMIN.secretKey }),
  innerClientAuthenticationCredentials: JSON.stringify(ADMIN),
} as const;
let cluster: LocalCluster;
let configDir: string;
const homes = { admin: tempDir('tern-mqadmin-root-'), normal: tempDir('tern-mqadmin-normal-') };

/** A mqadmin home whose conf/tools.yml makes it sign as this user. */
function signAs(home: string, accessKey: string, secretKey: string): void {
  fs.mkdirSync(path.join(home, 'conf'), { recursive: true });
  fs.writeFileSync(path.join(home, 'conf', 'tools.yml'), `accessKey: ${accessKey}\nsecretKey: ${secretKey}\n`);
}

/** mqadmin exits 0 even when a command fails: the output tells. */
async function mqadmin(home: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(MQADMIN, args, { env: { ...process.env, MQADMIN_HOME: home }, timeout: 90_000 });
    return `${stdout}\n${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ''}\n${e.stderr ?? ''}\n${e.message}`;
  }
}

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(configDir, file), 'utf8'));

beforeAll(async () => {
  const storeDir = tempDir('tern-mqadmin-acl-');
  configDir = path.join(storeDir, 'config');
  // The namesrv keeps no users.json (only initAuthenticationUser): it runs open here so alice's routes come back.
  cluster = await startLocalCluster({ ...AUTH, storePathRootDir: storeDir });
  signAs(homes.admin, ADMIN.accessKey, ADMIN.secretKey);
});
afterAll(async () => {
  await cluster.stop();
  for (const h of Object.values(homes)) fs.rmSync(h, { recursive: true, force: true });
});

describe('mqadmin user and ACL commands against Tern', { timeout: 300_000 }, () => {
  it('createUser, updateUser, getUser, listUser write and read users.json', async () => {
    const b = ['-b', cluster.brokerAddr];
    expect(await mqadmin(homes.admin, ['createUser', ...b, '-u', 'alice', '-p', 'alice-secret', '-t', 'Normal'])).toMatch(/create user to .* success/);
    expect(readJson('users.json')).toEqual([{ username: 'alice', password: 'alice-secret', userType: 'Normal', userStatus: 'enable' }]);
    expect(await mqadmin(homes.admin, ['createUser', ...b, '-u', 'alice', '-p', 'x'])).toMatch(/The user is existed/);
    expect(await mqadmin(homes.admin, ['updateUser', ...b, '-u', 'alice', '-p', 'alice-secret-2'])).toMatch(/update user to .* success/);
    expect(readJson('users.json')).toEqual([{ username: 'alice', password: 'alice-secret-2', userType: 'Normal', userStatus: 'enable' }]);
    const got = await mqadmin(homes.admin, ['getUser', ...b, '-u', 'alice']);
    expect(got).toMatch(/alice\s+alice-secret-2\s+Normal\s+enable/);
    const listed = await mqadmin(homes.admin, ['listUser', ...b]);
    expect(listed).toMatch(/root\s+root-secret-1\s+Super/);
    expect(listed).toMatch(/alice\s+alice-secret-2\s+Normal/);
  });

  it('createAcl, updateAcl, getAcl, listAcl write acls.json, and the grant takes effect at once', async () => {
    const b = ['-b', cluster.brokerAddr];
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'alice-producer', credentials: { accessKey: 'alice', secretKey: 'alice-secret-2' } });
    await producer.start();
    try {
      // alice exists now but holds no grant: the broker refuses her send until mqadmin gives her one.
      expect(await mqadmin(homes.admin, ['updateTopic', ...b, '-t', 'acl-orders'])).toMatch(/create topic to .* success/);
      await expect(producer.send({ topic: 'acl-orders', body: Buffer.from('x') })).rejects.toThrow(/no grant of Pub/);
      expect(await mqadmin(homes.admin, ['createAcl', ...b, '-s', 'User:alice', '-r', 'Topic:acl-*', '-a', 'Pub', '-d', 'Allow'])).toMatch(/create acl to .* success/);
      expect(readJson('acls.json')).toEqual([{ subject: 'User:alice', policies: [{ policyType: 'Custom', entries: [
        { resource: ['Topic:acl-*'], actions: ['Pub'], sourceIps: [], decision: 'Allow' }] }] }]);
      expect((await producer.send({ topic: 'acl-orders', body: Buffer.from('x') })).status).toBe('SEND_OK');
      expect(await mqadmin(homes.admin, ['updateAcl', ...b, '-s', 'User:alice', '-r', 'Topic:acl-*,Group:alice-*', '-a', 'Pub,Sub', '-d', 'Allow']))
        .toMatch(/update acl to .* success/);
      const got = await mqadmin(homes.admin, ['getAcl', ...b, '-s', 'User:alice']);
      expect(got).toMatch(/User:alice\s+Custom\s+Topic:acl-\*\s+\[Pub, Sub\]/);
      expect(got).toMatch(/User:alice\s+Custom\s+Group:alice-\*/);
      const listed = await mqadmin(homes.admin, ['listAcl', ...b, '-r', 'Group:']);
      expect(listed).toMatch(/Group:alice-\*/);
      expect(listed).not.toMatch(/Topic:acl-\*/);
    } finally {
      await producer.shutdown();
    }
  });

  it('deleteAcl and deleteUser remove what they name; a normal user may not use any of these commands', async () => {
    const b = ['-b', cluster.brokerAddr];
    expect(await mqadmin(homes.admin, ['deleteAcl', ...b, '-s', 'User:alice', '-r', 'Group:alice-*'])).toMatch(/delete acl to .* success/);
    expect(JSON.stringify(readJson('acls.json'))).not.toMatch(/Group:alice/);
    signAs(homes.normal, 'alice', 'alice-secret-2');
    expect(await mqadmin(homes.normal, ['listUser', ...b])).toMatch(/CODE: 16[\s\S]*super users only/);
    expect(await mqadmin(homes.normal, ['createUser', ...b, '-u', 'mallory', '-p', 'm', '-t', 'Super'])).toMatch(/CODE: 16/);
    expect(await mqadmin(homes.admin, ['deleteUser', ...b, '-u', 'alice'])).toMatch(/delete user to .* success/);
    expect(readJson('users.json')).toEqual([]);
    expect(readJson('acls.json')).toEqual([]);
  });
});
