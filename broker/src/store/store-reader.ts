/**
 * The reader: pulls from a queue (ConsumeQueue units filtered by tag hash or properties, record
 * bytes from the CommitLog), offset and store-time lookups, raw CommitLog reads for replication,
 * and QUERY_MESSAGE through the IndexFiles.
 */
import { KEY_SEPARATOR, MessageConst, findProperty } from '../message/properties.ts';
import { RecordStatus, decodeStoredMessage, newRecordSummary, readRecordProperties, readRecordSummary, readStoreTimestamp } from '../message/stored-message.ts';
import type { MessageExt } from '../message/stored-message.ts';
import type { CommitLog } from './commit-log.ts';
import type { ConsumeQueue } from './consume-queue.ts';
import { BLANK_UNIT_SIZE, CQ_STORE_UNIT_SIZE, unitOffset, unitSize, unitTagsCode } from './consume-queue.ts';
import type { ConsumeQueueTable } from './consume-queue-table.ts';
import { GetMessageStatus } from './get-message-result.ts';
import type { GetMessageResult, PropertiesFilter, TagsCodeFilter } from './get-message-result.ts';
import type { IndexService } from './index-service.ts';
import type { MessageStoreConfig } from './message-store-config.ts';

/** What QUERY_MESSAGE returns: the matching records and where the index stood. */
export interface QueryMessageResult {
  /** The records, byte for byte as stored, oldest first: the response body. */
  body: Buffer;
  messages: Buffer[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

/** GET_BROKER_RUNTIME_INFO's get counters. */
export interface GetCounters {
  getMessageTimesTotalFound: number;
  getMessageTimesTotalMiss: number;
  getMessageTransferedMsgCount: number;
}

export interface StoreReaderParts {
  config: MessageStoreConfig;
  commitLog: CommitLog;
  queues: ConsumeQueueTable;
  index: IndexService | null;
  /** Whether the store's files are closed. */
  shutDown: () => boolean;
  /** End of the records served by offset (a replicated store's confirm offset). */
  visibleEnd: () => number;
}

const EMPTY = Buffer.alloc(0);

/** Whether a record belongs to `topic` and carries `key` as its UNIQ_KEY or one of its KEYS. */
function recordHasKey(rec: Buffer, topic: string, key: string): boolean {
  const s = readRecordSummary(rec, 0, newRecordSummary(), rec.length);
  if (s.status !== RecordStatus.MESSAGE || s.topic !== topic) return false;
  const props = rec.toString('utf8', s.propertiesPosition, s.propertiesPosition + s.propertiesLength);
  if (findProperty(props, MessageConst.UNIQ_KEY) === key) return true;
  const keys = findProperty(props, MessageConst.KEYS);
  return keys !== undefined && keys.split(KEY_SEPARATOR).includes(key);
}

export class StoreReader {
  readonly counters: GetCounters = { getMessageTimesTotalFound: 0, getMessageTimesTotalMiss: 0, getMessageTransferedMsgCount: 0 };
  private readonly config: MessageStoreConfig;
  private readonly commitLog: CommitLog;
  private readonly queues: ConsumeQueueTable;
  private readonly index: IndexService | null;
  private readonly shutDown: () => boolean;
  private readonly visibleEnd: () => number;
  private unitScratch = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE * 1024);

  constructor(parts: StoreReaderParts) {
    this.config = parts.config;
    this.commitLog = parts.commitLog;
    this.queues = parts.queues;
    this.index = parts.index;
    this.shutDown = parts.shutDown;
    this.visibleEnd = parts.visibleEnd;
  }

  /**
   * Reads up to `maxMsgNums` messages of a queue from queue offset `offset` (§6.7): stops at
   * maxMsgNums, at 32 messages or 256 KiB (RocketMQ's in-memory caps; always at least one
   * message), or after scanning max(16000 bytes, maxMsgNums units) of ConsumeQueue.
   */
  getMessage(
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
    matchTagsCode?: TagsCodeFilter,
    matchProperties?: PropertiesFilter,
  ): GetMessageResult {
    if (this.shutDown()) throw new Error('message store is shut down');
    const cq = this.queues.find(topic, queueId);
    // A queue never written to is an empty queue (RocketMQ creates it on first look).
    const minOffset = cq?.minOffset ?? 0;
    const maxOffset = cq?.maxOffset ?? 0;
    const result: GetMessageResult = {
      status: GetMessageStatus.NO_MESSAGE_IN_QUEUE,
      nextBeginOffset: offset,
      minOffset,
      maxOffset,
      body: EMPTY,
      messages: [],
      messageQueueOffsets: [],
      messageCount: 0,
      bufferTotalSize: 0,
      suggestPullingFromSlave: false,
    };
    if (cq === undefined || maxOffset === 0) {
      result.status = GetMessageStatus.NO_MESSAGE_IN_QUEUE;
      result.nextBeginOffset = 0;
    } else if (offset < minOffset) {
      result.status = GetMessageStatus.OFFSET_TOO_SMALL;
      result.nextBeginOffset = minOffset;
    } else if (offset === maxOffset) {
      result.status = GetMessageStatus.OFFSET_OVERFLOW_ONE;
      result.nextBeginOffset = offset;
    } else if (offset > maxOffset) {
      result.status = GetMessageStatus.OFFSET_OVERFLOW_BADLY;
      result.nextBeginOffset = maxOffset;
    } else {
      this.readMessages(cq, offset, maxMsgNums, matchTagsCode, matchProperties, result);
    }
    if (result.status === GetMessageStatus.FOUND) {
      this.counters.getMessageTimesTotalFound++;
      this.counters.getMessageTransferedMsgCount += result.messageCount;
    } else {
      this.counters.getMessageTimesTotalMiss++;
    }
    return result;
  }

  private readMessages(
    cq: ConsumeQueue,
    offset: number,
    maxMsgNums: number,
    byTags: TagsCodeFilter | undefined,
    byProps: PropertiesFilter | undefined,
    result: GetMessageResult,
  ): void {
    const cfg = this.config;
    const scanUnits = Math.floor(Math.max(cfg.maxFilterMessageSize, maxMsgNums * CQ_STORE_UNIT_SIZE) / CQ_STORE_UNIT_SIZE);
    if (this.unitScratch.length < scanUnits * CQ_STORE_UNIT_SIZE) this.unitScratch = Buffer.allocUnsafe(scanUnits * CQ_STORE_UNIT_SIZE);
    const units = this.unitScratch;
    const n = cq.readUnits(offset, scanUnits, units);
    if (n === 0) {
      result.status = GetMessageStatus.OFFSET_FOUND_NULL;
      result.nextBeginOffset = offset;
      return;
    }
    const countCap = Math.min(Math.max(1, maxMsgNums), cfg.maxTransferCountOnMessageInMemory);
    const byteCap = cfg.maxTransferBytesOnMessageInMemory;

    // Pick the units first (sizes are known from the ConsumeQueue), then read.
    const offs: number[] = [];
    const sizes: number[] = [];
    const queueOffsets: number[] = [];
    let status: GetMessageStatus = GetMessageStatus.NO_MATCHED_MESSAGE;
    let bytes = 0;
    let i = 0;
    const pieces: Buffer[] = [];
    for (; i < n; i++) {
      const size = unitSize(units, i);
      if (offs.length > 0 && (offs.length >= countCap || bytes + size > byteCap)) break;
      if (size === BLANK_UNIT_SIZE || size <= 0) continue;
      if (byTags !== undefined && !byTags(unitTagsCode(units, i))) continue;
      const phys = unitOffset(units, i);
      if (byProps !== undefined) {
        // Must read the record to decide; keep it if it matches.
        const rec = Buffer.allocUnsafe(size);
        if (!this.commitLog.read(phys, size, rec, 0) || rec.readInt32BE(0) !== size) {
          if (offs.length === 0) status = GetMessageStatus.MESSAGE_WAS_REMOVING;
          continue;
        }
        let matched = false;
        try {
          matched = byProps(readRecordProperties(rec, 0));
        } catch {
          matched = false;
        }
        if (!matched) continue;
        pieces.push(rec);
      }
      offs.push(phys);
      sizes.push(size);
      queueOffsets.push(offset + i);
      bytes += size;
    }
    result.nextBeginOffset = offset + i;
    if (offs.length === 0) {
      result.status = status;
      return;
    }

    let body: Buffer;
    let count = offs.length;
    if (byProps !== undefined) {
      body = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes);
    } else {
      body = Buffer.allocUnsafe(bytes);
      // One read per run of records that sit back to back in the CommitLog.
      let k = 0;
      let at = 0;
      while (k < offs.length) {
        let runBytes = sizes[k]!;
        let j = k + 1;
        while (j < offs.length && offs[j] === offs[j - 1]! + sizes[j - 1]!) runBytes += sizes[j++]!;
        if (!this.commitLog.read(offs[k]!, runBytes, body, at)) {
          // Serve what came before the unreadable record; the client continues after it.
          count = k;
          result.nextBeginOffset = k === 0 ? queueOffsets[0]! + 1 : queueOffsets[k]!;
          if (k === 0) status = GetMessageStatus.MESSAGE_WAS_REMOVING;
          break;
        }
        at += runBytes;
        k = j;
      }
      for (let r = 0, p = 0; r < count; p += sizes[r]!, r++) {
        if (body.readInt32BE(p) !== sizes[r]) {
          // Cannot happen unless the files were damaged under us: serve the good prefix.
          count = r;
          result.nextBeginOffset = r === 0 ? queueOffsets[0]! + 1 : queueOffsets[r]!;
          if (r === 0) status = GetMessageStatus.MESSAGE_WAS_REMOVING;
          break;
        }
      }
    }
    if (count === 0) {
      result.status = status;
      return;
    }
    let total = 0;
    for (let r = 0; r < count; r++) {
      result.messages.push(body.subarray(total, total + sizes[r]!));
      total += sizes[r]!;
    }
    result.body = total === body.length ? body : body.subarray(0, total);
    result.messageQueueOffsets = count === queueOffsets.length ? queueOffsets : queueOffsets.slice(0, count);
    result.messageCount = count;
    result.bufferTotalSize = total;
    result.status = GetMessageStatus.FOUND;
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.find(topic, queueId)?.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.find(topic, queueId)?.minOffset ?? 0;
  }

