import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { NamesrvController } from '../../src/namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig } from '../../src/namesrv/namesrv-config.ts';
import { encodeJson, newTopicConfig, type ClusterInfo, type TopicRouteData } from '../../src/protocol/index.ts';
import { rocketmqCrc32 } from '../../src/message/crc32.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode, SerializeType } from '../../src/remoting/index.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const log = createLogger('test');
let namesrv: NamesrvController;
let addr: string;

beforeEach(async () => {
  namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: 0, bindAddress: '127.0.0.1', scanNotActiveBrokerInterval: 100 }, log);
  await namesrv.start();
  addr = `127.0.0.1:${namesrv.port}`;
});
afterEach(() => namesrv.shutdown());

function registerRequest(brokerName: string, brokerAddr: string, brokerId: number, topics: string[], counter = 1, timeout?: number) {
  const body = encodeJson({
    topicConfigSerializeWrapper: {
      dataVersion: { counter, stateVersion: 0, timestamp: 1700000000000 },
      topicConfigTable: Object.fromEntries(topics.map((t) => [t, newTopicConfig(t, { readQueueNums: 4, writeQueueNums: 4 })])),
    },
    filterServerList: [],
  });
  return createRequest(RequestCode.REGISTER_BROKER, {
    brokerName, brokerAddr, clusterName: 'C1', haServerAddr: brokerAddr.replace(/\d+$/, '10912'), brokerId,
    compressed: false, bodyCrc32: rocketmqCrc32(body), heartbeatTimeoutMillis: timeout,
  }, body);
}

async function route(client: RemotingClient, topic: string, type: 0 | 1 = SerializeType.JSON) {
  return client.invoke(addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }, undefined, type));
}

describe('namesrv', () => {
  it('serves routes of registered masters, with slaves listed and told their master', async () => {
    const client = new RemotingClient({ logger: log });
    expect((await client.invoke(addr, registerRequest('b1', '10.0.0.1:10911', 0, ['T1', 'T2']))).code).toBe(ResponseCode.SUCCESS);
    const slave = await client.invoke(addr, registerRequest('b1', '10.0.0.2:10911', 1, ['T1', 'T2']));
    expect(slave.extFields).toMatchObject({ masterAddr: '10.0.0.1:10911', haServerAddr: '10.0.0.1:10912' });
    await client.invoke(addr, registerRequest('b2', '10.0.0.3:10911', 0, ['T1']));

    for (const type of [SerializeType.JSON, SerializeType.ROCKETMQ] as const) {
      const r = await route(client, 'T1', type);
      expect(r.code).toBe(ResponseCode.SUCCESS);
      const text = r.body!.toString();
      expect(text).not.toMatch(/\s/); // the Go client splits brokerAddrs on ',' and ':'
      const data = JSON.parse(text) as TopicRouteData;
      expect(data.queueDatas.map((q) => q.brokerName)).toEqual(['b1', 'b2']);
      expect(data.brokerDatas.find((b) => b.brokerName === 'b1')!.brokerAddrs).toEqual({ 0: '10.0.0.1:10911', 1: '10.0.0.2:10911' });
    }
    const missing = await route(client, 'nope');
    expect(missing.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(missing.remark).toContain('nope');

    const cluster = JSON.parse((await client.invoke(addr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO))).body!.toString()) as ClusterInfo;
    expect(cluster.clusterAddrTable).toEqual({ C1: ['b1', 'b2'] });
    const topics = JSON.parse((await client.invoke(addr, createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER))).body!.toString());
    expect(topics.topicList).toEqual(['T1', 'T2']);
    await client.close();
  });

  it('answers QUERY_DATA_VERSION and applies new topic data on re-registration', async () => {
    const client = new RemotingClient({ logger: log });
    await client.invoke(addr, registerRequest('b1', '10.0.0.1:10911', 0, ['T1'], 1));
    const same = await client.invoke(addr, createRequest(RequestCode.QUERY_DATA_VERSION,
      { brokerName: 'b1', brokerAddr: '10.0.0.1:10911', clusterName: 'C1', brokerId: 0 },
      encodeJson({ counter: 1, stateVersion: 0, timestamp: 1700000000000 })));
    expect(same.extFields?.changed).toBe('false');
    await client.invoke(addr, registerRequest('b1', '10.0.0.1:10911', 0, ['T1', 'T3'], 2));
    expect((await route(client, 'T3')).code).toBe(ResponseCode.SUCCESS);
    await client.close();
  });

  it('unregisters, and drops brokers that stop registering or whose connection closes', async () => {
    const a = new RemotingClient({ logger: log });
    await a.invoke(addr, registerRequest('b1', '10.0.0.1:10911', 0, ['T1']));
    await a.invoke(addr, createRequest(RequestCode.UNREGISTER_BROKER, { brokerName: 'b1', brokerAddr: '10.0.0.1:10911', clusterName: 'C1', brokerId: 0 }));
    expect((await route(a, 'T1')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);

    // Registered with a 200 ms timeout, then silent: the 100 ms scan removes it.
    await a.invoke(addr, registerRequest('b2', '10.0.0.2:10911', 0, ['T2'], 1, 200));
    expect((await route(a, 'T2')).code).toBe(ResponseCode.SUCCESS);
    await waitFor('the silent broker b2 to be scanned out', async () => (await route(a, 'T2')).code === ResponseCode.TOPIC_NOT_EXIST, 5000);

    const b = new RemotingClient({ logger: log });
    await b.invoke(addr, registerRequest('b3', '10.0.0.3:10911', 0, ['T3']));
    await b.close();
    await waitFor('b3 dropped once its connection closed', async () => (await route(a, 'T3')).code === ResponseCode.TOPIC_NOT_EXIST, 5000);
    await a.close();
  });

  it('refuses a register request that lacks its fields, naming the field', async () => {
    const client = new RemotingClient({ logger: log });
    const r = await client.invoke(addr, createRequest(RequestCode.REGISTER_BROKER, { brokerName: 'b1' }));
    expect(r.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(r.remark).toMatch(/clusterName/);
    await client.close();
  });
});
