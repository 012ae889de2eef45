/**
 * What the operator asks of a running Tern cluster, behind interfaces so the reconcilers do not care how
 * it is reached: topics and groups (admin protocol), whether slaves have caught up, whether a draining
 * group is empty. The implementations use Tern's TypeScript client (@tern/broker/client).
 */
import { Admin, ClientError, ResponseCode } from '@tern/broker/client';
import type { BrokerClusterSpec } from '../api/broker-cluster.ts';
import { brokerAddress, namesrvAddress, type ClusterRef } from '../render/names.ts';

/** Where the operator dials a cluster. In a pod: the stable DNS names. Tests map them to local processes. */
export interface AddressResolver {
  namesrv(cluster: ClusterRef, spec: BrokerClusterSpec): string;
  broker(cluster: ClusterRef, spec: BrokerClusterSpec, group: number, brokerId: number): string;
}

export const dnsAddressResolver: AddressResolver = {
  namesrv: (c, spec) => namesrvAddress(c, spec.nameServer.replicas),
  broker: (c, spec, group, brokerId) => brokerAddress(c, group, brokerId, spec.brokerGroups.mode === 'Raft'),
};

export interface TopicConfigWanted {
  topic: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  order: boolean;
}

/** A topic as one broker group serves it (from the route the name servers hold). */
export interface TopicOnBroker {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
}

export interface SubscriptionGroupWanted {
  groupName: string;
  retryMaxTimes: number;
  consumeBroadcastEnable: boolean;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
}

/** Admin operations on one cluster (reached through its name servers). */
export interface ClusterAdmin {
  /** brokerName -> master address of every broker group registered with the name servers. */
  masters(): Promise<Map<string, string>>;
  topicRoute(topic: string): Promise<TopicOnBroker[] | undefined>;
  /** UPDATE_AND_CREATE_TOPIC on the master of one group. */
  upsertTopic(masterAddr: string, topic: TopicConfigWanted): Promise<void>;
  /** DELETE_TOPIC_IN_BROKER on every master, then DELETE_TOPIC_IN_NAMESRV. */
  deleteTopic(topic: string): Promise<void>;
  upsertSubscriptionGroup(masterAddr: string, group: SubscriptionGroupWanted): Promise<void>;
  deleteSubscriptionGroup(masterAddr: string, groupName: string): Promise<void>;
  /** Unconsumed messages of a group on one broker group's queues of a topic (0 when the topic is gone). */
  lag(groupName: string, topic: string, brokerName: string): Promise<number>;
  /** GET_BROKER_RUNTIME_INFO of one broker. */
  runtimeInfo(brokerAddr: string): Promise<Record<string, string>>;
  /** TERN_RAFT_TRANSFER_LEADERSHIP to a Raft group's leader: it hands off to its most caught-up follower. */
  transferRaftLeadership(leaderAddr: string): Promise<string>;
  close(): Promise<void>;
}

export interface AdminConnector {
  connect(cluster: ClusterRef, spec: BrokerClusterSpec): ClusterAdmin;
}

export class TernClusterAdmin implements ClusterAdmin {
  private readonly admin: Admin;
  private readonly clusterName: string;

  constructor(namesrvAddr: string, clusterName: string) {
    this.admin = new Admin({ namesrvAddr });
    this.clusterName = clusterName;
  }

  async masters(): Promise<Map<string, string>> {
    const info = await this.admin.clusterInfo();
    const out = new Map<string, string>();
    for (const name of info.clusterAddrTable[this.clusterName] ?? []) {
      const addr = info.brokerAddrTable[name]?.brokerAddrs[0];
      if (addr) out.set(name, addr);
    }
    return out;
  }

  async topicRoute(topic: string): Promise<TopicOnBroker[] | undefined> {
    let route;
    try {
      route = await this.admin.topicRoute(topic);
    } catch (err) {
      if (isTopicNotExist(err)) return undefined;
      throw err;
    }
    return route.queueDatas.map((q) => ({
      brokerName: q.brokerName, readQueueNums: q.readQueueNums, writeQueueNums: q.writeQueueNums, perm: q.perm,
    }));
  }

  async upsertTopic(masterAddr: string, t: TopicConfigWanted): Promise<void> {
    await this.admin.createTopic(t.topic, {
      brokerAddr: masterAddr, readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm, order: t.order,
    });
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.admin.deleteTopic(topic, { clusterName: this.clusterName });
  }

  async upsertSubscriptionGroup(masterAddr: string, group: SubscriptionGroupWanted): Promise<void> {
    await this.admin.createSubscriptionGroup(masterAddr, group);
  }

  async deleteSubscriptionGroup(masterAddr: string, groupName: string): Promise<void> {
    await this.admin.deleteSubscriptionGroup(masterAddr, groupName);
  }

  async lag(groupName: string, topic: string, brokerName: string): Promise<number> {
    let progress;
    try {
      progress = await this.admin.consumerProgress(groupName, topic);
    } catch (err) {
      if (isTopicNotExist(err)) return 0;
      throw err;
    }
    return progress.filter((q) => q.brokerName === brokerName).reduce((sum, q) => sum + Math.max(0, q.lag), 0);
  }

  runtimeInfo(brokerAddr: string): Promise<Record<string, string>> {
    return this.admin.brokerRuntimeInfo(brokerAddr);
  }

  transferRaftLeadership(leaderAddr: string): Promise<string> {
    return this.admin.transferRaftLeadership(leaderAddr);
  }

  close(): Promise<void> {
    return this.admin.shutdown();
  }
}

export function ternAdminConnector(resolver: AddressResolver = dnsAddressResolver): AdminConnector {
  return { connect: (c, spec) => new TernClusterAdmin(resolver.namesrv(c, spec), c.name) };
}

function isTopicNotExist(err: unknown): boolean {
  return err instanceof ClientError && err.responseCode === ResponseCode.TOPIC_NOT_EXIST;
}
