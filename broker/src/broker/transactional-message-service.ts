import type { Logger } from '../logging/logger.ts';
import type { HostAddress } from '../message/host-address.ts';
import { decodeStoredMessages, encodeStoredMessage, type MessageExt } from '../message/stored-message.ts';
import { decodeProperties, encodeProperties, MessageConst } from '../message/properties.ts';
import { MessageSysFlag, withTransactionType } from '../message/sys-flag.ts';
import { SystemTopic, type EndTransactionHeader } from '../protocol/index.ts';
import { createRequest, RequestCode } from '../remoting/index.ts';
import type { MessageStore, MessageToStore, PutMessageResult } from '../store/message-store.ts';
import type { ProducerManager } from './consumer-manager.ts';
import { applyDelayLevel } from './schedule-message-service.ts';
import { applyTimer, type TimerSettings } from './timer-request.ts';

export interface TransactionConfig {
  /** How often unresolved half messages are looked at (RocketMQ 5.x: 30 s). */
  transactionCheckInterval: number;
  /** A half message younger than this is left alone (6 s). */
  transactionTimeOut: number;
  /** After this many check-backs a half message is given up (15). */
  transactionCheckMax: number;
}

interface HalfState {
  checks: number;
  lastCheck: number;
}

/** END_TRANSACTION outcomes (commitOrRollback). */
export const TransactionOutcome = { UNKNOWN: 0, COMMIT: 8, ROLLBACK: 12 } as const;

/**
 * Transactional messages, RocketMQ's way: a half message waits in RMQ_SYS_TRANS_HALF_TOPIC (invisible to consumers);
 * END_TRANSACTION commits it (a copy goes to the real topic) or rolls it back; either way an op message in
 * RMQ_SYS_TRANS_OP_HALF_TOPIC marks it resolved. Unresolved halves older than transactionTimeOut are checked back
 * with the producer group (CHECK_TRANSACTION_STATE) every transactionCheckInterval, up to transactionCheckMax times.
 */
export class TransactionalMessageService {
  private readonly store: MessageStore;
  private readonly producers: ProducerManager;
  private readonly config: TransactionConfig;
  private readonly storeHost: HostAddress;
  private readonly brokerName: string;
  private readonly log: Logger;
  /** Half-queue offsets with an op message. */
  private readonly resolved = new Set<number>();
  private readonly states = new Map<number, HalfState>();
  /** Every half below this offset is resolved or given up. */
  private scanFrom = 0;
  private timer: NodeJS.Timeout | undefined;

  /** The highest delay level (DELAY is capped to it when a commit applies it). */
  private readonly maxDelayLevel: number;
  private readonly timerSettings: TimerSettings;

  constructor(opts: {
    store: MessageStore; producers: ProducerManager; config: TransactionConfig; storeHost: HostAddress; brokerName: string; log: Logger;
    maxDelayLevel: number; timer: TimerSettings;
  }) {
    this.store = opts.store;
    this.timerSettings = opts.timer;
    this.maxDelayLevel = opts.maxDelayLevel;
    this.producers = opts.producers;
    this.config = opts.config;
    this.storeHost = opts.storeHost;
    this.brokerName = opts.brokerName;
    this.log = opts.log;
  }

  /** Rebuilds the resolved set from the op queue, then checks periodically. */
  start(): void {
    const max = this.store.getMaxOffsetInQueue(SystemTopic.TRANS_OP_HALF, 0);
    for (let offset = this.store.getMinOffsetInQueue(SystemTopic.TRANS_OP_HALF, 0); offset < max;) {
      const r = this.store.getMessage(SystemTopic.TRANS_OP_HALF, 0, offset, 32);
      if (r.messageCount === 0) break;
      for (const op of decodeStoredMessages(r.body)) this.markResolved(op.body.toString());
      offset = r.nextBeginOffset;
    }
    this.timer = setInterval(() => void this.check().catch((err) => this.log.error(`transaction check failed: ${(err as Error).message}`)),
      this.config.transactionCheckInterval);
    this.timer.unref();
  }

  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private markResolved(body: string): void {
    for (const part of body.split(',')) {
      const n = Number(part);
      if (Number.isInteger(n) && n >= 0) {
        this.resolved.add(n);
        this.states.delete(n);
      }
    }
  }

