import { MessageConst } from '../message/properties.ts';
import { decodeStoredMessages } from '../message/stored-message.ts';
import {
  encodeQueryMessageHeader, encodeRecallHandle, Perm, SystemTopic, type ClusterInfo, type SubscriptionGroupConfig, type TopicRouteData,
} from '../protocol/index.ts';
import { RequestCode, ResponseCode } from '../remoting/index.ts';
import { ClientError } from './client-error.ts';
import { ClientInstance, type ClientOptions } from './client-instance.ts';
import { compareQueues, type MessageQueue, type QueueOffset } from './message-queue.ts';
import { MASTER_ID, masterAddress, subscribeQueues } from './topic-route.ts';

export type AdminOptions = ClientOptions;

export interface CreateTopicOptions {
  readQueueNums?: number;
  writeQueueNums?: number;
  /** PermName bits: 2 write, 4 read, 6 read-write (default). */
  perm?: number;
  order?: boolean;
  /** Create on every master of this cluster... */
  clusterName?: string;
  /** ...or on this one broker. With neither, on every master of every cluster. */
  brokerAddr?: string;
}

/** One broker as `clusterList` shows it: where it is and a few figures from its runtime info. */
export interface BrokerSummary {
  cluster: string;
  brokerName: string;
  brokerId: number;
  address: string;
  version: string;
  /** Messages in / out per second (the 10 s averages the broker reports). */
  putTps: number;
  getTps: number;
  putToday: number;
  getToday: number;
  /**
   * Replication as the broker reports it: on a master how many slaves are connected and the largest lag in
   * bytes, on a slave its own lag behind the master; undefined when the broker reports none.
   */
  replication?: { role: 'master'; slaves: number; maxLagBytes: number } | { role: 'slave'; lagBytes: number; master: string };
  /** Set when the broker could not be asked; the figures are then 0. */
  error?: string;
  runtime: Record<string, string>;
}

/** A queue's bounds, for topic status. */
export interface QueueStatus extends MessageQueue {
  minOffset: number;
  maxOffset: number;
}

/** One queue of consumerProgress. */
export interface ConsumerProgress extends MessageQueue {
  brokerOffset: number;
  /** -1 when the group has not committed an offset for this queue. */
  consumerOffset: number;
  lag: number;
}

