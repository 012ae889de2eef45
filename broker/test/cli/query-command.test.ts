import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { MessageStore } from '../../src/store/message-store.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { spawnTern } from '../support/processes.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let client: RemotingClient;
let msgId = '';

beforeAll(async () => {
  cluster = await startLocalCluster();
  client = new RemotingClient({ logger: createLogger('test') });
  for (const [body, keys, uniq] of [['first order', 'order-1 shop-7', 'CLIUNIQ1'], ['second order', 'order-2 shop-7', 'CLIUNIQ2']]) {
    const r = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: 'pg', b: 'CliTopic', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0,
      i: encodeProperties({ KEYS: keys!, UNIQ_KEY: uniq!, TAGS: 'TagQ', WAIT: 'true' }), j: 0, k: false, m: false,
    }, Buffer.from(body!)));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    msgId = r.extFields!.msgId!;
  }
  // The route must reach the name server before the CLI asks it.
  await waitFor('a route for CliTopic', async () =>
    (await client.invoke(cluster.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'CliTopic' }))).code === ResponseCode.SUCCESS);
});
afterAll(async () => {
  await client.close();
  await cluster.stop();
});

async function tern(args: string[]): Promise<{ code: number | null; output: string }> {
  const p = spawnTern(args);
  const code = await p.exited;
  return { code, output: p.output() };
}

describe('tern admin queryMsg*', () => {
  it('queryMsgByKey prints every message with that key and its properties', async () => {
    const r = await tern(['admin', 'queryMsgByKey', '-n', cluster.namesrvAddr, '-t', 'CliTopic', '-k', 'shop-7']);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/Message Body:\s+first order/);
    expect(r.output).toMatch(/Message Body:\s+second order/);
    expect(r.output).toMatch(/Keys:\s+order-1 shop-7/);
    expect(r.output).toContain('  TAGS=TagQ');
    expect(r.output).toContain('  CLUSTER=DefaultCluster');
  });

  it('queryMsgById decodes the offset id and asks that broker', async () => {
    const r = await tern(['admin', 'queryMsgById', '-i', msgId]);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(new RegExp(`OffsetID:\\s+${msgId}`));
    expect(r.output).toMatch(/Message Body:\s+second order/);
  });

  it('queryMsgByUniqueKey finds the message by its client id, as JSON when asked', async () => {
    const r = await tern(['admin', 'queryMsgByUniqueKey', '-n', cluster.namesrvAddr, '-t', 'CliTopic', '-i', 'CLIUNIQ1', '--json']);
    expect(r.code).toBe(0);
    const [m] = JSON.parse(r.output) as { body: string; properties: Record<string, string> }[];
    expect(m!.body).toBe('first order');
    expect(m!.properties.UNIQ_KEY).toBe('CLIUNIQ1');
  });

  it('says plainly when nothing matches or the id is not an offset id', async () => {
    const none = await tern(['admin', 'queryMsgByKey', '-n', cluster.namesrvAddr, '-t', 'CliTopic', '-k', 'nothing']);
    expect(none.code).toBe(1);
    expect(none.output).toMatch(/no message found in topic CliTopic/);
    const bad = await tern(['admin', 'queryMsgById', '-i', 'CLIUNIQ1']);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/not an offset message id.*queryMsgByUniqueKey/);
  });
});

describe('tern store verify', () => {
  it('reports a healthy store as OK and a damaged one with exit status 1', async () => {
    const dir = tempDir();
    const s = await MessageStore.open({ storePathRootDir: dir, mappedFileSizeCommitLog: 64 * 1024, maxHashSlotNum: 100, maxIndexNum: 400 });
    const hosts = { bornHost: { address: '127.0.0.1', port: 1 }, storeHost: { address: '127.0.0.1', port: 10911 } };
    const offsets: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await s.putMessage({
        topic: 'V', queueId: i % 3, flag: 0, sysFlag: 0, bornTimestamp: Date.now(), ...hosts, reconsumeTimes: 0, preparedTransactionOffset: 0,
        body: Buffer.alloc(1000, i), properties: encodeProperties({ KEYS: `k${i}`, UNIQ_KEY: `U${i}` }),
      });
      offsets.push(r.wroteOffset);
    }
    await s.shutdown();
    const ok = await tern(['store', 'verify', dir]);
    expect(ok.code).toBe(0);
    expect(ok.output).toMatch(/100 message\(s\), 1 end-of-segment blank/);
    expect(ok.output).toMatch(/3 queue\(s\), 100 unit\(s\)/);
    expect(ok.output).toMatch(/1 file\(s\), 200 entries/);
    expect(ok.output.trim().split('\n').at(-1)).toBe('OK');

    // A flipped body byte in the middle of the log: CRC fails, later records are unreachable.
    const fd = fs.openSync(path.join(dir, 'commitlog', '00000000000000000000'), 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, offsets[10]! + 200);
    fs.closeSync(fd);
    const bad = await tern(['store', 'verify', dir]);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/ERROR: commitlog: \d+ valid record\(s\) lie beyond damage after the last valid record at \d+ \(bad lengths or body CRC\)/);
    expect(bad.output).toMatch(/ERROR: checkpoint: the CommitLog was durable up to/);
    const json = await tern(['store', 'verify', dir, '--json']);
    expect(JSON.parse(json.output).commitLog.end).toBe(offsets[10]);
  });
});
