import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

let cluster: LocalCluster;
let client: RemotingClient;
const notNow = String((new Date().getHours() + 12) % 24).padStart(2, '0');

beforeAll(async () => {
  cluster = await startLocalCluster({ mappedFileSizeCommitLog: 64 * 1024, fileReservedTime: 0, deleteWhen: notNow });
  client = new RemotingClient({ logger: createLogger('test') });
});
afterAll(async () => {
  await client.close();
  await cluster.stop();
});

describe('retention through the broker', () => {
  it('moves a consumer behind the new minimum there (PULL_OFFSET_MOVED)', async () => {
    for (let i = 0; i < 200; i++) {
      const r = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.SEND_MESSAGE_V2, {
        a: 'pg', b: 'RetTopic', c: 'TBW102', d: 1, e: 0, f: 0, g: Date.now(), h: 0, i: encodeProperties({ WAIT: 'true' }), j: 0, k: false, m: false,
      }, Buffer.alloc(1000, 1)));
      expect(r.code).toBe(ResponseCode.SUCCESS);
    }
    const store = cluster.broker.context.store;
    store.executeDeleteFilesManually();
    const run = await store.cleanFiles(Date.now() + 1000);
    expect(run!.deletedSegments).toBeGreaterThan(0);
    const min = store.getMinOffsetInQueue('RetTopic', 0);
    expect(min).toBeGreaterThan(0);

    const minOffset = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.GET_MIN_OFFSET, { topic: 'RetTopic', queueId: 0 }));
    expect(Number(minOffset.extFields!.offset)).toBe(min);
    const pull = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: 'late-group', topic: 'RetTopic', queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 0x4, commitOffset: 0,
      suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG',
    }));
    expect(pull.code).toBe(ResponseCode.PULL_OFFSET_MOVED);
    expect(Number(pull.extFields!.nextBeginOffset)).toBe(min);
  });
});
