import * as fs from 'node:fs';
import type { HostAddress } from '../message/host-address.ts';
import { createOffsetMsgId } from '../message/message-id.ts';
import { KEY_SEPARATOR, MAX_PROPERTIES_BYTES, MessageConst, findProperty } from '../message/properties.ts';
import {
  RecordStatus,
  decodeStoredMessage,
  measureStoredMessage,
  newMeasure,
  newRecordSummary,
  readRecordProperties,
  readRecordSummary,
  readStoreTimestamp,
} from '../message/stored-message.ts';
import type { MessageExt, StoredMessageFields, StoredMessageMeasure } from '../message/stored-message.ts';
import { MessageSysFlag, transactionType } from '../message/sys-flag.ts';
import { CommitLog } from './commit-log.ts';
import type { ConsumeQueue } from './consume-queue.ts';
import { BLANK_UNIT_SIZE, CQ_STORE_UNIT_SIZE, unitOffset, unitSize, unitTagsCode } from './consume-queue.ts';
import { ConsumeQueueTable } from './consume-queue-table.ts';
import { Dispatcher } from './dispatcher.ts';
import type { MessageArrivingListener } from './dispatcher.ts';
import { GetMessageStatus } from './get-message-result.ts';
import type { GetMessageResult, PropertiesFilter, TagsCodeFilter } from './get-message-result.ts';
import { GroupCommitService } from './group-commit.ts';
import type { FlushWaiter } from './group-commit.ts';
import { FlushDiskType, resolveMessageStoreConfig, storePaths } from './message-store-config.ts';
import type { MessageStoreConfig } from './message-store-config.ts';
import { PutMessageStatus } from './put-message-result.ts';
import type { PutMessageResult, PutMessagesResult } from './put-message-result.ts';
import { IndexService } from './index-service.ts';
import { createAbortFile, lastShutdownWasClean, recoverStore, removeAbortFile } from './recovery.ts';
import type { RecoveryReport } from './recovery.ts';
import { RetentionService } from './retention.ts';
import type { RetentionRun } from './retention.ts';
import { StoreCheckpoint } from './store-checkpoint.ts';
import { StoreLock } from './store-lock.ts';

/** What the send processor hands the store. */
export interface MessageToStore {
  topic: string;
  queueId: number;
  flag: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  /** Encoded properties string. */
  properties: string;
}

export { GetMessageStatus } from './get-message-result.ts';
export type { GetMessageResult, PropertiesFilter, TagsCodeFilter } from './get-message-result.ts';
export { PutMessageStatus, isStored } from './put-message-result.ts';
export type { PutMessageResult, PutMessagesResult } from './put-message-result.ts';
export type { MessageArrivingListener } from './dispatcher.ts';
export type { MessageStoreConfig } from './message-store-config.ts';
export type { RetentionRun } from './retention.ts';
export { StoreLockedError } from './store-lock.ts';

