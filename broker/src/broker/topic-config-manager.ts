import type { Logger } from '../logging/logger.ts';
import {
  newDataVersion, newTopicConfig, Perm, retryTopic, SystemTopic, type DataVersion, type TopicConfig,
  type TopicConfigSerializeWrapper,
} from '../protocol/index.ts';
import { JsonConfigFile } from '../store/json-config-file.ts';
import type { BrokerConfig } from './broker-config.ts';

interface TopicsFile {
  topicConfigTable: Record<string, TopicConfig>;
  dataVersion: DataVersion;
}

/** The broker's topics: system topics, created ones, auto-created ones; persisted to config/topics.json. */
export class TopicConfigManager {
  private readonly topics = new Map<string, TopicConfig>();
  private dataVersion: DataVersion = newDataVersion();
  private readonly file: JsonConfigFile<TopicsFile>;
  private readonly config: BrokerConfig;
  private readonly log: Logger;
  private readonly changeListeners: (() => void)[] = [];

  constructor(config: BrokerConfig, filePath: string, log: Logger) {
    this.config = config;
    this.log = log;
    this.file = new JsonConfigFile<TopicsFile>(filePath, log);
  }

  load(): void {
    const saved = this.file.load();
    if (saved) {
      for (const tc of Object.values(saved.topicConfigTable ?? {})) this.topics.set(tc.topicName, { ...newTopicConfig(tc.topicName), ...tc });
      if (saved.dataVersion) this.dataVersion = saved.dataVersion;
    }
    this.ensureSystemTopics();
  }

  private ensureSystemTopics(): void {
    const c = this.config;
    const sys = (name: string, queues: number, perm: number = Perm.READ | Perm.WRITE) => {
      if (!this.topics.has(name)) this.topics.set(name, newTopicConfig(name, { readQueueNums: queues, writeQueueNums: queues, perm }));
    };
    sys(SystemTopic.SELF_TEST, 1);
    if (c.autoCreateTopicEnable) sys(SystemTopic.AUTO_CREATE_TOPIC_KEY, c.defaultTopicQueueNums, Perm.INHERIT | Perm.READ | Perm.WRITE);
    sys(SystemTopic.BENCHMARK, 1024);
    sys(c.brokerClusterName, 16, Perm.INHERIT);
    sys(c.brokerName, 1, Perm.INHERIT);
    sys(SystemTopic.OFFSET_MOVED_EVENT, 1);
    sys(SystemTopic.SCHEDULE, 18);
    sys(SystemTopic.TRANS_HALF, 1);
    sys(SystemTopic.TRANS_OP_HALF, 1);
    sys(`${c.brokerClusterName}_REPLY_TOPIC`, 1);
  }

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  select(topic: string): TopicConfig | undefined {
    return this.topics.get(topic);
  }

  all(): TopicConfig[] {
    return [...this.topics.values()];
  }

  getDataVersion(): DataVersion {
    return this.dataVersion;
  }

  serializeWrapper(): TopicConfigSerializeWrapper {
    return { topicConfigTable: Object.fromEntries(this.topics), dataVersion: { ...this.dataVersion } };
  }

  /** A slave takes its master's topics as they are. */
  replaceAll(wrapper: TopicConfigSerializeWrapper): void {
    const incoming = Object.values(wrapper.topicConfigTable ?? {});
    const same = incoming.length === this.topics.size && incoming.every((t) => JSON.stringify(this.topics.get(t.topicName)) === JSON.stringify(t));
    if (same) return;
    this.topics.clear();
    for (const tc of incoming) this.topics.set(tc.topicName, tc);
    this.changed(`${incoming.length} topics copied from the master`);
  }

  createOrUpdate(tc: TopicConfig): void {
    this.topics.set(tc.topicName, tc);
    this.changed(`topic ${tc.topicName} set: ${tc.readQueueNums}r/${tc.writeQueueNums}w perm ${tc.perm}`);
  }

  delete(topic: string): boolean {
    if (!this.topics.delete(topic)) return false;
    this.changed(`topic ${topic} deleted`);
    return true;
  }

  /**
   * A send to an unknown topic: clone the template topic (TBW102) if it allows inheritance, as RocketMQ's
   * auto-create does. Returns undefined when the topic may not be created.
   */
  createTopicInSendMessage(topic: string, defaultTopic: string, requestedQueueNums: number, topicSysFlag: number): TopicConfig | undefined {
    const existing = this.topics.get(topic);
    if (existing) return existing;
    const template = this.topics.get(defaultTopic);
    if (!template || !this.config.autoCreateTopicEnable) return undefined;
    if (defaultTopic === SystemTopic.AUTO_CREATE_TOPIC_KEY && (template.perm & Perm.INHERIT) === 0) return undefined;
    const queues = Math.max(1, Math.min(requestedQueueNums > 0 ? requestedQueueNums : template.writeQueueNums, template.writeQueueNums));
    const tc = newTopicConfig(topic, {
      readQueueNums: queues, writeQueueNums: queues, perm: template.perm & ~Perm.INHERIT, topicSysFlag,
    });
    this.log.info(`auto-created topic ${topic} from ${defaultTopic} with ${queues} queues`);
    this.createOrUpdate(tc);
    return tc;
  }

  /** %RETRY%group: one read/write queue, created at the group's first heartbeat. */
  createRetryTopicIfAbsent(group: string): TopicConfig {
    const name = retryTopic(group);
    return this.topics.get(name) ?? this.createAndReturn(newTopicConfig(name, { readQueueNums: 1, writeQueueNums: 1 }));
  }

  private createAndReturn(tc: TopicConfig): TopicConfig {
    this.createOrUpdate(tc);
    return tc;
  }

  private changed(what: string): void {
    this.dataVersion = { counter: this.dataVersion.counter + 1, stateVersion: this.dataVersion.stateVersion, timestamp: Date.now() };
    this.persist();
    this.log.debug(what);
    for (const l of this.changeListeners) l();
  }

  persist(): void {
    this.file.save({ topicConfigTable: Object.fromEntries(this.topics), dataVersion: this.dataVersion });
  }
}
