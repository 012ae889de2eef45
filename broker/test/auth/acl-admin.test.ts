import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { encodeFastJson } from '../../src/protocol/fastjson.ts';
import { signRequest } from '../../src/protocol/request-signature.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

// The AUTH_* requests' guard; mqadmin-acl.test.ts drives the commands themselves with the official mqadmin.
const ROOT = { accessKey: 'root', secretKey: 'root-secret-1' };
let open: LocalCluster;
let secured: LocalCluster;
const client = new RemotingClient({ logger: createLogger('test') });

beforeAll(async () => {
  open = await startLocalCluster();
  secured = await startLocalCluster({
    authenticationEnabled: true,
    initAuthenticationUser: JSON.stringify({ username: ROOT.accessKey, password: ROOT.secretKey }),
    innerClientAuthenticationCredentials: JSON.stringify(ROOT),
  });
});
afterAll(async () => {
  await client.close();
  await open.stop();
  await secured.stop();
});

const createUser = (name: string, type: string) =>
  createRequest(RequestCode.AUTH_CREATE_USER, { username: name }, encodeFastJson({ username: name, password: `${name}-pw`, userType: type }));

describe('ACL admin requests (AUTH_*)', () => {
  it('are refused with a reason by a broker with authentication off', async () => {
    const r = await client.invoke(open.brokerAddr, createRequest(RequestCode.AUTH_LIST_USER, {}));
    expect(r.code).toBe(ResponseCode.NO_PERMISSION);
    expect(r.remark).toMatch(/needs authenticationEnabled=true/);
  });

  it('are for super users only, even with authorization off', async () => {
    const made = await client.invoke(secured.brokerAddr, signRequest(createUser('bob', 'Normal'), ROOT));
    expect(made.code, made.remark).toBe(ResponseCode.SUCCESS);
    const byBob = await client.invoke(secured.brokerAddr, signRequest(createUser('eve', 'Super'), { accessKey: 'bob', secretKey: 'bob-pw' }));
    expect(byBob.code).toBe(ResponseCode.NO_PERMISSION);
    expect(byBob.remark).toMatch(/only a super user may manage users and ACLs; bob is not one/);
    const got = await client.invoke(secured.brokerAddr, signRequest(createRequest(RequestCode.AUTH_GET_USER, { username: 'eve' }), ROOT));
    expect(got.code).toBe(ResponseCode.SUCCESS);
    expect(got.body).toBeUndefined();
  });

  it('an ACL for a user that does not exist is refused, as in RocketMQ', async () => {
    const body = encodeFastJson({ subject: 'User:ghost', policies: [{ entries: [{ resource: 'Topic:t', actions: ['Pub'], decision: 'Allow' }] }] });
    const r = await client.invoke(secured.brokerAddr, signRequest(createRequest(RequestCode.AUTH_CREATE_ACL, { subject: 'User:ghost' }, body), ROOT));
    expect(r.code).toBe(ResponseCode.NO_PERMISSION);
    expect(r.remark).toMatch(/User:ghost is not exist/);
  });
});
