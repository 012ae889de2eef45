import type { Logger } from '../logging/logger.ts';
import { decodeJson, encodeUpdateConsumerOffsetHeader, type SubscriptionGroupConfig, type TopicConfigSerializeWrapper } from '../protocol/index.ts';
import { createRequest, RequestCode, ResponseCode, type RemotingClient } from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';

/**
 * A slave copies its master's metadata periodically, as RocketMQ's SlaveSynchronize does: topics, consumer
 * offsets, delay-level offsets and subscription groups, so it can serve reads (and be promoted) with them.
 */
export class SlaveSynchronize {
  private readonly client: RemotingClient;
  private readonly ctx: BrokerContext;
  private readonly masterAddr: () => string | undefined;
  private readonly log: Logger;
  lastSync = 0;

  constructor(client: RemotingClient, ctx: BrokerContext, masterAddr: () => string | undefined, log: Logger) {
    this.client = client;
    this.ctx = ctx;
    this.masterAddr = masterAddr;
    this.log = log;
  }

  private async fetch(addr: string, code: number): Promise<Buffer> {
    const r = await this.client.invoke(addr, createRequest(code), 5000);
    if (r.code !== ResponseCode.SUCCESS) throw new Error(`request ${code} answered ${r.code}: ${r.remark ?? ''}`);
    return r.body ?? Buffer.from('{}');
  }

  async syncAll(): Promise<boolean> {
    const addr = this.masterAddr();
    if (!addr) return false;
    try {
      const topics = decodeJson<TopicConfigSerializeWrapper>(await this.fetch(addr, RequestCode.GET_ALL_TOPIC_CONFIG), 'master topics');
      this.ctx.topics.replaceAll(topics);
      const offsets = decodeJson<{ offsetTable: Record<string, Record<string, number>> }>(await this.fetch(addr, RequestCode.GET_ALL_CONSUMER_OFFSET), 'master offsets');
      // Offsets consumers committed here while the master was away go back to it, then ours take the master's.
      for (const o of this.ctx.offsets.aheadOf(offsets.offsetTable)) {
        await this.client.invoke(addr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET,
          encodeUpdateConsumerOffsetHeader({ consumerGroup: o.group, topic: o.topic, queueId: o.queueId, commitOffset: o.offset })), 5000);
      }
      this.ctx.offsets.mergeFrom(offsets.offsetTable);
      const delay = decodeJson<{ offsetTable: Record<string, number> }>(await this.fetch(addr, RequestCode.GET_ALL_DELAY_OFFSET), 'master delay offsets');
      this.ctx.schedule.setOffsets(delay.offsetTable ?? {});
      const groups = decodeJson<{ subscriptionGroupTable: Record<string, SubscriptionGroupConfig> }>(
        await this.fetch(addr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG), 'master groups');
      this.ctx.groups.replaceAll(Object.values(groups.subscriptionGroupTable ?? {}));
      this.lastSync = Date.now();
      return true;
    } catch (err) {
      this.log.warn(`metadata sync from master ${addr} failed: ${(err as Error).message}`);
      return false;
    }
  }
}
