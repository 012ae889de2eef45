import type { Logger } from '../logging/logger.ts';
import {
  type BrokerData, type ClusterInfo, type DataVersion, type QueueData, type RegisterBrokerHeader, type TopicConfig, type TopicRouteData,
  Perm, sameDataVersion,
} from '../protocol/index.ts';

/** What a REGISTER_BROKER says about the broker (its header, less the body's compression) and its topics. */
export interface BrokerRegistration
  extends Pick<RegisterBrokerHeader, 'clusterName' | 'brokerName' | 'brokerAddr' | 'brokerId' | 'haServerAddr' | 'heartbeatTimeoutMillis'> {
  dataVersion: DataVersion;
  topicConfigTable: Record<string, TopicConfig>;
  /** Identity of the connection the broker registered over; a closed connection drops its brokers at once. */
  connectionId?: object | undefined;
}

interface BrokerLiveInfo {
  lastUpdate: number;
  timeoutMs: number;
  dataVersion: DataVersion;
  haServerAddr: string;
  connectionId: object | undefined;
  clusterName: string;
  brokerName: string;
  brokerId: number;
}

/** The namesrv's tables: which brokers exist, which are alive, and which queues each serves for each topic. */
export class RouteInfoManager {
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerAddrTable = new Map<string, BrokerData>();
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  private readonly log: Logger;
  private readonly defaultTimeoutMs: number;

  constructor(log: Logger, defaultTimeoutMs: number) {
    this.log = log;
    this.defaultTimeoutMs = defaultTimeoutMs;
  }

  /** Returns the master's addresses for a registering slave (empty for a master or when the master is unknown). */
  registerBroker(reg: BrokerRegistration): { haServerAddr?: string; masterAddr?: string } {
    let brokerNames = this.clusterAddrTable.get(reg.clusterName);
    if (!brokerNames) this.clusterAddrTable.set(reg.clusterName, (brokerNames = new Set()));
    brokerNames.add(reg.brokerName);

    let brokerData = this.brokerAddrTable.get(reg.brokerName);
    const firstRegistration = !brokerData || !Object.values(brokerData.brokerAddrs).includes(reg.brokerAddr);
    if (!brokerData) {
      brokerData = { cluster: reg.clusterName, brokerName: reg.brokerName, brokerAddrs: {}, enableActingMaster: false };
      this.brokerAddrTable.set(reg.brokerName, brokerData);
    }
    // One address, one id: a slave promoted to master re-registers under a new id and replaces the old entry.
    for (const [id, addr] of Object.entries(brokerData.brokerAddrs)) {
      if (addr === reg.brokerAddr && Number(id) !== reg.brokerId) delete brokerData.brokerAddrs[id];
    }
    brokerData.brokerAddrs[String(reg.brokerId)] = reg.brokerAddr;

    const previous = this.brokerLiveTable.get(reg.brokerAddr);
    const changed = !previous || !sameDataVersion(previous.dataVersion, reg.dataVersion);
    if (reg.brokerId === 0 && (changed || firstRegistration)) {
      for (const topic of Object.values(reg.topicConfigTable)) this.updateQueueData(reg.brokerName, topic);
    }
    this.brokerLiveTable.set(reg.brokerAddr, {
      lastUpdate: Date.now(),
      timeoutMs: reg.heartbeatTimeoutMillis ?? this.defaultTimeoutMs,
      dataVersion: reg.dataVersion,
      haServerAddr: reg.haServerAddr,
      connectionId: reg.connectionId,
      clusterName: reg.clusterName,
      brokerName: reg.brokerName,
      brokerId: reg.brokerId,
    });
    if (firstRegistration) this.log.info(`broker registered: ${reg.clusterName}/${reg.brokerName} id ${reg.brokerId} at ${reg.brokerAddr}`);

    if (reg.brokerId !== 0) {
      const masterAddr = brokerData.brokerAddrs['0'];
      if (masterAddr) {
        const master = this.brokerLiveTable.get(masterAddr);
        if (master) return { haServerAddr: master.haServerAddr, masterAddr };
      }
    }
    return {};
  }

  private updateQueueData(brokerName: string, topic: TopicConfig): void {
    let byBroker = this.topicQueueTable.get(topic.topicName);
    if (!byBroker) this.topicQueueTable.set(topic.topicName, (byBroker = new Map()));
    byBroker.set(brokerName, {
      brokerName,
      readQueueNums: topic.readQueueNums,
      writeQueueNums: topic.writeQueueNums,
      perm: topic.perm,
      topicSysFlag: topic.topicSysFlag,
    });
  }

