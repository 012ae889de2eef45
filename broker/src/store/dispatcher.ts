import { javaStringHash } from '../message/java-string-hash.ts';
import { MessageConst, decodeProperties, findProperty } from '../message/properties.ts';
import { RecordStatus, newRecordSummary, readRecordSummary } from '../message/stored-message.ts';
import { MessageSysFlag, transactionType } from '../message/sys-flag.ts';
import type { ConsumeQueue } from './consume-queue.ts';
import type { ConsumeQueueTable } from './consume-queue-table.ts';
import type { IndexService } from './index-service.ts';

/**
 * Told when a message became pullable. `logicOffset` is the queue's new max offset (the
 * message's queue offset + 1), what a held pull compares its request offset against.
 */
export type MessageArrivingListener = (
  topic: string,
  queueId: number,
  logicOffset: number,
  tagsCode: number,
  storeTimestamp: number,
  properties: Map<string, string>,
) => void;

interface Arrival {
  topic: string;
  queueId: number;
  logicOffset: number;
  tagsCode: number;
  storeTimestamp: number;
  properties: Map<string, string>;
}

/**
 * The reput service: turns CommitLog bytes into ConsumeQueue units. It runs synchronously
 * on each batch right after the batch reaches the page cache (the bytes are still in the
 * write buffer), and at startup over records the ConsumeQueues do not cover yet.
 */
export class Dispatcher {
  private readonly queues: ConsumeQueueTable;
  private readonly listeners: MessageArrivingListener[] = [];
  private readonly summary = newRecordSummary();
  private readonly touched = new Set<ConsumeQueue>();
  private arrivals: Arrival[] = [];
  /** Every record before this physical offset has been dispatched. */
  dispatchedOffset = 0;
  lastDispatchedStoreTimestamp = 0;

  private readonly onListenerError: (err: unknown) => void;
  private readonly index: IndexService | null;

  constructor(queues: ConsumeQueueTable, onListenerError: (err: unknown) => void, index: IndexService | null = null) {
    this.queues = queues;
    this.onListenerError = onListenerError;
    this.index = index;
  }

  addListener(listener: MessageArrivingListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Dispatches the complete records in buf[start, end), where buf[start] is at physical
   * offset `physicalStart`. Returns the bytes consumed: it stops before a record cut by
   * `end` (a caller reading files in chunks continues from there) and at a blank record,
   * which it consumes whole (the blank ends its segment). Arrivals are queued for
   * deliverArrivals().
   */
  dispatch(buf: Buffer, start: number, end: number, physicalStart: number): number {
    const s = this.summary;
    const collect = this.listeners.length > 0;
    let pos = start;
    while (pos < end) {
      readRecordSummary(buf, pos, s, end - pos);
      if (s.status === RecordStatus.BLANK) {
        pos += s.totalSize;
        break;
      }
      if (s.status !== RecordStatus.MESSAGE) break;
      const tranType = transactionType(s.sysFlag);
      const physicalOffset = physicalStart + (pos - start);
      let propsText: string | undefined;
      if (this.index !== null && tranType !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
        propsText = buf.toString('utf8', s.propertiesPosition, s.propertiesPosition + s.propertiesLength);
        const uniqKey = findProperty(propsText, MessageConst.UNIQ_KEY);
        const keys = findProperty(propsText, MessageConst.KEYS);
        if (uniqKey !== undefined || keys !== undefined) this.index.add(s.topic, physicalOffset, s.storeTimestamp, s.sysFlag, uniqKey, keys);
      }
      if (tranType !== MessageSysFlag.TRANSACTION_PREPARED_TYPE && tranType !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
        propsText ??= buf.toString('utf8', s.propertiesPosition, s.propertiesPosition + s.propertiesLength);
        let properties: Map<string, string> | undefined;
        let tags: string | undefined;
        if (collect) {
          properties = decodeProperties(propsText);
          tags = properties.get(MessageConst.TAGS);
        } else {
          tags = findProperty(propsText, MessageConst.TAGS);
        }
        const tagsCode = tags !== undefined && tags.length > 0 ? javaStringHash(tags) : 0;
        const cq = this.queues.findOrCreate(s.topic, s.queueId);
        if (cq.append(physicalOffset, s.totalSize, tagsCode, s.queueOffset)) {
          this.touched.add(cq);
          if (properties !== undefined) {
            this.arrivals.push({
              topic: s.topic,
              queueId: s.queueId,
              logicOffset: s.queueOffset + 1,
              tagsCode,
              storeTimestamp: s.storeTimestamp,
              properties,
            });
          }
        }
      }
      this.lastDispatchedStoreTimestamp = s.storeTimestamp;
      pos += s.totalSize;
    }
    for (const cq of this.touched) cq.writePending();
    this.touched.clear();
    this.index?.writePending();
    const consumed = pos - start;
    this.dispatchedOffset = physicalStart + consumed;
    return consumed;
  }

  get hasArrivals(): boolean {
    return this.arrivals.length > 0;
  }

  /** Calls the listeners for everything dispatched since the last call. */
  deliverArrivals(): void {
    const batch = this.arrivals;
    this.arrivals = [];
    for (const a of batch) {
      for (const l of this.listeners) {
        try {
          l(a.topic, a.queueId, a.logicOffset, a.tagsCode, a.storeTimestamp, a.properties);
        } catch (err) {
          // A listener's failure must not stop dispatch or other listeners.
          this.onListenerError(err);
        }
      }
    }
  }

  /** Forgets queued arrivals (recovery dispatches before anyone listens). */
  dropArrivals(): void {
    this.arrivals = [];
  }
}