  /** Turns a prepared message into a half message (in place): it waits in the half topic with where it must go. */
  prepare(msg: MessageToStore, props: Map<string, string>): void {
    props.set(MessageConst.REAL_TOPIC, msg.topic);
    props.set(MessageConst.REAL_QID, String(msg.queueId));
    const uniq = props.get(MessageConst.UNIQ_KEY);
    if (uniq) props.set(MessageConst.TRANSACTION_ID, uniq);
    msg.topic = SystemTopic.TRANS_HALF;
    msg.queueId = 0;
    msg.sysFlag = withTransactionType(msg.sysFlag, MessageSysFlag.TRANSACTION_NOT_TYPE);
    msg.properties = encodeProperties(props);
  }

  /**
   * END_TRANSACTION. Returns an error text when the request does not match the half message it names
   * (wrong producer group or offsets), else undefined. `decided` hears of each transaction this request ended
   * (not a duplicate), with the topic it was sent to.
   */
  async end(req: EndTransactionHeader, decided?: (topic: string, committed: boolean) => void): Promise<string | undefined> {
    if (req.commitOrRollback === TransactionOutcome.UNKNOWN) return undefined;
    if (req.commitOrRollback !== TransactionOutcome.COMMIT && req.commitOrRollback !== TransactionOutcome.ROLLBACK) {
      return `commitOrRollback ${req.commitOrRollback} is neither 8 (commit) nor 12 (rollback)`;
    }
    const half = this.store.lookMessageByOffset(req.commitLogOffset);
    if (!half || half.topic !== SystemTopic.TRANS_HALF) return `no half message at commit log offset ${req.commitLogOffset}`;
    if (half.properties.get(MessageConst.PGROUP) !== req.producerGroup) {
      return `the producer group ${req.producerGroup} is not the half message's (${half.properties.get(MessageConst.PGROUP)})`;
    }
    if (half.queueOffset !== req.tranStateTableOffset) return `tranStateTableOffset ${req.tranStateTableOffset} is not the half message's ${half.queueOffset}`;
    if (this.resolved.has(half.queueOffset)) return undefined; // already decided (a late duplicate or check answer)
    if (req.commitOrRollback === TransactionOutcome.COMMIT) {
      const committed = this.committedCopy(half);
      // A DELAY the half message carried takes effect now, as in RocketMQ: the committed message waits its level.
      // So does a timer property, relative to the commit.
      const props = decodeProperties(committed.properties);
      if (!applyDelayLevel(committed, props, this.maxDelayLevel)) {
        try {
          applyTimer(committed, props, this.timerSettings, Date.now());
        } catch (err) {
          return `commit failed: ${(err as Error).message}`;
        }
      }
      const result = await this.store.putMessage(committed);
      if (result.status !== 'PUT_OK' && result.status !== 'FLUSH_DISK_TIMEOUT') return `commit failed: ${result.status}`;
    }
    await this.writeOp(half.queueOffset);
    decided?.(half.properties.get(MessageConst.REAL_TOPIC) ?? half.topic, req.commitOrRollback === TransactionOutcome.COMMIT);
    return undefined;
  }

  private committedCopy(half: MessageExt): MessageToStore {
    const props = new Map(half.properties);
    const topic = props.get(MessageConst.REAL_TOPIC)!;
    const queueId = Number(props.get(MessageConst.REAL_QID));
    props.delete(MessageConst.REAL_TOPIC);
    props.delete(MessageConst.REAL_QID);
    props.delete(MessageConst.TRAN_MSG);
    return {
      topic, queueId, flag: half.flag, sysFlag: withTransactionType(half.sysFlag, MessageSysFlag.TRANSACTION_COMMIT_TYPE),
      bornTimestamp: half.bornTimestamp, bornHost: half.bornHost, storeHost: half.storeHost, reconsumeTimes: half.reconsumeTimes,
      preparedTransactionOffset: half.commitLogOffset, body: Buffer.from(half.body), properties: encodeProperties(props),
    };
  }