  unregisterBroker(clusterName: string, brokerName: string, brokerAddr: string, brokerId: number): void {
    const live = this.brokerLiveTable.get(brokerAddr);
    if (live && live.brokerName !== brokerName) return;
    this.brokerLiveTable.delete(brokerAddr);
    const brokerData = this.brokerAddrTable.get(brokerName);
    if (brokerData && brokerData.brokerAddrs[String(brokerId)] === brokerAddr) delete brokerData.brokerAddrs[String(brokerId)];
    this.log.info(`broker unregistered: ${clusterName}/${brokerName} id ${brokerId} at ${brokerAddr}`);
    if (brokerData && Object.keys(brokerData.brokerAddrs).length === 0) this.removeBrokerName(clusterName, brokerName);
  }

  private removeBrokerName(clusterName: string, brokerName: string): void {
    this.brokerAddrTable.delete(brokerName);
    const names = this.clusterAddrTable.get(clusterName);
    names?.delete(brokerName);
    if (names && names.size === 0) this.clusterAddrTable.delete(clusterName);
    for (const [topic, byBroker] of this.topicQueueTable) {
      byBroker.delete(brokerName);
      if (byBroker.size === 0) this.topicQueueTable.delete(topic);
    }
  }

  /** Refreshes liveness (QUERY_DATA_VERSION) and says whether the broker's topic data changed since it registered. */
  queryDataVersion(brokerAddr: string, dataVersion: DataVersion): { changed: boolean; stored?: DataVersion } {
    const live = this.brokerLiveTable.get(brokerAddr);
    if (!live) return { changed: true };
    live.lastUpdate = Date.now();
    return { changed: !sameDataVersion(live.dataVersion, dataVersion), stored: live.dataVersion };
  }

  /** Drops brokers whose registration is older than their timeout; returns how many went. */
  scanNotActiveBroker(now = Date.now()): number {
    let removed = 0;
    for (const [addr, live] of [...this.brokerLiveTable]) {
      if (live.lastUpdate + live.timeoutMs < now) {
        this.log.warn(`broker ${live.brokerName} at ${addr} not heard from for ${now - live.lastUpdate} ms: removed`);
        this.unregisterBroker(live.clusterName, live.brokerName, addr, live.brokerId);
        removed++;
      }
    }
    return removed;
  }

  /** A broker's connection closed: forget every broker registered over it. */
  onConnectionClosed(connectionId: object): void {
    for (const [addr, live] of [...this.brokerLiveTable]) {
      if (live.connectionId === connectionId) {
        this.log.info(`connection of broker ${live.brokerName} at ${addr} closed: removed`);
        this.unregisterBroker(live.clusterName, live.brokerName, addr, live.brokerId);
      }
    }
  }

  getRouteInfo(topic: string): TopicRouteData | undefined {
    const byBroker = this.topicQueueTable.get(topic);
    if (!byBroker || byBroker.size === 0) return undefined;
    const queueDatas = [...byBroker.values()].sort((a, b) => a.brokerName.localeCompare(b.brokerName));
    const brokerDatas: BrokerData[] = [];
    for (const q of queueDatas) {
      const b = this.brokerAddrTable.get(q.brokerName);
      if (b) brokerDatas.push({ ...b, brokerAddrs: { ...b.brokerAddrs } });
    }
    if (brokerDatas.length === 0) return undefined;
    return { queueDatas, brokerDatas, filterServerTable: {} };
  }

  getClusterInfo(): ClusterInfo {
    const brokerAddrTable: Record<string, BrokerData> = {};
    for (const [name, data] of this.brokerAddrTable) brokerAddrTable[name] = data;
    const clusterAddrTable: Record<string, string[]> = {};
    for (const [cluster, names] of this.clusterAddrTable) clusterAddrTable[cluster] = [...names].sort();
    return { brokerAddrTable, clusterAddrTable };
  }

  getAllTopics(): string[] {
    return [...this.topicQueueTable.keys()].sort();
  }

  getTopicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster) ?? new Set<string>();
    return [...this.topicQueueTable].filter(([, byBroker]) => [...byBroker.keys()].some((b) => names.has(b))).map(([t]) => t).sort();
  }

  /** Removes a topic from the route table (for one cluster's brokers, or everywhere). */
  deleteTopic(topic: string, clusterName?: string): void {
    if (!clusterName) {
      this.topicQueueTable.delete(topic);
      return;
    }
    const byBroker = this.topicQueueTable.get(topic);
    if (!byBroker) return;
    for (const name of this.clusterAddrTable.get(clusterName) ?? []) byBroker.delete(name);
    if (byBroker.size === 0) this.topicQueueTable.delete(topic);
  }

  /** Clears write permission on every queue of a broker (WIPE_WRITE_PERM_OF_BROKER); returns the topics touched. */
  wipeWritePerm(brokerName: string): number {
    let n = 0;
    for (const byBroker of this.topicQueueTable.values()) {
      const q = byBroker.get(brokerName);
      if (q) {
        q.perm &= ~Perm.WRITE;
        n++;
      }
    }
    return n;
  }
}