function firstNumber(text: string | undefined): number {
  const n = Number((text ?? '').trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : 0;
}

function diff(table: Record<string, string>, later: string, earlier: string): number {
  const a = Number(table[later]);
  const b = Number(table[earlier]);
  return Number.isFinite(a) && Number.isFinite(b) ? a - b : 0;
}

/**
 * Cluster administration over the remoting protocol, as mqadmin does it: topics are created and
 * deleted on the brokers (every master of a cluster) and the name servers.
 */
export class Admin {
  private readonly instance: ClientInstance;

  constructor(options: AdminOptions) {
    this.instance = new ClientInstance(options);
  }

  async shutdown(): Promise<void> {
    await this.instance.shutdown();
  }

  clusterInfo(): Promise<ClusterInfo> {
    return this.instance.withNamesrv((addr) => this.instance.api.getClusterInfo(addr));
  }

  topicList(): Promise<string[]> {
    return this.instance.withNamesrv((addr) => this.instance.api.getTopicList(addr));
  }

  /** Creates or updates a consumer group's settings (retries, enablement, broadcast) on one broker. */
  async createSubscriptionGroup(brokerAddr: string, config: Partial<SubscriptionGroupConfig> & { groupName: string }): Promise<void> {
    await this.instance.api.createSubscriptionGroup(brokerAddr, config);
  }

  /** Removes a consumer group's settings from one broker (and its committed offsets with cleanOffset). */
  async deleteSubscriptionGroup(brokerAddr: string, groupName: string, options: { cleanOffset?: boolean } = {}): Promise<void> {
    await this.instance.api.deleteSubscriptionGroup(brokerAddr, groupName, options.cleanOffset ?? false);
  }

  /** Every consumer group one broker knows. */
  async subscriptionGroups(brokerAddr: string): Promise<SubscriptionGroupConfig[]> {
    return this.instance.api.allSubscriptionGroups(brokerAddr);
  }

  /** Changes broker settings at run time (UPDATE_BROKER_CONFIG), e.g. brokerPermission=4 to stop writes while draining. */
  async updateBrokerConfig(brokerAddr: string, properties: Record<string, string | number | boolean>): Promise<void> {
    await this.instance.api.updateBrokerConfig(brokerAddr, properties);
  }

  /** The topic's route; rejects with a ClientError of responseCode TOPIC_NOT_EXIST when the name servers do not know the topic. */
  async topicRoute(topic: string): Promise<TopicRouteData> {
    const route = await this.instance.refreshRoute(topic);
    if (!route) throw new ClientError(`topic ${topic} does not exist`, { responseCode: ResponseCode.TOPIC_NOT_EXIST });
    return route;
  }

  /** Min and max offset of every readable queue of the topic. */
  /**
   * Cancels the timer message `msgId` (its UNIQ_KEY) of `topic`: finds it among the brokers' timer messages and sends
   * RECALL_MESSAGE with its handle. Rejects saying so when it was already delivered, or when no broker holds it.
   */
  async recall(topic: string, msgId: string): Promise<{ brokerName: string; dueAt: number }> {
    const route = await this.topicRoute(topic);
    for (const b of route.brokerDatas) {
      const broker = masterAddress(route, b.brokerName);
      if (!broker) continue;
      const header = encodeQueryMessageHeader({ topic: SystemTopic.TIMER, key: msgId, maxNum: 32, beginTimestamp: 0, endTimestamp: Date.now(), uniqueKeyQuery: true });
      const r = await this.instance.api.invoke(broker, RequestCode.QUERY_MESSAGE, header, undefined, 5000);
      if (r.code !== ResponseCode.SUCCESS) continue;
      const timer = decodeStoredMessages(r.body ?? Buffer.alloc(0)).find((m) => m.properties.get(MessageConst.REAL_TOPIC) === topic
        && m.properties.get(MessageConst.UNIQ_KEY) === msgId && !m.properties.has(MessageConst.TIMER_DEL_UNIQKEY));
      const due = Number(timer?.properties.get(MessageConst.TIMER_OUT_MS));
      if (!timer || !Number.isFinite(due)) continue;
      if (due <= Date.now()) throw new ClientError(`message ${msgId} of ${topic} was due at ${new Date(due).toISOString()} and has been delivered: too late to recall`);
      const recallHandle = encodeRecallHandle({ topic, brokerName: b.brokerName, timestamp: String(due), messageId: msgId });
      await this.instance.api.recallMessage(broker, { topic, recallHandle, bname: b.brokerName });
      return { brokerName: b.brokerName, dueAt: due };
    }
    throw new ClientError(`no broker of ${topic} holds a timer message ${msgId}`);
  }

  async topicStatus(topic: string): Promise<QueueStatus[]> {
    const route = await this.topicRoute(topic);
    return Promise.all(subscribeQueues(topic, route).map(async (mq) => {
      const broker = masterAddress(route, mq.brokerName);
      if (!broker) throw new ClientError(`broker ${mq.brokerName} has no master`);
      const [minOffset, maxOffset] = await Promise.all([this.instance.api.getMinOffset(broker, mq), this.instance.api.getMaxOffset(broker, mq)]);
      return { ...mq, minOffset, maxOffset };
    }));
  }

  /**
   * A group's progress on a topic (mqadmin consumerProgress): per queue the broker's max offset, the
   * group's committed offset (-1 when it has none) and the lag between them.
   */
  async consumerProgress(group: string, topic: string): Promise<ConsumerProgress[]> {
    const route = await this.topicRoute(topic);
    return Promise.all(subscribeQueues(topic, route).map(async (mq) => {
      const broker = masterAddress(route, mq.brokerName);
      if (!broker) throw new ClientError(`broker ${mq.brokerName} has no master`);
      const [brokerOffset, consumerOffset] = await Promise.all([
        this.instance.api.getMaxOffset(broker, mq), this.instance.api.queryConsumerOffset(broker, group, mq),
      ]);
      return { ...mq, brokerOffset, consumerOffset, lag: brokerOffset - Math.max(0, consumerOffset) };
    }));
  }

  /**
   * Moves a group's offsets on a topic to the first message stored at or after `timestamp` (epoch ms;
   * -1 = the end), on every master of the topic. Online members are told and restart from there.
   * `force: false` only moves offsets backwards. Resolves with the new offset of each queue.
   */
  async resetOffsetByTime(group: string, topic: string, timestamp: number, options: { force?: boolean } = {}): Promise<QueueOffset[]> {
    const route = await this.topicRoute(topic);
    const masters = new Set(route.queueDatas.map((qd) => masterAddress(route, qd.brokerName)).filter((a): a is string => a !== undefined));
    const tables = await Promise.all([...masters].map((addr) =>
      this.instance.api.resetOffsetByTime(addr, group, topic, timestamp, options.force ?? true)));
    return tables.flat().sort((a, b) => compareQueues(a.mq, b.mq));
  }

  /** Master addresses of a cluster, or of all clusters. */
  async masterAddresses(clusterName?: string): Promise<string[]> {
    const info = await this.clusterInfo();
    let names: string[];
    if (clusterName !== undefined) {
      const members = info.clusterAddrTable[clusterName];
      if (!members) {
        const known = Object.keys(info.clusterAddrTable);
        throw new ClientError(`cluster ${clusterName} not found (known: ${known.length ? known.join(', ') : 'none'})`);
      }
      names = members;
    } else {
      names = Object.keys(info.brokerAddrTable);
    }
    const out: string[] = [];
    for (const name of names) {
      const addr = info.brokerAddrTable[name]?.brokerAddrs[MASTER_ID];
      if (addr) out.push(addr);
    }
    return out;
  }

  /**
   * Creates or updates a topic (UPDATE_AND_CREATE_TOPIC) on the chosen brokers; they register it with
   * the name servers. Resolves with the broker addresses that were updated.
   */
  async createTopic(topic: string, options: CreateTopicOptions = {}): Promise<string[]> {
    const targets = options.brokerAddr !== undefined ? [options.brokerAddr] : await this.masterAddresses(options.clusterName);
    if (targets.length === 0) throw new ClientError('no master broker to create the topic on');
    const header = {
      topic,
      readQueueNums: options.readQueueNums ?? 8,
      writeQueueNums: options.writeQueueNums ?? 8,
      perm: options.perm ?? (Perm.READ | Perm.WRITE),
      order: options.order ?? false,
    };
    await Promise.all(targets.map((addr) => this.instance.api.createTopic(addr, header)));
    return targets;
  }

  /** Deletes a topic from the masters of a cluster (or all) and from every name server. */
  async deleteTopic(topic: string, options: { clusterName?: string } = {}): Promise<void> {
    const targets = await this.masterAddresses(options.clusterName);
    await Promise.all(targets.map((addr) => this.instance.api.deleteTopicInBroker(addr, topic)));
    // Every name server keeps its own route table; one that is down is reported, not fatal, as long as
    // another one took the deletion.
    const results = await Promise.allSettled(this.instance.namesrvAddresses.map((addr) =>
      this.instance.api.deleteTopicInNamesrv(addr, topic, options.clusterName)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    if (failures.length === results.length) throw failures[0]!;
    for (const err of failures) this.instance.log.warn(`delete topic ${topic}: ${err.message}`);
  }

  /** A Raft group's leader hands leadership to its most caught-up follower (planned restarts); says where it went. */
  transferRaftLeadership(leaderAddr: string): Promise<string> {
    return this.instance.api.transferRaftLeadership(leaderAddr);
  }

  /** GET_BROKER_RUNTIME_INFO: the broker's key/value status table. */
  brokerRuntimeInfo(brokerAddr: string): Promise<Record<string, string>> {
    return this.instance.api.getBrokerRuntimeInfo(brokerAddr);
  }

  /** Every broker of every cluster with a few runtime figures (mqadmin clusterList). */
  async clusterList(): Promise<BrokerSummary[]> {
    const info = await this.clusterInfo();
    const rows: Promise<BrokerSummary>[] = [];
    for (const cluster of Object.keys(info.clusterAddrTable).sort()) {
      for (const brokerName of [...info.clusterAddrTable[cluster]!].sort()) {
        const bd = info.brokerAddrTable[brokerName];
        if (!bd) continue;
        for (const [id, address] of Object.entries(bd.brokerAddrs).sort((a, b) => Number(a[0]) - Number(b[0]))) {
          rows.push(this.summarize(cluster, brokerName, Number(id), address));
        }
      }
    }
    return Promise.all(rows);
  }

  private async summarize(cluster: string, brokerName: string, brokerId: number, address: string): Promise<BrokerSummary> {
    const row: BrokerSummary = {
      cluster, brokerName, brokerId, address, version: '', putTps: 0, getTps: 0, putToday: 0, getToday: 0, runtime: {},
    };
    try {
      const t = await this.instance.api.getBrokerRuntimeInfo(address);
      row.runtime = t;
      row.version = t.brokerVersionDesc ?? '';
      row.putTps = firstNumber(t.putTps);
      row.getTps = firstNumber(t.getTransferredTps);
      row.putToday = diff(t, 'msgPutTotalTodayNow', 'msgPutTotalTodayMorning');
      row.getToday = diff(t, 'msgGetTotalTodayNow', 'msgGetTotalTodayMorning');
      if (t.haConnectedSlaves !== undefined) {
        row.replication = { role: 'master', slaves: Number(t.haConnectedSlaves), maxLagBytes: Number(t.haSlaveLagBytes ?? 0) };
      } else if (t.haReplicaLagBytes !== undefined) {
        row.replication = { role: 'slave', lagBytes: Number(t.haReplicaLagBytes), master: t.haMasterAddress ?? '' };
      }
    } catch (err) {
      row.error = (err as Error).message;
    }
    return row;
  }
}
