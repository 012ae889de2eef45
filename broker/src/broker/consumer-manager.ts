import type { Logger } from '../logging/logger.ts';
import { encodeConsumerGroupHeader, type ConsumerData, type SubscriptionData } from '../protocol/index.ts';
import { createRequest, RequestCode, type LanguageName, type RemotingConnection } from '../remoting/index.ts';

export interface ClientChannel {
  clientId: string;
  connection: RemotingConnection;
  language: LanguageName;
  version: number;
  lastUpdate: number;
}

export interface ConsumerGroupInfo {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptions: Map<string, SubscriptionData>;
  channels: Map<string, ClientChannel>;
  lastUpdate: number;
}

/** Who consumes what: groups, their members' connections and subscriptions, kept fresh by heartbeats. */
export class ConsumerManager {
  private readonly groups = new Map<string, ConsumerGroupInfo>();
  private readonly log: Logger;
  private readonly notifyEnabled: boolean;

  constructor(log: Logger, notifyEnabled: boolean) {
    this.log = log;
    this.notifyEnabled = notifyEnabled;
  }

  /** Registers or refreshes a consumer; tells the group's members when membership or subscriptions changed. */
  register(data: ConsumerData, channel: ClientChannel): void {
    let info = this.groups.get(data.groupName);
    if (!info) {
      info = {
        groupName: data.groupName, consumeType: data.consumeType, messageModel: data.messageModel,
        consumeFromWhere: data.consumeFromWhere, subscriptions: new Map(), channels: new Map(), lastUpdate: Date.now(),
      };
      this.groups.set(data.groupName, info);
    }
    info.consumeType = data.consumeType;
    info.messageModel = data.messageModel;
    info.consumeFromWhere = data.consumeFromWhere;
    info.lastUpdate = Date.now();
    const existing = info.channels.get(channel.clientId);
    const newMember = !existing || existing.connection !== channel.connection;
    info.channels.set(channel.clientId, channel);

    let subscriptionChanged = false;
    const seen = new Set<string>();
    for (const sub of data.subscriptionDataSet) {
      seen.add(sub.topic);
      const old = info.subscriptions.get(sub.topic);
      if (!old || old.subString !== sub.subString || old.expressionType !== sub.expressionType) subscriptionChanged = true;
      if (!old || sub.subVersion >= old.subVersion) info.subscriptions.set(sub.topic, sub);
    }
    // As RocketMQ does, a heartbeat's subscription set is the group's: topics it no longer lists are dropped.
    if (data.subscriptionDataSet.length > 0) {
      for (const topic of [...info.subscriptions.keys()]) {
        if (!seen.has(topic)) {
          info.subscriptions.delete(topic);
          subscriptionChanged = true;
        }
      }
    }
    if (newMember) this.log.info(`consumer ${channel.clientId} joined group ${data.groupName} from ${channel.connection.remoteAddress}`);
    if (newMember || subscriptionChanged) this.notifyIdsChanged(info);
  }

  unregister(group: string, clientId: string): void {
    const info = this.groups.get(group);
    if (!info?.channels.delete(clientId)) return;
    this.log.info(`consumer ${clientId} left group ${group}`);
    this.afterMemberLeft(info);
  }

  /** Drops members of every group reached over this connection (it closed). */
  onConnectionClosed(connection: RemotingConnection): void {
    for (const info of [...this.groups.values()]) {
      let removed = false;
      for (const [id, ch] of [...info.channels]) {
        if (ch.connection === connection) {
          info.channels.delete(id);
          removed = true;
          this.log.info(`consumer ${id} of group ${info.groupName} gone: connection closed`);
        }
      }
      if (removed) this.afterMemberLeft(info);
    }
  }

  /** Drops members not heard from within timeoutMs. */
  scanExpired(timeoutMs: number, now = Date.now()): void {
    for (const info of [...this.groups.values()]) {
      let removed = false;
      for (const [id, ch] of [...info.channels]) {
        if (ch.lastUpdate + timeoutMs < now) {
          info.channels.delete(id);
          ch.connection.close(`no heartbeat for ${now - ch.lastUpdate} ms`);
          removed = true;
          this.log.warn(`consumer ${id} of group ${info.groupName} expired`);
        }
      }
      if (removed) this.afterMemberLeft(info);
    }
  }

  private afterMemberLeft(info: ConsumerGroupInfo): void {
    if (info.channels.size === 0) this.groups.delete(info.groupName);
    else this.notifyIdsChanged(info);
  }

  private notifyIdsChanged(info: ConsumerGroupInfo): void {
    if (!this.notifyEnabled) return;
    for (const ch of info.channels.values()) {
      ch.connection.invokeOneway(createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, encodeConsumerGroupHeader({ consumerGroup: info.groupName })));
    }
  }

  get(group: string): ConsumerGroupInfo | undefined {
    return this.groups.get(group);
  }

  subscription(group: string, topic: string): SubscriptionData | undefined {
    return this.groups.get(group)?.subscriptions.get(topic);
  }

  clientIds(group: string): string[] {
    return [...(this.groups.get(group)?.channels.keys() ?? [])];
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** Groups whose members subscribe to the topic. */
  groupsOfTopic(topic: string): string[] {
    return [...this.groups.values()].filter((g) => g.subscriptions.has(topic)).map((g) => g.groupName);
  }
}

/** Producer groups and their connections (for connection lists, and transaction check-backs later). */
export class ProducerManager {
  private readonly groups = new Map<string, Map<string, ClientChannel>>();

  register(group: string, channel: ClientChannel): void {
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Map()));
    members.set(channel.clientId, channel);
  }

  unregister(group: string, clientId: string): void {
    const members = this.groups.get(group);
    members?.delete(clientId);
    if (members && members.size === 0) this.groups.delete(group);
  }

  onConnectionClosed(connection: RemotingConnection): void {
    for (const [group, members] of [...this.groups]) {
      for (const [id, ch] of [...members]) if (ch.connection === connection) members.delete(id);
      if (members.size === 0) this.groups.delete(group);
    }
  }

  scanExpired(timeoutMs: number, now = Date.now()): void {
    for (const [group, members] of [...this.groups]) {
      for (const [id, ch] of [...members]) if (ch.lastUpdate + timeoutMs < now) members.delete(id);
      if (members.size === 0) this.groups.delete(group);
    }
  }

  channels(group: string): ClientChannel[] {
    return [...(this.groups.get(group)?.values() ?? [])];
  }

  /** The live connection of a producer client, whatever its group (where replies are pushed). */
  findChannel(clientId: string): ClientChannel | undefined {
    for (const members of this.groups.values()) {
      const ch = members.get(clientId);
      if (ch && !ch.connection.closed) return ch;
    }
    return undefined;
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }
}
