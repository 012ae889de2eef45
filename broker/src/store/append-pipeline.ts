/**
 * The append pipeline: validate a put, assign its queue offset, encode it into the CommitLog's
 * write buffer, hold it as a pending put until the bytes are written (and, under SYNC_FLUSH,
 * flushed), and dispatch the new records to the ConsumeQueues as soon as they are written.
 *
 * JS runs one thing at a time, so the event loop is the put lock: a put is validated,
 * given its physical offset, queue offset and store time, and encoded into the CommitLog's
 * write buffer synchronously. The buffer reaches the page cache with one write per event
 * loop turn (setImmediate), after which the new records are dispatched to the
 * ConsumeQueues at once and the puts are answered (ASYNC_FLUSH) or queued for the group
 * commit (SYNC_FLUSH).
 *
 * A replicated store (the Raft log is the CommitLog) hands each written chunk to the Raft layer
 * instead of dispatching it, and dispatches and answers puts only up to the confirm offset, the
 * end of what a majority holds; bytes past it may yet be truncated away.
 */
import type { Logger } from '../logging/logger.ts';
import type { HostAddress } from '../message/host-address.ts';
import { createOffsetMsgId } from '../message/message-id.ts';
import { MAX_PROPERTIES_BYTES, MessageConst, findProperty } from '../message/properties.ts';
import { measureStoredMessage, newMeasure } from '../message/stored-message.ts';
import type { StoredMessageFields, StoredMessageMeasure } from '../message/stored-message.ts';
import { MessageSysFlag, transactionType } from '../message/sys-flag.ts';
import type { CommitLog } from './commit-log.ts';
import type { ConsumeQueue } from './consume-queue.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { FlushWaiter, GroupCommitService } from './group-commit.ts';
import { FlushDiskType } from './message-store-config.ts';
import type { MessageStoreConfig } from './message-store-config.ts';
import { PutMessageStatus } from './put-message-result.ts';
import type { PutMessageResult, PutMessagesResult } from './put-message-result.ts';
import { isRecordBoundary, redispatch } from './recovery.ts';
import type { RetentionService } from './retention.ts';

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

/** GET_BROKER_RUNTIME_INFO's put counters. */
export interface PutCounters {
  putMessageTimesTotal: number;
  putMessageSizeTotal: number;
  putMessageFailedTimes: number;
}

export interface AppendPipelineParts {
  config: MessageStoreConfig;
  commitLog: CommitLog;
  dispatcher: Dispatcher;
  groupCommit: GroupCommitService;
  /** Whose disk-full verdict refuses puts. */
  retention: RetentionService;
  log: Logger;
  /** Whether the store takes puts (false once shutdown began). */
  running: () => boolean;
  /** The CommitLog is a Raft log: dispatch waits for the confirm offset. */
  replicated: boolean;
}

/** Told of each chunk of CommitLog bytes a put wrote, in order and contiguous (shared: do not modify it). */
export type AppendedChunkListener = (chunk: Buffer, physicalStart: number) => void;

const WRITE_FAILED_REMARK = 'service not available now: a CommitLog write failed and the store is read-only until restarted';
const NOT_WRITABLE_REMARK = 'service not available now: this replica is not the leader of its group and takes no writes; send to the leader';
const TRUNCATED_REMARK = 'the message was not stored: leadership changed before a majority held it, and its bytes were dropped; send it again';
const UNCONFIRMED_REMARK = 'the message may or may not be stored: the store stopped before a majority confirmed it';

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

  fail(status: PutMessageStatus, remark?: string): void {
    this.result.status = status;
    if (remark !== undefined) this.result.remark = remark;
    this.resolve(this.result);
  }
}

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
export function maxRecordSize(config: MessageStoreConfig): number {
  return config.maxMessageSize + 2 * MAX_PROPERTIES_BYTES + 1024;
}

/** Bytes read at once when records are read back from the CommitLog files: at least the largest record. */
export function commitLogReadChunkSize(config: MessageStoreConfig): number {
  return Math.min(config.mappedFileSizeCommitLog, Math.max(4 * 1024 * 1024, maxRecordSize(config)));
}

