import type { Logger } from '../logging/logger.ts';
import { newDataVersion, newSubscriptionGroupConfig, type DataVersion, type SubscriptionGroupConfig } from '../protocol/index.ts';
import { JsonConfigFile } from '../store/json-config-file.ts';

interface GroupsFile {
  subscriptionGroupTable: Record<string, SubscriptionGroupConfig>;
  dataVersion: DataVersion;
}

/** Consumer group settings (retries, enablement); persisted to config/subscriptionGroup.json. */
export class SubscriptionGroupManager {
  private readonly groups = new Map<string, SubscriptionGroupConfig>();
  private dataVersion: DataVersion = newDataVersion();
  private readonly file: JsonConfigFile<GroupsFile>;
  private readonly autoCreate: boolean;
  private readonly log: Logger;

  constructor(filePath: string, autoCreate: boolean, log: Logger) {
    this.file = new JsonConfigFile<GroupsFile>(filePath, log);
    this.autoCreate = autoCreate;
    this.log = log;
  }

  load(): void {
    const saved = this.file.load();
    for (const g of Object.values(saved?.subscriptionGroupTable ?? {})) this.groups.set(g.groupName, newSubscriptionGroupConfig(g.groupName, g));
    if (saved?.dataVersion) this.dataVersion = saved.dataVersion;
  }

  find(group: string): SubscriptionGroupConfig | undefined {
    return this.groups.get(group);
  }

  /** The group's config, created with defaults if auto-creation is on; undefined if it may not exist. */
  findOrCreate(group: string): SubscriptionGroupConfig | undefined {
    const existing = this.groups.get(group);
    if (existing || !this.autoCreate) return existing;
    const created = newSubscriptionGroupConfig(group);
    this.update(created);
    return created;
  }

  update(config: SubscriptionGroupConfig): void {
    this.groups.set(config.groupName, newSubscriptionGroupConfig(config.groupName, config));
    this.changed();
    this.log.debug(`subscription group ${config.groupName} set`);
  }

  /** A slave takes its master's groups as they are. */
  replaceAll(configs: SubscriptionGroupConfig[]): void {
    this.groups.clear();
    for (const g of configs) this.groups.set(g.groupName, newSubscriptionGroupConfig(g.groupName, g));
    this.changed();
  }

  delete(group: string): boolean {
    if (!this.groups.delete(group)) return false;
    this.changed();
    return true;
  }

  all(): SubscriptionGroupConfig[] {
    return [...this.groups.values()];
  }

  wrapper(): GroupsFile {
    return { subscriptionGroupTable: Object.fromEntries(this.groups), dataVersion: this.dataVersion };
  }

  private changed(): void {
    this.dataVersion = { ...this.dataVersion, counter: this.dataVersion.counter + 1, timestamp: Date.now() };
    this.persist();
  }

  persist(): void {
    this.file.save(this.wrapper());
  }
}
