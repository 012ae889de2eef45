import type { Logger } from '../logging/logger.ts';
import { MessageConst } from '../message/properties.ts';
import { MessageSysFlag, transactionType } from '../message/sys-flag.ts';
import { SystemTopic } from '../protocol/index.ts';
import { JsonConfigFile } from '../store/json-config-file.ts';
import type { MessageStore, MessageToStore } from '../store/message-store.ts';
import { encodeProperties } from '../message/properties.ts';
import { TIMER_PROPERTIES_A_DELAY_LEVEL_OVERRIDES } from './timer-request.ts';

/** "1s 5s 10s 30s 1m ..." -> milliseconds per level (level 1 first). */
export function parseDelayLevels(text: string): number[] {
  const unit: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return text.trim().split(/\s+/).map((token) => {
    const m = /^(\d+)([smhd])$/.exec(token);
    if (!m) throw new Error(`messageDelayLevel: "${token}" is not a number followed by s, m, h or d`);
    return Number(m[1]) * unit[m[2]!]!;
  });
}

/**
 * Rewrites a message that asks for a delay level into SCHEDULE_TOPIC_XXXX (queue = level - 1), keeping where it
 * must go in REAL_TOPIC / REAL_QID. Transactional half messages are never delayed. Returns whether it did.
 * As in RocketMQ, the level wins over timer properties, which are dropped so nothing later reads them as a timer.
 */
export function applyDelayLevel(msg: MessageToStore, props: Map<string, string>, maxLevel: number): boolean {
  const level = Number(props.get(MessageConst.DELAY) ?? 0);
  if (!(level > 0) || msg.topic === SystemTopic.SCHEDULE) return false;
  const tx = transactionType(msg.sysFlag);
  if (tx !== MessageSysFlag.TRANSACTION_NOT_TYPE && tx !== MessageSysFlag.TRANSACTION_COMMIT_TYPE) return false;
  const capped = Math.min(level, maxLevel);
  for (const key of TIMER_PROPERTIES_A_DELAY_LEVEL_OVERRIDES) props.delete(key);
  props.set(MessageConst.DELAY, String(capped));
  props.set(MessageConst.REAL_TOPIC, msg.topic);
  props.set(MessageConst.REAL_QID, String(msg.queueId));
  msg.topic = SystemTopic.SCHEDULE;
  msg.queueId = capped - 1;
  msg.properties = encodeProperties(props);
  return true;
}

interface DelayOffsetsFile {
  offsetTable: Record<string, number>;
}

/**
 * Delivers delayed messages: one cursor per level over its SCHEDULE_TOPIC_XXXX queue. A message is due at its
 * store time plus the level's delay; it is then written again to its real topic and queue, and the cursor moves.
 * Messages of one level are due in store order, so each level stops at its first not-yet-due message.
 */
export class ScheduleMessageService {
  readonly delays: number[];
  private readonly offsets = new Map<number, number>();
  private readonly store: MessageStore;
  private readonly file: JsonConfigFile<DelayOffsetsFile>;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private running = false;
  private busy = false;

  constructor(store: MessageStore, levels: string, filePath: string, log: Logger) {
    this.store = store;
    this.delays = parseDelayLevels(levels);
    this.file = new JsonConfigFile<DelayOffsetsFile>(filePath, log);
    this.log = log;
  }

  get maxLevel(): number {
    return this.delays.length;
  }

  start(): void {
    const saved = this.file.load();
    for (const [level, offset] of Object.entries(saved?.offsetTable ?? {})) this.offsets.set(Number(level), Number(offset));
    this.running = true;
    this.timer = setInterval(() => void this.tick(), 100);
    this.timer.unref();
    this.persistTimer = setInterval(() => this.persist(), 10_000);
    this.persistTimer.unref();
  }

  /** Delivery offsets per level (GET_ALL_DELAY_OFFSET, slave sync). */
  offsetTable(): Record<string, number> {
    return Object.fromEntries([...this.offsets].map(([l, o]) => [String(l), o]));
  }

  /** A slave keeps its master's delivery progress (and persists it) for when it takes over. */
  setOffsets(table: Record<string, number>): void {
    for (const [level, offset] of Object.entries(table)) this.offsets.set(Number(level), Number(offset));
    this.persist();
  }

  async tick(now = Date.now()): Promise<void> {
    if (!this.running || this.busy) return;
    this.busy = true;
    try {
      for (let level = 1; level <= this.delays.length; level++) await this.deliverLevel(level, now);
    } catch (err) {
      this.log.error(`delayed delivery failed: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private async deliverLevel(level: number, now: number): Promise<void> {
    const queueId = level - 1;
    const delay = this.delays[queueId]!;
    let offset = Math.max(this.offsets.get(level) ?? 0, this.store.getMinOffsetInQueue(SystemTopic.SCHEDULE, queueId));
    const max = this.store.getMaxOffsetInQueue(SystemTopic.SCHEDULE, queueId);
    while (this.running && offset < max) {
      const storedAt = this.store.getMessageStoreTimeStamp(SystemTopic.SCHEDULE, queueId, offset);
      if (storedAt < 0) {
        offset++;
        continue;
      }
      if (storedAt + delay > now) break;
      const phy = this.store.getCommitLogOffsetInQueue(SystemTopic.SCHEDULE, queueId, offset);
      const msg = phy >= 0 ? this.store.lookMessageByOffset(phy) : null;
      if (msg) {
        const props = new Map(msg.properties);
        const realTopic = props.get(MessageConst.REAL_TOPIC);
        const realQid = Number(props.get(MessageConst.REAL_QID));
        props.delete(MessageConst.DELAY);
        props.delete(MessageConst.REAL_TOPIC);
        props.delete(MessageConst.REAL_QID);
        if (realTopic && Number.isInteger(realQid)) {
          const result = await this.store.putMessage({
            topic: realTopic, queueId: realQid, flag: msg.flag, sysFlag: msg.sysFlag, bornTimestamp: msg.bornTimestamp,
            bornHost: msg.bornHost, storeHost: msg.storeHost, reconsumeTimes: msg.reconsumeTimes,
            preparedTransactionOffset: msg.preparedTransactionOffset, body: Buffer.from(msg.body), properties: encodeProperties(props),
          });
          if (result.status !== 'PUT_OK' && result.status !== 'FLUSH_DISK_TIMEOUT') {
            this.log.warn(`delayed message for ${realTopic} not delivered (${result.status}); retrying`);
            break;
          }
        } else {
          this.log.warn(`delayed message at ${phy} has no REAL_TOPIC/REAL_QID; skipped`);
        }
      }
      offset++;
      this.offsets.set(level, offset);
    }
  }

  persist(): void {
    this.file.save({ offsetTable: this.offsetTable() });
  }

  shutdown(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.persistTimer) clearInterval(this.persistTimer);
    this.persist();
  }
}