/** What QUERY_MESSAGE returns: the matching records and where the index stood. */
export interface QueryMessageResult {
  /** The records, byte for byte as stored, oldest first: the response body. */
  body: Buffer;
  messages: Buffer[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

export interface StoreLogger {
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

export interface MessageStoreOptions {
  logger?: StoreLogger;
}

/** Counters for GET_BROKER_RUNTIME_INFO. */
export interface StoreRuntimeStats {
  bootTimestamp: number;
  putMessageTimesTotal: number;
  putMessageSizeTotal: number;
  putMessageFailedTimes: number;
  getMessageTimesTotalFound: number;
  getMessageTimesTotalMiss: number;
  getMessageTransferedMsgCount: number;
  commitLogMinOffset: number;
  commitLogMaxOffset: number;
  commitLogFlushedOffset: number;
  commitLogFlushTimes: number;
  dispatchBehindBytes: number;
  syncFlushWaiters: number;
  lastShutdownClean: boolean;
  indexFileCount: number;
  /** Puts are refused while the disk is above diskSpaceWarningLevelRatio. */
  diskFull: boolean;
  /** Last measured used share of the store's disk (0..1; -1 unknown). */
  diskUsedRatio: number;
}

const defaultLogger: StoreLogger = {
  warn: () => {},
  error: (message, err) => console.error(`[store] ${message}`, err ?? ''),
};

const EMPTY = Buffer.alloc(0);
const WRITE_FAILED_REMARK = 'service not available now: a CommitLog write failed and the store is read-only until restarted';

type AnyPutResult = PutMessageResult | PutMessagesResult;

/** A put between append and its answer (bytes written, then possibly flushed). */
class PendingPut<R extends AnyPutResult> implements FlushWaiter {
  readonly endOffset: number;
  deadline = 0;
  readonly result: R;
  readonly resolve: (r: R) => void;
  readonly waitForFlush: boolean;

  constructor(endOffset: number, result: R, resolve: (r: R) => void, waitForFlush: boolean) {
    this.endOffset = endOffset;
    this.result = result;
    this.resolve = resolve;
    this.waitForFlush = waitForFlush;
  }

  done(flushed: boolean): void {
    if (!flushed && this.result.status === PutMessageStatus.PUT_OK) this.result.status = PutMessageStatus.FLUSH_DISK_TIMEOUT;
    this.resolve(this.result);
  }

  fail(status: PutMessageStatus): void {
    this.result.status = status;
    this.resolve(this.result);
  }
}

const State = {
  RUNNING: 'RUNNING',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  SHUT_DOWN: 'SHUT_DOWN',
} as const;
type State = (typeof State)[keyof typeof State];

function putFailure(refusal: PutRefusal): PutMessageResult {
  return { status: refusal.status, remark: refusal.remark, wroteOffset: -1, wroteBytes: 0, msgId: '', queueOffset: -1, storeTimestamp: 0 };
}

function putsFailure(refusal: PutRefusal): PutMessagesResult {
  return { status: refusal.status, remark: refusal.remark, wroteOffset: -1, wroteBytes: 0, msgIds: [], queueOffset: -1, storeTimestamp: 0, messageCount: 0 };
}

/** Why a put was not stored: the status the broker maps to a response code, and a remark for people. */
interface PutRefusal {
  status: PutMessageStatus;
  remark: string;
}

function refusal(status: PutMessageStatus, remark: string): PutRefusal {
  return { status, remark };
}

/** Upper bound of one record: the largest body plus int16-limited topic and properties. */
function maxRecordSize(config: MessageStoreConfig): number {
  return config.maxMessageSize + 2 * MAX_PROPERTIES_BYTES + 1024;
}

/** Whether a record belongs to `topic` and carries `key` as its UNIQ_KEY or one of its KEYS. */
function recordHasKey(rec: Buffer, topic: string, key: string): boolean {
  const s = readRecordSummary(rec, 0, newRecordSummary(), rec.length);
  if (s.status !== RecordStatus.MESSAGE || s.topic !== topic) return false;
  const props = rec.toString('utf8', s.propertiesPosition, s.propertiesPosition + s.propertiesLength);
  if (findProperty(props, MessageConst.UNIQ_KEY) === key) return true;
  const keys = findProperty(props, MessageConst.KEYS);
  return keys !== undefined && keys.split(KEY_SEPARATOR).includes(key);
}

function isBadTopicName(topic: string): boolean {
  return topic.length === 0 || topic === '.' || topic === '..' || /[/\\\0]/.test(topic);
}

/**
 * The message store: CommitLog + ConsumeQueues + dispatch + flush + recovery.
 *
 * JS runs one thing at a time, so the event loop is the put lock: a put is validated,
 * given its physical offset, queue offset and store time, and encoded into the CommitLog's
 * write buffer synchronously. The buffer reaches the page cache with one write per event
 * loop turn (setImmediate), after which the new records are dispatched to the
 * ConsumeQueues at once and the puts are answered (ASYNC_FLUSH) or queued for the group
 * commit (SYNC_FLUSH).
 */
export class MessageStore {
  readonly config: MessageStoreConfig;
  private recoveryReport: RecoveryReport | undefined;
  private readonly paths: ReturnType<typeof storePaths>;
  private readonly log: StoreLogger;
  private readonly commitLog: CommitLog;
  private readonly queues: ConsumeQueueTable;
  private readonly dispatcher: Dispatcher;
  private readonly index: IndexService | null;
  private readonly retention: RetentionService;
  private readonly lock: StoreLock;
  private readonly checkpoint: StoreCheckpoint;
  private readonly groupCommit: GroupCommitService;
  private readonly syncFlush: boolean;
  /** topic -> queueId -> next queue offset, assigned at append time. */
  private readonly queueOffsets = new Map<string, Map<number, number>>();
  private pending: PendingPut<AnyPutResult>[] = [];
  private pendingHead = 0;
  private writeScheduled = false;
  private arrivalsScheduled = false;
  private state: State = State.RUNNING;
  private writable = true;
  private shutdownPromise: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private cqFlushInFlight: Promise<void> | null = null;
  private readonly measure: StoredMessageMeasure = newMeasure();
  private readonly fields: StoredMessageFields;
  private unitScratch = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE * 1024);
  private readonly stats = {
    bootTimestamp: Date.now(),
    putMessageTimesTotal: 0,
    putMessageSizeTotal: 0,
    putMessageFailedTimes: 0,
    getMessageTimesTotalFound: 0,
    getMessageTimesTotalMiss: 0,
    getMessageTransferedMsgCount: 0,
  };

  /**
   * Opens (creating if needed) and recovers the store under config.storePathRootDir. Throws
   * StoreLockedError when another live process has it open.
   */
  static async open(config: Partial<MessageStoreConfig>, options: MessageStoreOptions = {}): Promise<MessageStore> {
    const resolved = resolveMessageStoreConfig(config);
    const log = options.logger ?? defaultLogger;
    fs.mkdirSync(resolved.storePathRootDir, { recursive: true });
    const lock = StoreLock.acquire(storePaths(resolved).lock, (why) => log.warn(why));
    let store: MessageStore | undefined;
    try {
      store = new MessageStore(resolved, options, lock);
      store.recoverAndStart();
      return store;
    } catch (err) {
      store?.closeAfterFailedStart();
      lock.release();
      throw err;
    }
  }

  private closeAfterFailedStart(): void {
    for (const t of this.timers) clearInterval(t);
    this.state = State.SHUT_DOWN;
    this.commitLog.closeFiles();
    this.queues.closeAll();
    this.index?.closeAll();
  }

  /** What startup recovery found. */
  get recovery(): RecoveryReport {
    if (this.recoveryReport === undefined) throw new Error('store not started');
    return this.recoveryReport;
  }

  private constructor(config: MessageStoreConfig, options: MessageStoreOptions, lock: StoreLock) {
    this.config = config;
    this.lock = lock;
    this.log = options.logger ?? defaultLogger;
    this.paths = storePaths(config);
    this.syncFlush = config.flushDiskType === FlushDiskType.SYNC_FLUSH;
    fs.mkdirSync(config.storePathRootDir, { recursive: true });
    fs.mkdirSync(this.paths.config, { recursive: true });
    this.queues = new ConsumeQueueTable(this.paths.consumeQueue, config.mappedFileSizeConsumeQueue);
    this.index = config.messageIndexEnable
      ? new IndexService({
          dir: this.paths.index,
          hashSlotNum: config.maxHashSlotNum,
          indexNum: config.maxIndexNum,
          maxMsgsNumBatch: config.maxMsgsNumBatch,
          warn: (m) => this.log.warn(m),
        })
      : null;
    this.dispatcher = new Dispatcher(this.queues, (err) => this.log.error('message arrival listener failed', err), this.index);
    this.commitLog = new CommitLog(this.paths.commitLog, config.mappedFileSizeCommitLog, maxRecordSize(config), this.onWritten, {
      warm: config.warmMapedFileEnable,
      onError: (err) => this.log.error('pre-allocating the next CommitLog segment failed (the rollover will create it)', err),
    });
    this.retention = new RetentionService(config, this.commitLog, this.queues, this.index, this.paths, this.log);
    this.checkpoint = new StoreCheckpoint(this.paths.checkpoint);
    this.groupCommit = new GroupCommitService(
      () => this.commitLog.flush(),
      () => this.commitLog.flushed,
      config.syncFlushTimeout,
      (err) => this.log.error('commit log flush failed', err),
    );
    this.fields = {
      topic: '',
      queueId: 0,
      flag: 0,
      queueOffset: 0,
      physicalOffset: 0,
      sysFlag: 0,
      bornTimestamp: 0,
      bornHost: { address: '0.0.0.0', port: 0 },
      storeTimestamp: 0,
      storeHost: { address: '0.0.0.0', port: 0 },
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      body: Buffer.alloc(0),
      properties: '',
    };
  }

  private recoverAndStart(): void {
    const config = this.config;
    const cleanShutdown = lastShutdownWasClean(this.paths.abort);
    this.checkpoint.load();
    const notes = this.commitLog.load();
    this.queues.load();
    this.index?.load();
    const report = recoverStore({
      commitLog: this.commitLog,
      queues: this.queues,
      index: this.index,
      notes,
      dispatcher: this.dispatcher,
      checkpoint: this.checkpoint,
      checkCrc: config.checkCRCOnRecover,
      requireRecordCrc: config.checkCRCOnRecover && config.enabledAppendPropCRC,
      cleanShutdown,
      chunkSize: Math.min(config.mappedFileSizeCommitLog, Math.max(4 * 1024 * 1024, maxRecordSize(config))),
    });
    this.recoveryReport = report;
    if (!cleanShutdown || report.cutTail || report.repairedQueues.length > 0) {
      this.log.warn(
        `recovered after ${cleanShutdown ? 'a clean' : 'an abnormal'} shutdown: commit log ends at ` +
          `${report.commitLogEnd}${report.cutTail ? ', a torn tail was cut' : ''}` +
          (report.repairedQueues.length > 0 ? `, torn ConsumeQueue tails rebuilt (${report.repairedQueues.join(', ')})` : '') +
          `, re-dispatched from ${report.redispatchedFrom}`,
      );
    }
    for (const note of report.notes) this.log.warn(note);
    for (const cq of this.queues.all()) this.queueOffsetsOf(cq.topic).set(cq.queueId, cq.nextOffset);
    this.saveCheckpointNow();
    createAbortFile(this.paths.abort);

    const flushTimer = setInterval(() => {
      if (this.commitLog.maxOffset > this.commitLog.flushed) {
        this.commitLog.flush().catch((err: unknown) => this.log.error('commit log flush failed', err));
      }
    }, config.flushIntervalCommitLog);
    const cqTimer = setInterval(() => void this.flushConsumeQueues(), config.flushIntervalConsumeQueue);
    const cleanTimer = setInterval(() => void this.cleanFiles(), config.cleanResourceInterval);
    flushTimer.unref();
    cqTimer.unref();
    cleanTimer.unref();
    this.timers.push(flushTimer, cqTimer, cleanTimer);
    // Know the disk's state before the first put, not one interval later.
    this.retention.run();
  }

  // ---------------------------------------------------------------- put

  putMessage(msg: MessageToStore): Promise<PutMessageResult> {
    const m = this.measure;
    const bad = this.validate(msg, m);
    if (bad !== null) {
      this.stats.putMessageFailedTimes++;
      return Promise.resolve(putFailure(bad));
    }
    const size = m.totalSize;
    try {
      this.commitLog.ensureSegmentRoom(size);
      this.commitLog.ensureBufferRoom(size);
    } catch (err) {
      return Promise.resolve(putFailure(refusal(this.failWrites(err), WRITE_FAILED_REMARK)));
    }
    const now = Date.now();
    const queueOffset = this.appendOne(msg, m, now);
    const physicalOffset = this.fields.physicalOffset;
    const result: PutMessageResult = {
      status: PutMessageStatus.PUT_OK,
      wroteOffset: physicalOffset,
      wroteBytes: size,
      msgId: createOffsetMsgId(msg.storeHost, physicalOffset),
      queueOffset,
      storeTimestamp: now,
    };
    this.stats.putMessageTimesTotal++;
    this.stats.putMessageSizeTotal += size;
    const waitForFlush = this.syncFlush && findProperty(msg.properties, MessageConst.WAIT) !== 'false';
    return this.enqueue(physicalOffset + size, result, waitForFlush);
  }

  /** One batch: records appended back to back in one segment, consecutive queue offsets. */
  putMessages(msgs: readonly MessageToStore[]): Promise<PutMessagesResult> {
    if (msgs.length === 0) return Promise.resolve(putsFailure(refusal(PutMessageStatus.MESSAGE_ILLEGAL, 'the batch holds no message')));
    const measures: StoredMessageMeasure[] = [];
    let total = 0;
    let bodies = 0;
    for (const msg of msgs) {
      const m = newMeasure();
      const bad = this.validate(msg, m);
      if (bad !== null) {
        this.stats.putMessageFailedTimes++;
        return Promise.resolve(putsFailure(bad));
      }
      measures.push(m);
      total += m.totalSize;
      bodies += msg.body.length;
    }
    if (total > this.commitLog.maxAppendSize || bodies > this.config.maxMessageSize) {
      this.stats.putMessageFailedTimes++;
      return Promise.resolve(
        putsFailure(refusal(PutMessageStatus.MESSAGE_ILLEGAL,
          bodies > this.config.maxMessageSize
            ? `the batch's bodies add up to ${bodies} bytes, over maxMessageSize (${this.config.maxMessageSize} bytes); send smaller batches`
            : `the batch is ${total} bytes stored, more than one CommitLog segment holds (${this.commitLog.maxAppendSize} bytes)`)),
      );
    }
    try {
      this.commitLog.ensureSegmentRoom(total);
    } catch (err) {
      return Promise.resolve(putsFailure(refusal(this.failWrites(err), WRITE_FAILED_REMARK)));
    }
    const now = Date.now();
    const msgIds: string[] = [];
    let firstOffset = -1;
    let firstQueueOffset = -1;
    let waitForFlush = false;
    try {
      for (let i = 0; i < msgs.length; i++) {
        const msg = msgs[i]!;
        this.commitLog.ensureBufferRoom(measures[i]!.totalSize);
        const queueOffset = this.appendOne(msg, measures[i]!, now);
        const physicalOffset = this.fields.physicalOffset;
        if (i === 0) {
          firstOffset = physicalOffset;
          firstQueueOffset = queueOffset;
        }
        msgIds.push(createOffsetMsgId(msg.storeHost, physicalOffset));
        if (this.syncFlush && findProperty(msg.properties, MessageConst.WAIT) !== 'false') waitForFlush = true;
      }
    } catch (err) {
      return Promise.resolve(putsFailure(refusal(this.failWrites(err), WRITE_FAILED_REMARK)));
    }
    const result: PutMessagesResult = {
      status: PutMessageStatus.PUT_OK,
      wroteOffset: firstOffset,
      wroteBytes: total,
      msgIds,
      queueOffset: firstQueueOffset,
      storeTimestamp: now,
      messageCount: msgs.length,
    };
    this.stats.putMessageTimesTotal += msgs.length;
    this.stats.putMessageSizeTotal += total;
    return this.enqueue(firstOffset + total, result, waitForFlush);
  }

  /** Null when the message can be stored, else the refusal. Fills `m`. */
  private validate(msg: MessageToStore, m: StoredMessageMeasure): PutRefusal | null {
    if (this.state !== State.RUNNING) return refusal(PutMessageStatus.SERVICE_NOT_AVAILABLE, 'service not available now: the message store is shutting down');
    if (!this.writable) return refusal(PutMessageStatus.SERVICE_NOT_AVAILABLE, WRITE_FAILED_REMARK);
    if (this.retention.diskFull) return refusal(PutMessageStatus.SERVICE_NOT_AVAILABLE, this.retention.diskFullRemark);
    if (msg.body.length > this.config.maxMessageSize) {
      return refusal(PutMessageStatus.MESSAGE_ILLEGAL,
        `the message body is ${msg.body.length} bytes, over maxMessageSize (${this.config.maxMessageSize} bytes); send a smaller body`);
    }
    if (isBadTopicName(msg.topic) || !Number.isInteger(msg.queueId) || msg.queueId < 0) {
      return refusal(PutMessageStatus.MESSAGE_ILLEGAL, `illegal topic "${msg.topic}" or queue id ${msg.queueId}`);
    }
    try {
      measureStoredMessage(msg, m, this.config.enabledAppendPropCRC);
    } catch {
      return refusal(PutMessageStatus.MESSAGE_ILLEGAL, 'unparsable born or store host address');
    }
    if (m.propertiesBytes > MAX_PROPERTIES_BYTES) {
      return refusal(PutMessageStatus.PROPERTIES_SIZE_EXCEEDED,
        `the message properties are ${m.propertiesBytes} bytes, over the ${MAX_PROPERTIES_BYTES}-byte limit`);
    }
    if (m.topicBytes > 32767) return refusal(PutMessageStatus.MESSAGE_ILLEGAL, `the topic name is ${m.topicBytes} bytes, over 32767`);
    if (m.totalSize > this.commitLog.maxAppendSize) {
      return refusal(PutMessageStatus.MESSAGE_ILLEGAL,
        `the message is ${m.totalSize} bytes stored, more than one CommitLog segment holds (${this.commitLog.maxAppendSize} bytes)`);
    }
    return null;
  }

  /** Assigns the queue offset and encodes the record; returns the queue offset. */
  private appendOne(msg: MessageToStore, m: StoredMessageMeasure, now: number): number {
    const tranType = transactionType(msg.sysFlag);
    // Half and rollback records are not consumable: no queue offset (RocketMQ writes 0).
    const indexed = tranType !== MessageSysFlag.TRANSACTION_PREPARED_TYPE && tranType !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE;
    let queueOffset = 0;
    let offsets: Map<number, number> | undefined;
    if (indexed) {
      offsets = this.queueOffsetsOf(msg.topic);
      queueOffset = offsets.get(msg.queueId) ?? 0;
    }
    const f = this.fields;
    f.topic = msg.topic;
    f.queueId = msg.queueId;
    f.flag = msg.flag;
    f.queueOffset = queueOffset;
    f.sysFlag = msg.sysFlag;
    f.bornTimestamp = msg.bornTimestamp;
    f.bornHost = msg.bornHost;
    f.storeTimestamp = now;
    f.storeHost = msg.storeHost;
    f.reconsumeTimes = msg.reconsumeTimes;
    f.preparedTransactionOffset = msg.preparedTransactionOffset;
    f.body = msg.body;
    f.properties = msg.properties;
    this.commitLog.append(f, m);
    if (offsets !== undefined) offsets.set(msg.queueId, queueOffset + 1);
    return queueOffset;
  }

  private queueOffsetsOf(topic: string): Map<number, number> {
    let offsets = this.queueOffsets.get(topic);
    if (offsets === undefined) {
      offsets = new Map();
      this.queueOffsets.set(topic, offsets);
    }
    return offsets;
  }

  private enqueue<R extends AnyPutResult>(endOffset: number, result: R, waitForFlush: boolean): Promise<R> {
    let resolve!: (r: R) => void;
    const promise = new Promise<R>((r) => {
      resolve = r;
    });
    this.pending.push(new PendingPut(endOffset, result, resolve, waitForFlush) as unknown as PendingPut<AnyPutResult>);
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(this.writeTick);
    }
    return promise;
  }

  private readonly writeTick = (): void => {
    this.writeScheduled = false;
    try {
      this.commitLog.writeBuffered();
    } catch (err) {
      this.failWrites(err);
    }
  };

  /** Runs right after each CommitLog write, while the bytes are still in the write buffer. */
  private readonly onWritten = (buf: Buffer, start: number, end: number, physicalStart: number): void => {
    try {
      // Bytes a blank record already accounted for (the zero tail of a segment, as a slave receives it) hold no records.
      const covered = Math.min(end - start, Math.max(0, this.dispatcher.dispatchedOffset - physicalStart));
      // (Dispatching an empty range would move the dispatcher back from the segment end, so skip it.)
      const consumed = covered === end - start ? covered : covered + this.dispatcher.dispatch(buf, start + covered, end, physicalStart + covered);
      if (consumed < end - start) throw new Error(`unparsable record at commit log offset ${physicalStart + consumed}`);
    } catch (err) {
      // The records are safe in the CommitLog and a restart re-dispatches them; stop taking puts.
      this.writable = false;
      this.log.error(`dispatch failed at commit log offset ${physicalStart}; store is now read-only`, err);
    }
    if (this.dispatcher.hasArrivals && !this.arrivalsScheduled) {
      // A microtask: same turn of the loop, but never inside a put that triggered the write.
      // Queued before the puts are answered, so listeners hear of a message before its sender.
      this.arrivalsScheduled = true;
      queueMicrotask(this.deliverArrivals);
    }
    this.settleWritten(this.commitLog.maxOffset);
  };

  private readonly deliverArrivals = (): void => {
    this.arrivalsScheduled = false;
    this.dispatcher.deliverArrivals();
  };

  private settleWritten(written: number): void {
    const pending = this.pending;
    let head = this.pendingHead;
    while (head < pending.length && pending[head]!.endOffset <= written) {
      const p = pending[head++]!;
      if (p.waitForFlush) this.groupCommit.add(p);
      else p.done(true);
    }
    if (head === pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else {
      this.pendingHead = head;
    }
  }

  /** A write failed: the log's state is unknown, so refuse further puts and fail those unanswered. */
  private failWrites(err: unknown): PutMessageStatus {
    this.writable = false;
    this.log.error('commit log write failed; store is now read-only', err);
    for (let i = this.pendingHead; i < this.pending.length; i++) this.pending[i]!.fail(PutMessageStatus.UNKNOWN_ERROR);
    this.pending = [];
    this.pendingHead = 0;
    this.stats.putMessageFailedTimes++;
    return PutMessageStatus.UNKNOWN_ERROR;
  }

  /**
   * Registers a listener told of each message that became pullable (for waking held pulls),
   * in the same event-loop turn as its write. Returns an unsubscribe function.
   */
  onMessageArrived(listener: MessageArrivingListener): () => void {
    return this.dispatcher.addListener(listener);
  }

  // ---------------------------------------------------------------- get

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
    if (this.state === State.SHUT_DOWN) throw new Error('message store is shut down');
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
      this.stats.getMessageTimesTotalFound++;
      this.stats.getMessageTransferedMsgCount += result.messageCount;
    } else {
      this.stats.getMessageTimesTotalMiss++;
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
    if (this.state === State.SHUT_DOWN) return -1;
    const u = this.queues.find(topic, queueId)?.readUnit(consumeQueueOffset);
    return u === null || u === undefined || u.size === BLANK_UNIT_SIZE ? -1 : u.commitLogOffset;
  }

  /**
   * First queue offset whose message was stored at or after `timestamp` (binary search on the
   * store times read from the CommitLog); the max offset when every message is older.
   */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number {
    const cq = this.queues.find(topic, queueId);
    if (cq === undefined) return 0;
    let lo = cq.minOffset;
    let hi = cq.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.storeTimeAt(cq, mid) >= timestamp) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Store time of the message at a queue offset; -1 if unreadable. */
  private storeTimeAt(cq: ConsumeQueue, queueOffset: number): number {
    if (this.state === State.SHUT_DOWN) return -1;
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
    if (this.state === State.SHUT_DOWN) return -1;
    const first = this.commitLog.segments.first();
    if (first === undefined || this.commitLog.maxOffset <= first.startOffset) return -1;
    return this.readStoreTime(first.startOffset);
  }

  getCommitLogMaxOffset(): number {
    return this.commitLog.maxOffset;
  }

  getCommitLogMinOffset(): number {
    return this.commitLog.minOffset;
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

  /** Replication (slave): appends bytes from the master at `offset`; they are dispatched as if put here. */
  appendReplicated(offset: number, bytes: Buffer): void {
    if (this.state === State.SHUT_DOWN) throw new Error('message store is shut down');
    // A slave never puts, so its next-queue-offset table is left to recovery (which rebuilds it from the queues).
    this.commitLog.appendRaw(offset, bytes);
  }

  /** The raw record at a CommitLog offset (what VIEW_MESSAGE_BY_ID returns), or null. */
  selectOneMessageByOffset(commitLogOffset: number): Buffer | null {
    if (this.state === State.SHUT_DOWN) return null;
    const rec = this.commitLog.readRecord(commitLogOffset);
    if (rec === null) return null;
    const s = readRecordSummary(rec, 0, newRecordSummary(), rec.length);
    return s.status === RecordStatus.MESSAGE ? rec : null;
  }

  /** The decoded record at a CommitLog offset, or null. */
  lookMessageByOffset(commitLogOffset: number): MessageExt | null {
    const rec = this.selectOneMessageByOffset(commitLogOffset);
    return rec === null ? null : decodeStoredMessage(rec, 0);
  }

  // ---------------------------------------------------------------- index queries

  /**
   * QUERY_MESSAGE: messages of `topic` indexed under `key` (a KEYS token or the UNIQ_KEY) whose
   * store time is within [begin, end], at most min(maxNum, maxMsgsNumBatch), oldest first. Each
   * candidate is read and checked, so hash collisions and records cut by recovery or retention
   * never come back.
   */
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): QueryMessageResult {
    const result: QueryMessageResult = { body: EMPTY, messages: [], indexLastUpdateTimestamp: 0, indexLastUpdatePhyoffset: 0 };
    if (this.state === State.SHUT_DOWN || this.index === null) return result;
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

  /** Topics that have ConsumeQueues. */
  getTopics(): string[] {
    return this.queues.topics();
  }

  /** Drops the topic's ConsumeQueues and queue offsets; its CommitLog records stay until retention. */
  deleteTopic(topic: string): void {
    if (this.state === State.RUNNING && this.writable && this.commitLog.hasUnwrittenBytes) {
      // Dispatch what is buffered first, so it cannot recreate the queues afterwards.
      try {
        this.commitLog.writeBuffered();
      } catch (err) {
        this.failWrites(err);
      }
    }
    this.queues.deleteTopic(topic);
    this.queueOffsets.delete(topic);
  }

  runtimeStats(): StoreRuntimeStats {
    return {
      ...this.stats,
      commitLogMinOffset: this.commitLog.minOffset,
      commitLogMaxOffset: this.commitLog.maxOffset,
      commitLogFlushedOffset: this.commitLog.flushed,
      commitLogFlushTimes: this.commitLog.flushCount,
      dispatchBehindBytes: this.commitLog.maxOffset - this.dispatcher.dispatchedOffset,
      syncFlushWaiters: this.groupCommit.waiting,
      lastShutdownClean: this.recovery.cleanShutdown,
      indexFileCount: this.index?.fileCount ?? 0,
      diskFull: this.retention.diskFull,
      diskUsedRatio: this.retention.lastDiskRatio,
    };
  }

  // ---------------------------------------------------------------- retention

  /**
   * One retention run now (the timer runs one every cleanResourceInterval): disk check, expired
   * or forced CommitLog deletion, then ConsumeQueue and index cleanup and min offset correction.
   */
  async cleanFiles(now: number = Date.now()): Promise<RetentionRun | undefined> {
    // Files are deleted only flushed and between flushes: an fdatasync in flight still holds their fd.
    if (this.commitLog.maxOffset > this.commitLog.flushed) await this.commitLog.flush().catch(() => undefined);
    await this.flushConsumeQueues();
    if (this.state !== State.RUNNING) return undefined;
    try {
      return this.retention.run(now);
    } catch (err) {
      this.log.error('retention run failed', err);
      return undefined;
    }
  }

  /** TRIGGER_DELETE_FILES: expired segments go on the next runs whatever the hour. */
  executeDeleteFilesManually(): void {
    this.retention.executeDeleteFilesManually();
  }

  // ---------------------------------------------------------------- flush and shutdown

  /** fdatasync the ConsumeQueues, then record in the checkpoint what is now durable. */
  private flushConsumeQueues(): Promise<void> {
    if (this.cqFlushInFlight !== null) return this.cqFlushInFlight;
    const run = async (): Promise<void> => {
      const dispatched = this.dispatcher.dispatchedOffset;
      const logicsTimestamp = this.dispatcher.lastDispatchedStoreTimestamp;
      const flushed = this.commitLog.flushed;
      const physicTimestamp = this.commitLog.flushedStoreTimestamp;
      const cp = this.checkpoint;
      if (dispatched === cp.dispatchedOffset && flushed === cp.commitLogFlushedOffset) return;
      // Every entry of a message dispatched so far is already put (dispatch is synchronous).
      const indexTimestamp = this.index?.lastTimestamp ?? 0;
      await Promise.all([this.queues.flush(), this.index?.flush()]);
      cp.dispatchedOffset = dispatched;
      cp.indexedOffset = dispatched;
      cp.indexMsgTimestamp = indexTimestamp;
      cp.logicsMsgTimestamp = logicsTimestamp;
      cp.commitLogFlushedOffset = flushed;
      cp.physicMsgTimestamp = physicTimestamp;
      await cp.persist();
    };
    this.cqFlushInFlight = run()
      .catch((err: unknown) => this.log.error('consume queue flush failed', err))
      .finally(() => {
        this.cqFlushInFlight = null;
      });
    return this.cqFlushInFlight;
  }

  private saveCheckpointNow(): void {
    const cp = this.checkpoint;
    cp.commitLogFlushedOffset = this.commitLog.flushed;
    cp.physicMsgTimestamp = this.commitLog.flushedStoreTimestamp;
    cp.dispatchedOffset = this.dispatcher.dispatchedOffset;
    // Callers flushed the index first (recovery, shutdown).
    cp.indexedOffset = this.dispatcher.dispatchedOffset;
    cp.indexMsgTimestamp = this.index?.lastTimestamp ?? 0;
    cp.logicsMsgTimestamp = this.dispatcher.lastDispatchedStoreTimestamp || cp.physicMsgTimestamp;
    cp.persistNow();
  }

  /** Writes and fdatasyncs everything, records a clean shutdown. Safe to call more than once. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    this.state = State.SHUTTING_DOWN;
    for (const t of this.timers) clearInterval(t);
    this.groupCommit.stop();
    try {
      this.commitLog.writeBuffered();
    } catch (err) {
      this.failWrites(err);
    }
    if (this.dispatcher.hasArrivals) this.dispatcher.deliverArrivals();
    await this.commitLog.settle();
    await this.cqFlushInFlight;
    await this.index?.settle();
    await this.checkpoint.settle();
    this.commitLog.flushNow();
    this.queues.flushNow();
    this.index?.flushNow();
    this.groupCommit.drain(this.commitLog.flushed);
    this.saveCheckpointNow();
    this.commitLog.closeFiles();
    this.queues.closeAll();
    this.index?.closeAll();
    if (this.writable) removeAbortFile(this.paths.abort);
    this.state = State.SHUT_DOWN;
    // Last: until here another broker must not touch these files.
    this.lock.release();
  }
}