function isBadTopicName(topic: string): boolean {
  return topic.length === 0 || topic === '.' || topic === '..' || /[/\\\0]/.test(topic);
}

export class AppendPipeline {
  readonly counters: PutCounters = { putMessageTimesTotal: 0, putMessageSizeTotal: 0, putMessageFailedTimes: 0 };
  private readonly config: MessageStoreConfig;
  private readonly commitLog: CommitLog;
  private readonly dispatcher: Dispatcher;
  private readonly groupCommit: GroupCommitService;
  private readonly retention: RetentionService;
  private readonly log: Logger;
  private readonly running: () => boolean;
  private readonly syncFlush: boolean;
  /** topic -> queueId -> next queue offset, assigned at append time. */
  private readonly queueOffsets = new Map<string, Map<number, number>>();
  private pending: PendingPut<AnyPutResult>[] = [];
  private pendingHead = 0;
  private writeScheduled = false;
  private arrivalsScheduled = false;
  private isWritable = true;
  private readonly replicated: boolean;
  /** Replicated: whether this replica takes puts (the leader, once its term's commits are dispatched). */
  private accepting: boolean;
  /** Replicated: set while bytes from the leader are written, which are not this store's to announce. */
  private replaying = false;
  private readonly appendedListeners: AppendedChunkListener[] = [];
  private readonly measure: StoredMessageMeasure = newMeasure();
  private readonly fields: StoredMessageFields;