  /** CommitLog offset of the message at a queue offset; -1 if there is none. */
  getCommitLogOffsetInQueue(topic: string, queueId: number, consumeQueueOffset: number): number {
    if (this.shutDown()) return -1;
    const u = this.queues.find(topic, queueId)?.readUnit(consumeQueueOffset);
    return u === null || u === undefined || u.size === BLANK_UNIT_SIZE ? -1 : u.commitLogOffset;
  }

  /**
   * Binary search on the store times read from the CommitLog. `lower`: the first queue offset stored at or after
   * `timestamp`, the max offset when every message is older. `upper`: the last one stored at or before it, the last
   * message when every one is older, and 0 when every one is newer (RocketMQ's answers at both edges).
   */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number, boundary: 'lower' | 'upper' = 'lower'): number {
    const cq = this.queues.find(topic, queueId);
    if (cq === undefined) return 0;
    // Upper is one before the first message stored after the timestamp.
    const after = (t: number) => boundary === 'upper' ? t > timestamp : t >= timestamp;
    let lo = cq.minOffset;
    let hi = cq.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (after(this.storeTimeAt(cq, mid))) hi = mid;
      else lo = mid + 1;
    }
    if (boundary === 'lower') return lo;
    return lo > cq.minOffset ? lo - 1 : 0;
  }

  /** Store time of the message at a queue offset; -1 if unreadable. */
  private storeTimeAt(cq: ConsumeQueue, queueOffset: number): number {
    if (this.shutDown()) return -1;
    const u = cq.readUnit(queueOffset);
    if (u === null || u.size === BLANK_UNIT_SIZE) return -1;
    return this.readStoreTime(u.commitLogOffset);
  }

  private readStoreTime(commitLogOffset: number): number {
    const head = Buffer.allocUnsafe(80);
    if (!this.commitLog.read(commitLogOffset, 80, head, 0)) return -1;
    return readStoreTimestamp(head, 0);
  }

  /** Store time of the message at a queue offset; -1 if there is none. */
  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number {
    const cq = this.queues.find(topic, queueId);
    if (cq === undefined) return -1;
    return this.storeTimeAt(cq, consumeQueueOffset);
  }

  /** Store time of the oldest message of a queue; -1 if the queue is empty. */
  getEarliestMessageTime(topic: string, queueId: number): number {
    const cq = this.queues.find(topic, queueId);
    if (cq === undefined || cq.maxOffset <= cq.minOffset) return -1;
    return this.storeTimeAt(cq, cq.minOffset);
  }

  /** Store time of the oldest message in the CommitLog; -1 if there is none. */
  getEarliestMessageTimeOfStore(): number {
    if (this.shutDown()) return -1;
    const first = this.commitLog.segments.first();
    if (first === undefined || this.visibleEnd() <= first.startOffset) return -1;
    return this.readStoreTime(first.startOffset);
  }

  /**
   * Replication (master): up to maxBytes of the log from `offset`, within one segment, exactly as stored;
   * null when there is nothing there yet.
   */
  readCommitLog(offset: number, maxBytes: number): Buffer | null {
    const end = this.commitLog.maxOffset;
    if (offset >= end) return null;
    const segmentEnd = (Math.floor(offset / this.commitLog.segmentSize) + 1) * this.commitLog.segmentSize;
    const length = Math.min(maxBytes, end - offset, segmentEnd - offset);
    const out = Buffer.allocUnsafe(length);
    return this.commitLog.read(offset, length, out, 0) ? out : null;
  }

  /** The raw record at a CommitLog offset (what VIEW_MESSAGE_BY_ID returns), or null. */
  selectOneMessageByOffset(commitLogOffset: number): Buffer | null {
    if (this.shutDown()) return null;
    const rec = this.commitLog.readRecord(commitLogOffset);
    if (rec === null || commitLogOffset + rec.length > this.visibleEnd()) return null;
    const s = readRecordSummary(rec, 0, newRecordSummary(), rec.length);
    return s.status === RecordStatus.MESSAGE ? rec : null;
  }

  /** The decoded record at a CommitLog offset, or null. */
  lookMessageByOffset(commitLogOffset: number): MessageExt | null {
    const rec = this.selectOneMessageByOffset(commitLogOffset);
    return rec === null ? null : decodeStoredMessage(rec, 0);
  }

  /**
   * QUERY_MESSAGE: messages of `topic` indexed under `key` (a KEYS token or the UNIQ_KEY) whose
   * store time is within [begin, end], at most min(maxNum, maxMsgsNumBatch), oldest first. Each
   * candidate is read and checked, so hash collisions and records cut by recovery or retention
   * never come back.
   */
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): QueryMessageResult {
    const result: QueryMessageResult = { body: EMPTY, messages: [], indexLastUpdateTimestamp: 0, indexLastUpdatePhyoffset: 0 };
    if (this.shutDown() || this.index === null) return result;
    const records = new Map<number, Buffer>();
    const q = this.index.queryOffsets(topic, key, maxNum, begin, end, (phyOffset) => {
      const rec = this.selectOneMessageByOffset(phyOffset);
      if (rec === null || !recordHasKey(rec, topic, key)) return false;
      records.set(phyOffset, rec);
      return true;
    });
    result.indexLastUpdateTimestamp = q.indexLastUpdateTimestamp;
    result.indexLastUpdatePhyoffset = q.indexLastUpdatePhyoffset;
    const offsets = [...q.phyOffsets].sort((a, b) => a - b);
    result.messages = offsets.map((o) => records.get(o)!);
    result.body = result.messages.length === 1 ? result.messages[0]! : Buffer.concat(result.messages);
    return result;
  }

  /** The messages of `topic` whose UNIQ_KEY (client message id) is `uniqKey`, decoded. */
  queryMessageByUniqueKey(topic: string, uniqKey: string): MessageExt[] {
    const r = this.queryMessage(topic, uniqKey, this.config.defaultQueryMaxNum, 0, Number.MAX_SAFE_INTEGER);
    return r.messages.map((rec) => decodeStoredMessage(rec, 0)).filter((m) => m.properties.get(MessageConst.UNIQ_KEY) === uniqKey);
  }
}