  private async writeOp(halfQueueOffset: number): Promise<PutMessageResult> {
    const result = await this.store.putMessage({
      topic: SystemTopic.TRANS_OP_HALF, queueId: 0, flag: 0, sysFlag: 0, bornTimestamp: Date.now(), bornHost: this.storeHost,
      storeHost: this.storeHost, reconsumeTimes: 0, preparedTransactionOffset: 0, body: Buffer.from(String(halfQueueOffset)),
      properties: encodeProperties({ [MessageConst.TAGS]: 'd' }),
    });
    this.markResolved(String(halfQueueOffset));
    return result;
  }

  /** One pass over unresolved half messages: ask producers about the old ones, give up on the hopeless. */
  async check(now = Date.now()): Promise<void> {
    const max = this.store.getMaxOffsetInQueue(SystemTopic.TRANS_HALF, 0);
    this.scanFrom = Math.max(this.scanFrom, this.store.getMinOffsetInQueue(SystemTopic.TRANS_HALF, 0));
    let allResolvedBelow = true;
    for (let offset = this.scanFrom; offset < max; offset++) {
      if (this.resolved.has(offset)) {
        if (allResolvedBelow) this.scanFrom = offset + 1;
        continue;
      }
      allResolvedBelow = false;
      const phy = this.store.getCommitLogOffsetInQueue(SystemTopic.TRANS_HALF, 0, offset);
      const half = phy >= 0 ? this.store.lookMessageByOffset(phy) : null;
      if (!half) continue;
      const immunity = Number(half.properties.get(MessageConst.CHECK_IMMUNITY_TIME_IN_SECONDS) ?? 0) * 1000;
      if (now - half.storeTimestamp < Math.max(this.config.transactionTimeOut, immunity)) break; // younger ones follow
      const state = this.states.get(offset) ?? { checks: 0, lastCheck: 0 };
      if (state.checks >= this.config.transactionCheckMax) {
        this.log.warn(`half message ${half.properties.get(MessageConst.UNIQ_KEY)} checked ${state.checks} times: given up`);
        await this.store.putMessage({ ...this.committedCopy(half), topic: SystemTopic.TRANS_CHECK_MAX_TIME, queueId: 0, sysFlag: half.sysFlag });
        await this.writeOp(offset);
        continue;
      }
      state.checks++;
      state.lastCheck = now;
      this.states.set(offset, state);
      this.checkBack(half);
    }
  }

  /** CHECK_TRANSACTION_STATE (oneway) to one live producer of the half message's group. */
  private checkBack(half: MessageExt): void {
    const group = half.properties.get(MessageConst.PGROUP) ?? '';
    const channel = this.producers.channels(group).find((c) => !c.connection.closed);
    if (!channel) {
      this.log.debug(`no live producer of group ${group} to check half message ${half.msgId}`);
      return;
    }
    const uniq = half.properties.get(MessageConst.UNIQ_KEY) ?? half.msgId;
    const props = new Map(half.properties);
    const realTopic = props.get(MessageConst.REAL_TOPIC) ?? half.topic;
    const realQid = Number(props.get(MessageConst.REAL_QID) ?? half.queueId);
    // The producer sees the message as it will be: real topic and queue.
    const body = encodeStoredMessage({
      topic: realTopic, queueId: realQid, flag: half.flag, queueOffset: half.queueOffset, physicalOffset: half.commitLogOffset,
      sysFlag: half.sysFlag, bornTimestamp: half.bornTimestamp, bornHost: half.bornHost, storeTimestamp: half.storeTimestamp,
      storeHost: half.storeHost, reconsumeTimes: half.reconsumeTimes, preparedTransactionOffset: half.preparedTransactionOffset,
      body: half.body, properties: encodeProperties(props),
    });
    channel.connection.invokeOneway(createRequest(RequestCode.CHECK_TRANSACTION_STATE, {
      topic: realTopic, tranStateTableOffset: half.queueOffset, commitLogOffset: half.commitLogOffset, msgId: uniq,
      transactionId: props.get(MessageConst.TRANSACTION_ID) ?? uniq, offsetMsgId: half.msgId, bname: this.brokerName,
    }, body));
  }
}