  constructor(parts: AppendPipelineParts) {
    this.config = parts.config;
    this.commitLog = parts.commitLog;
    this.dispatcher = parts.dispatcher;
    this.groupCommit = parts.groupCommit;
    this.retention = parts.retention;
    this.log = parts.log;
    this.running = parts.running;
    this.syncFlush = parts.config.flushDiskType === FlushDiskType.SYNC_FLUSH;
    this.replicated = parts.replicated;
    // A Raft replica starts as a follower.
    this.accepting = !parts.replicated;
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

  /** False once a write or a dispatch failed: the store is read-only until restarted. */
  get writable(): boolean {
    return this.isWritable;
  }

  /** Recovery: the next queue offset of a queue, as its ConsumeQueue says. */
  setNextQueueOffset(topic: string, queueId: number, next: number): void {
    this.queueOffsetsOf(topic).set(queueId, next);
  }

  /** The topic was deleted: its queues start again at 0. */
  forgetTopic(topic: string): void {
    this.queueOffsets.delete(topic);
  }

  /** Writes the buffered records now (they are dispatched and their puts answered); a failure fails the pending puts. */
  writeBuffered(): void {
    try {
      this.commitLog.writeBuffered();
    } catch (err) {
      this.failWrites(err);
    }
  }

  putMessage(msg: MessageToStore): Promise<PutMessageResult> {
    const m = this.measure;
    const bad = this.validate(msg, m);
    if (bad !== null) {
      this.counters.putMessageFailedTimes++;
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
    this.counters.putMessageTimesTotal++;
    this.counters.putMessageSizeTotal += size;
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
        this.counters.putMessageFailedTimes++;
        return Promise.resolve(putsFailure(bad));
      }
      measures.push(m);
      total += m.totalSize;
      bodies += msg.body.length;
    }
    if (total > this.commitLog.maxAppendSize || bodies > this.config.maxMessageSize) {
      this.counters.putMessageFailedTimes++;
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
    this.counters.putMessageTimesTotal += msgs.length;
    this.counters.putMessageSizeTotal += total;
    return this.enqueue(firstOffset + total, result, waitForFlush);
  }

  /** Null when the message can be stored, else the refusal. Fills `m`. */
  private validate(msg: MessageToStore, m: StoredMessageMeasure): PutRefusal | null {
    if (!this.running()) return refusal(PutMessageStatus.SERVICE_NOT_AVAILABLE, 'service not available now: the message store is shutting down');
    if (!this.isWritable) return refusal(PutMessageStatus.SERVICE_NOT_AVAILABLE, WRITE_FAILED_REMARK);
    if (!this.accepting) return refusal(PutMessageStatus.SERVICE_NOT_AVAILABLE, NOT_WRITABLE_REMARK);
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
    this.writeBuffered();
  };

  /** Runs right after each CommitLog write, while the bytes are still in the write buffer. */
  readonly onWritten = (buf: Buffer, start: number, end: number, physicalStart: number, logEnd: number): void => {
    if (this.replicated) {
      if (!this.replaying) this.announce(buf, start, end, physicalStart, logEnd);
      return;
    }
    try {
      // Bytes a blank record already accounted for (the zero tail of a segment, as a slave receives it) hold no records.
      const covered = Math.min(end - start, Math.max(0, this.dispatcher.dispatchedOffset - physicalStart));
      // (Dispatching an empty range would move the dispatcher back from the segment end, so skip it.)
      const consumed = covered === end - start ? covered : covered + this.dispatcher.dispatch(buf, start + covered, end, physicalStart + covered);
      if (consumed < end - start) throw new Error(`unparsable record at commit log offset ${physicalStart + consumed}`);
    } catch (err) {
      // The records are safe in the CommitLog and a restart re-dispatches them; stop taking puts.
      this.isWritable = false;
      this.log.error(`dispatch failed at commit log offset ${physicalStart}; store is now read-only`, { err });
    }
    // A microtask: same turn of the loop, but never inside a put that triggered the write.
    // Queued before the puts are answered, so listeners hear of a message before its sender.
    this.scheduleArrivals();
    this.settleWritten(this.commitLog.maxOffset);
  };

  private readonly deliverArrivals = (): void => {
    this.arrivalsScheduled = false;
    this.dispatcher.deliverArrivals();
  };

  private scheduleArrivals(): void {
    if (this.dispatcher.hasArrivals && !this.arrivalsScheduled) {
      this.arrivalsScheduled = true;
      queueMicrotask(this.deliverArrivals);
    }
  }

  // ---------------------------------------------------------------- replicated CommitLog

  /** Replicated: registers a listener told of every chunk puts wrote; returns an unsubscribe function. */
  addAppendedListener(listener: AppendedChunkListener): () => void {
    this.appendedListeners.push(listener);
    return () => {
      const i = this.appendedListeners.indexOf(listener);
      if (i >= 0) this.appendedListeners.splice(i, 1);
    };
  }

  /** Hands a written chunk (with a segment-end blank's zero filler) to the Raft layer, in the write's turn. */
  private announce(buf: Buffer, start: number, end: number, physicalStart: number, logEnd: number): void {
    const length = logEnd - physicalStart;
    const chunk = length === end - start ? Buffer.allocUnsafe(length) : Buffer.alloc(length);
    buf.copy(chunk, 0, start, end);
    for (const listener of this.appendedListeners) {
      try {
        listener(chunk, physicalStart);
      } catch (err) {
        // A chunk the Raft log missed would leave it and the CommitLog apart: stop taking puts.
        this.isWritable = false;
        this.log.error(`the Raft layer refused the chunk at commit log offset ${physicalStart}; store is now read-only`, { err });
      }
    }
  }

  /** Writes bytes from another replica's log at `offset`: a slave's are dispatched now, a replicated store's on confirm. */
  appendReplicated(offset: number, bytes: Buffer): void {
    if (this.replicated && this.accepting) throw new Error('a replica that takes puts (the leader) appends no replicated bytes');
    this.replaying = true;
    try {
      this.commitLog.appendRaw(offset, bytes);
    } finally {
      this.replaying = false;
    }
  }

  /** Replicated: everything before this offset is confirmed (dispatched); the puts it covers are answered. */
  get confirmOffset(): number {
    return this.dispatcher.dispatchedOffset;
  }

  /**
   * Replicated: dispatches [confirmOffset, offset) from the CommitLog files, wakes the listeners of what became
   * pullable and answers the puts now covered. An offset at or below the confirm offset changes nothing.
   */
  confirm(offset: number, chunkSize: number): void {
    const from = this.dispatcher.dispatchedOffset;
    if (offset <= from) return;
    const end = this.commitLog.maxOffset;
    if (offset > end) throw new Error(`cannot confirm up to ${offset}: the commit log is written up to ${end}`);
    if (!isRecordBoundary(this.commitLog.segments, from, offset, chunkSize)) {
      throw new Error(`cannot confirm up to ${offset}: it is not a record boundary of the commit log (confirmed up to ${from})`);
    }
    try {
      redispatch(this.commitLog.segments, this.dispatcher, from, offset, chunkSize);
    } catch (err) {
      // The records are safe in the CommitLog and a restart re-dispatches them; stop taking puts.
      this.isWritable = false;
      this.log.error(`dispatch failed at commit log offset ${this.dispatcher.dispatchedOffset}; store is now read-only`, { err });
    }
    this.scheduleArrivals();
    this.settleWritten(this.dispatcher.dispatchedOffset);
  }

  /**
   * Replicated, not taking puts: drops every CommitLog byte from `offset` on (at or above the confirm offset,
   * a record boundary or a segment start) and fails the puts whose bytes went.
   */
  truncate(offset: number, chunkSize: number): void {
    if (this.accepting) throw new Error('the leader does not truncate its commit log: call setWritable(false) first');
    const confirmed = this.dispatcher.dispatchedOffset;
    const end = this.commitLog.maxOffset;
    if (offset < confirmed || offset > end) {
      throw new Error(`cannot truncate the commit log at ${offset}: only [${confirmed}, ${end}] is unconfirmed`);
    }
    if (offset % this.commitLog.segmentSize !== 0 && !isRecordBoundary(this.commitLog.segments, confirmed, offset, chunkSize)) {
      throw new Error(`cannot truncate the commit log at ${offset}: it is not a record boundary`);
    }
    this.commitLog.truncate(offset);
    this.failPast(offset, PutMessageStatus.SERVICE_NOT_AVAILABLE, TRUNCATED_REMARK);
  }

  /**
   * Replicated: takes puts or refuses them. Stopping drops the records not yet written (nobody was told of
   * them) and fails their puts; starting requires everything written to be confirmed, and rebuilds the next
   * queue offsets from the ConsumeQueues so they continue right after the last committed message.
   */
  setAccepting(accepting: boolean, queues: Iterable<ConsumeQueue>): void {
    if (accepting === this.accepting) return;
    if (!accepting) {
      this.accepting = false;
      this.commitLog.discardBuffered();
      this.failPast(this.commitLog.maxOffset, PutMessageStatus.SERVICE_NOT_AVAILABLE, TRUNCATED_REMARK);
      return;
    }
    if (this.dispatcher.dispatchedOffset !== this.commitLog.maxOffset) {
      throw new Error(
        `cannot take puts before everything written is confirmed (confirmed up to ${this.dispatcher.dispatchedOffset}, written up to ${this.commitLog.maxOffset})`,
      );
    }
    this.queueOffsets.clear();
    for (const cq of queues) this.setNextQueueOffset(cq.topic, cq.queueId, cq.nextOffset);
    this.accepting = true;
  }

  /** Replicated: whether puts are taken now. */
  get acceptingPuts(): boolean {
    return this.accepting;
  }

  /** Shutdown of a replicated store: puts never confirmed get an answer that says their fate is unknown. */
  failUnconfirmed(): void {
    this.commitLog.discardBuffered();
    this.failPast(-1, PutMessageStatus.SERVICE_NOT_AVAILABLE, UNCONFIRMED_REMARK);
  }

  /** Fails the pending puts that end past `offset` (they are last: pending puts are in log order). */
  private failPast(offset: number, status: PutMessageStatus, remark: string): void {
    let keep = this.pending.length;
    while (keep > this.pendingHead && this.pending[keep - 1]!.endOffset > offset) keep--;
    const failed = this.pending.splice(keep);
    for (const p of failed) p.fail(status, remark);
    this.counters.putMessageFailedTimes += failed.length;
  }

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
    this.isWritable = false;
    this.log.error('commit log write failed; store is now read-only', { err });
    for (let i = this.pendingHead; i < this.pending.length; i++) this.pending[i]!.fail(PutMessageStatus.UNKNOWN_ERROR);
    this.pending = [];
    this.pendingHead = 0;
    this.counters.putMessageFailedTimes++;
    return PutMessageStatus.UNKNOWN_ERROR;
  }
}
