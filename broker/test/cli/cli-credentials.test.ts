import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { BROKER_ROOT, NODE } from '../support/processes.ts';

const run = promisify(execFile);
const TERN_BIN = path.join(BROKER_ROOT, 'bin/tern.mjs');
const USER = { accessKey: 'cli-user', secretKey: 'cli-secret' };
const AUTH = {
  authenticationEnabled: true,
  initAuthenticationUser: JSON.stringify({ username: USER.accessKey, password: USER.secretKey }),
  innerClientAuthenticationCredentials: JSON.stringify(USER),
} as const;
let cluster: LocalCluster;

/** bin/tern.mjs with TERN_ACCESS_KEY / TERN_SECRET_KEY as given (and none inherited). */
async function tern(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { TERN_ACCESS_KEY: _a, TERN_SECRET_KEY: _s, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run(NODE, [TERN_BIN, ...args], { cwd: BROKER_ROOT, env: { ...inherited, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  cluster = await startLocalCluster(AUTH, AUTH);
});
afterAll(() => cluster.stop());

describe('tern CLI with ACL credentials', { timeout: 120_000 }, () => {
  it('--access-key/--secret-key sign admin and produce requests', async () => {
    const keys = ['--access-key', USER.accessKey, '--secret-key', USER.secretKey];
    const created = await tern(['admin', 'updateTopic', '-n', cluster.namesrvAddr, '-t', 'cli-acl', '-c', 'DefaultCluster', ...keys]);
    expect(created.code, created.stderr).toBe(0);
    const produced = await tern(['produce', '-n', cluster.namesrvAddr, '-t', 'cli-acl', '--count', '5', ...keys]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/\b5\b/);
  });

  it('TERN_ACCESS_KEY and TERN_SECRET_KEY do the same; without them the request is refused with the reason', async () => {
    const listed = await tern(['admin', 'topicList', '-n', cluster.namesrvAddr], { TERN_ACCESS_KEY: USER.accessKey, TERN_SECRET_KEY: USER.secretKey });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/cli-acl/);
    const refused = await tern(['admin', 'topicList', '-n', cluster.namesrvAddr]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not signed \(no AccessKey\)/);
    const wrong = await tern(['admin', 'topicList', '-n', cluster.namesrvAddr, '--access-key', USER.accessKey, '--secret-key', 'nope']);
    expect(wrong.stderr).toMatch(/signature check failed for user cli-user/);
  });

  it('an access key without its secret is a usage error', async () => {
    const r = await tern(['admin', 'topicList', '-n', cluster.namesrvAddr, '--access-key', USER.accessKey]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs its secret key/);
  });
});
