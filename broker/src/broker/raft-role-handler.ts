import type { Logger } from '../logging/logger.ts';
import { Perm, SystemTopic } from '../protocol/index.ts';
import type { BrokerContext } from './broker-context.ts';

const SYSTEM_TOPICS = new Set<string>(Object.values(SystemTopic));

/** What the controller lends the role handler: registration and the slave's metadata sync. */
export interface RaftRoleHooks {
  /** Registers with every namesrv now, so the route follows the election within a round trip. */
  registerNow(): Promise<void>;
  startSlaveSync(): void;
  stopSlaveSync(): void;
}

export type RaftBrokerRole = 'master' | 'slave';

/**
 * Makes the broker's role follow its Raft role, as RocketMQ's DLedger role-change handler does: the leader serves
 * as brokerId 0 (writes, delay levels, transaction checks) once everything committed is dispatched; every other
 * member is a slave under its own id (> 0) that refuses writes, serves reads and copies the leader's metadata.
 */
export class RaftRoleHandler {
  private readonly ctx: BrokerContext;
  private readonly hooks: RaftRoleHooks;
  private readonly slaveBrokerId: number;
  private readonly log: Logger;
  #role: RaftBrokerRole | null = null;
  private switching: Promise<void> = Promise.resolve();

  constructor(ctx: BrokerContext, hooks: RaftRoleHooks, slaveBrokerId: number, log: Logger) {
    if (slaveBrokerId <= 0) throw new Error(`a Raft member's slave brokerId must be > 0, got ${slaveBrokerId}`);
    this.ctx = ctx;
    this.hooks = hooks;
    this.slaveBrokerId = slaveBrokerId;
    this.log = log;
  }

  get role(): RaftBrokerRole | null {
    return this.#role;
  }

  /** Role changes run one after another, in the order Raft reported them. */
  change(to: RaftBrokerRole, why: string): Promise<void> {
    this.switching = this.switching.then(() => (to === 'master' ? this.toMaster(why) : this.toSlave(why))).catch((err: unknown) => {
      this.log.error(`switching to ${to} failed: ${(err as Error).message}`);
    });
    return this.switching;
  }

  private async toMaster(why: string): Promise<void> {
    if (this.#role === 'master') return;
    const c = this.ctx.config;
    this.hooks.stopSlaveSync();
    c.brokerId = 0;
    // The Raft commit already waits for a majority, so no HA waiter applies; SYNC_MASTER is what RocketMQ reports.
    c.brokerRole = 'SYNC_MASTER';
    this.ctx.store.setWritable(true);
    this.coverStoredQueues();
    this.ctx.schedule.start();
    this.ctx.transactions.start();
    this.ctx.timer.setDelivering(true);
    this.#role = 'master';
    this.log.info(`Raft leader: serving as master (brokerId 0) of ${c.brokerName}: ${why}`);
    await this.hooks.registerNow();
  }

  /**
   * A topic created on the old leader moments before it died may not have reached this member's metadata yet (the
   * slave copies it periodically), though its messages did, through the log. Its stored queues stay routable: the
   * topic is (re)declared with at least as many queues as hold messages, instead of auto-created narrower on the
   * next send, which would hide the higher queues from consumers.
   */
  private coverStoredQueues(): void {
    for (const topic of this.ctx.store.getTopics()) {
      const ids = this.ctx.store.getQueueIds(topic);
      const needed = ids.length ? ids[ids.length - 1]! + 1 : 0;
      const tc = this.ctx.topics.select(topic);
      if (tc && tc.readQueueNums >= needed && tc.writeQueueNums >= needed) continue;
      // System topics are declared by the broker itself at start.
      if (!tc && SYSTEM_TOPICS.has(topic)) continue;
      this.ctx.topics.createOrUpdate({
        ...(tc ?? { topicName: topic, perm: Perm.READ | Perm.WRITE, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false, attributes: {} }),
        readQueueNums: Math.max(tc?.readQueueNums ?? 0, needed),
        writeQueueNums: Math.max(tc?.writeQueueNums ?? 0, needed),
      });
      this.log.warn(`topic ${topic} holds messages in ${needed} queues but its config ${tc ? `had ${tc.readQueueNums}` : 'was not copied yet'}: declared with ${needed} queues`);
    }
  }

  private async toSlave(why: string): Promise<void> {
    if (this.#role === 'slave') return;
    const c = this.ctx.config;
    const wasMaster = this.#role === 'master';
    this.ctx.store.setWritable(false);
    c.brokerRole = 'SLAVE';
    c.brokerId = this.slaveBrokerId;
    if (wasMaster) {
      this.ctx.schedule.shutdown();
      this.ctx.transactions.shutdown();
      this.ctx.timer.setDelivering(false);
    }
    this.hooks.startSlaveSync();
    this.#role = 'slave';
    this.log.info(`Raft ${why}: serving as slave (brokerId ${this.slaveBrokerId}) of ${c.brokerName}`);
    await this.hooks.registerNow();
  }
}
