import { buildPullSysFlag } from '../message/sys-flag.ts';
import { ResponseCode } from '../remoting/index.ts';
import { ClientError } from './client-error.ts';
import type { ProcessQueue } from './process-queue.ts';
import type { PushConsumerContext } from './push-consumer-context.ts';
import { decodePulledMessages } from './received-message.ts';
import { matchesSubscription } from './subscription.ts';

/** Pull errors after which the broker should hear our subscription again (it may have restarted). */
const RESUBSCRIBE_CODES = new Set<number>([
  ResponseCode.SUBSCRIPTION_NOT_EXIST, ResponseCode.SUBSCRIPTION_NOT_LATEST, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
]);

/**
 * Long-polls each owned queue (RocketMQ's PullMessageService): one pull in flight per queue, paused while the
 * queue holds pullThresholdForQueue unacknowledged messages, sent to the broker the last answer suggested.
 */
export class PullService {
  private readonly ctx: PushConsumerContext;
  private readonly arrived: (pq: ProcessQueue) => void;
  /** Whether pulls carry the queue's commit offset (not for a LitePullConsumer that commits only when told). */
  private readonly commitInPull: boolean;
  private lastResubscribe = 0;

  /** `arrived` is told when a pull added messages to a queue. */
  constructor(ctx: PushConsumerContext, arrived: (pq: ProcessQueue) => void, options: { commitInPull?: boolean } = {}) {
    this.ctx = ctx;
    this.arrived = arrived;
    this.commitInPull = options.commitInPull ?? true;
  }

  /** Pulls the queue until it is dropped or the consumer stops. */
  async pullLoop(pq: ProcessQueue): Promise<void> {
    const { instance, options: o, offsets } = this.ctx;
    const { mq } = pq;
    while (!pq.dropped && this.ctx.isRunning()) {
      if (pq.unackedCount >= o.pullThresholdForQueue) {
        await this.ctx.sleep(50);
        continue;
      }
      // Orderly: nothing is read while another member may still own the queue (lock lost or not yet renewed).
      if (o.orderly && o.messageModel === 'CLUSTERING' && !pq.isLocked()) {
        await this.ctx.sleep(1_000);
        continue;
      }
      const sub = this.ctx.subscriptionOf(mq.topic);
      if (!sub) return;
      const broker = instance.brokerAddress(mq.brokerName, pq.suggestedBrokerId);
      if (!broker) {
        await instance.refreshRoute(mq.topic).catch(() => undefined);
        await this.ctx.sleep(o.pullErrorBackoffMs);
        continue;
      }
      const commitOffset = o.messageModel === 'CLUSTERING' && this.commitInPull ? pq.commitOffset : 0;
      const fromMaster = broker === instance.brokerAddress(mq.brokerName);
      try {
        const r = await instance.api.pullMessage(broker, {
          consumerGroup: this.ctx.group,
          topic: mq.topic,
          queueId: mq.queueId,
          queueOffset: pq.nextOffset,
          maxMsgNums: o.pullBatchSize,
          sysFlag: buildPullSysFlag({ commitOffset: commitOffset > 0 && fromMaster, suspend: true }),
          commitOffset,
          suspendTimeoutMillis: o.suspendTimeoutMs,
          subVersion: sub.subVersion,
          expressionType: sub.expressionType,
          brokerName: mq.brokerName,
        }, o.suspendTimeoutMs + 15_000);
        if (pq.dropped || !this.ctx.isRunning()) return;
        pq.suggestedBrokerId = r.suggestWhichBrokerId;
        if (r.code === ResponseCode.SUCCESS) {
          const msgs = r.body ? decodePulledMessages(r.body, mq, r, (offset, why) =>
            instance.log.warn(`message ${mq.topic}/${mq.queueId}@${offset}: ${why}`)) : [];
          const kept = msgs.filter((m) => matchesSubscription(sub, m.tags));
          pq.accept(kept, r.nextBeginOffset);
          if (kept.length > 0) this.arrived(pq);
        } else if (r.code === ResponseCode.PULL_OFFSET_MOVED) {
          instance.log.warn(`offset ${pq.nextOffset} of ${pq.key} is out of range; moving to ${r.nextBeginOffset}`);
          pq.moveTo(r.nextBeginOffset);
          offsets.update(mq, pq.commitOffset);
          await offsets.persist([mq], false);
        } else {
          pq.moveTo(r.nextBeginOffset);
        }
      } catch (err) {
        if (pq.dropped || !this.ctx.isRunning()) return;
        instance.log.warn(`pull ${pq.key} from ${broker}: ${(err as Error).message}`);
        if (err instanceof ClientError && err.responseCode !== undefined && RESUBSCRIBE_CODES.has(err.responseCode)) this.resubscribe();
        await this.ctx.sleep(o.pullErrorBackoffMs);
      }
    }
  }

  /** Heartbeat again (at most every few seconds) when a broker forgot our subscription. */
  private resubscribe(): void {
    const now = Date.now();
    if (now - this.lastResubscribe < 2_000) return;
    this.lastResubscribe = now;
    void this.ctx.instance.heartbeatAll().catch(() => {});
  }
}
