import * as fs from 'node:fs';
import { createLogger, type Logger } from '../logging/logger.ts';
import type { MessageExt } from '../message/stored-message.ts';
import { AppendPipeline, commitLogReadChunkSize, maxRecordSize } from './append-pipeline.ts';
import type { AppendedChunkListener, MessageToStore } from './append-pipeline.ts';
import { CommitLog } from './commit-log.ts';
import { ConsumeQueueTable } from './consume-queue-table.ts';
import { Dispatcher } from './dispatcher.ts';
import type { MessageArrivingListener } from './dispatcher.ts';
import type { GetMessageResult, PropertiesFilter, TagsCodeFilter } from './get-message-result.ts';
import { GroupCommitService } from './group-commit.ts';
import { resolveMessageStoreConfig, storePaths } from './message-store-config.ts';
import type { MessageStoreConfig } from './message-store-config.ts';
import type { PutMessageResult, PutMessagesResult } from './put-message-result.ts';
import { IndexService } from './index-service.ts';
import { createAbortFile, lastShutdownWasClean, recoverStore, recoveryLostNothing, recoverySummary, removeAbortFile } from './recovery.ts';
import type { RecoveryReport } from './recovery.ts';
import { RetentionService } from './retention.ts';
import type { RetentionRun } from './retention.ts';
import { StoreCheckpoint } from './store-checkpoint.ts';
import { StoreLock } from './store-lock.ts';
import { StoreReader } from './store-reader.ts';
import type { QueryMessageResult } from './store-reader.ts';

export type { AppendedChunkListener, MessageToStore } from './append-pipeline.ts';
export type { QueryMessageResult } from './store-reader.ts';
export { GetMessageStatus } from './get-message-result.ts';
export type { GetMessageResult, PropertiesFilter, TagsCodeFilter } from './get-message-result.ts';
export { PutMessageStatus, isStored } from './put-message-result.ts';
export type { PutMessageResult, PutMessagesResult } from './put-message-result.ts';
export type { MessageArrivingListener } from './dispatcher.ts';
export type { MessageStoreConfig } from './message-store-config.ts';
export type { RetentionRun } from './retention.ts';
export { StoreLockedError } from './store-lock.ts';

export interface MessageStoreOptions {
  /** Default: a logger of its own on stderr (the broker passes its child). */
  logger?: Logger;
  /**
   * The CommitLog is a Raft log (DLedger mode): ConsumeQueues, the index, reads and put answers stop at the
   * confirm offset the Raft layer sets, and the store takes puts only while setWritable(true). Default false.
   */
  replicated?: boolean;
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

const State = {
  RUNNING: 'RUNNING',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  SHUT_DOWN: 'SHUT_DOWN',
} as const;
type State = (typeof State)[keyof typeof State];

/**
 * The message store's facade: opening (lock, recovery), the flush and retention timers, shutdown,
 * and the API the broker uses, handed to the append pipeline (puts) and the reader (gets, lookups,
 * queries). CommitLog + ConsumeQueues + IndexFiles + checkpoint live under config.storePathRootDir.
 */
export class MessageStore {
  readonly config: MessageStoreConfig;
  /** The CommitLog is a Raft log (MessageStoreOptions.replicated). */
  readonly replicated: boolean;
  private readonly chunkSize: number;
  private recoveryReport: RecoveryReport | undefined;
  private readonly paths: ReturnType<typeof storePaths>;
  private readonly log: Logger;
  private readonly commitLog: CommitLog;
  private readonly queues: ConsumeQueueTable;
  private readonly dispatcher: Dispatcher;
  private readonly index: IndexService | null;
  private readonly retention: RetentionService;
  private readonly lock: StoreLock;
  private readonly checkpoint: StoreCheckpoint;
  private readonly groupCommit: GroupCommitService;
  private readonly pipeline: AppendPipeline;
  private readonly reader: StoreReader;
  private state: State = State.RUNNING;
  private shutdownPromise: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private cqFlushInFlight: Promise<void> | null = null;
  private readonly bootTimestamp = Date.now();

  /**
   * Opens (creating if needed) and recovers the store under config.storePathRootDir. Throws
   * StoreLockedError when another live process has it open.
   */
  static async open(config: Partial<MessageStoreConfig>, options: MessageStoreOptions = {}): Promise<MessageStore> {
    const resolved = resolveMessageStoreConfig(config);
    const log = options.logger ?? createLogger('store');
    fs.mkdirSync(resolved.storePathRootDir, { recursive: true });
    const lock = StoreLock.acquire(storePaths(resolved).lock, (why) => log.warn(why));
    let store: MessageStore | undefined;
    try {
      store = new MessageStore(resolved, log, lock, options.replicated ?? false);
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

  private constructor(config: MessageStoreConfig, log: Logger, lock: StoreLock, replicated: boolean) {
    this.config = config;
    this.replicated = replicated;
    this.chunkSize = commitLogReadChunkSize(config);
    this.lock = lock;
    this.log = log;
    this.paths = storePaths(config);
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
    this.dispatcher = new Dispatcher(this.queues, (err) => this.log.error('message arrival listener failed', { err }), this.index);
    this.commitLog = new CommitLog(this.paths.commitLog, config.mappedFileSizeCommitLog, maxRecordSize(config), (buf, start, end, physicalStart, logEnd) => this.pipeline.onWritten(buf, start, end, physicalStart, logEnd), {
      warm: config.warmMapedFileEnable,
      onError: (err) => this.log.error('pre-allocating the next CommitLog segment failed (the rollover will create it)', { err }),
    });
    this.retention = new RetentionService(config, this.commitLog, this.queues, this.index, this.paths, this.log);
    this.checkpoint = new StoreCheckpoint(this.paths.checkpoint);
    this.groupCommit = new GroupCommitService(
      () => this.commitLog.flush(),
      () => this.commitLog.flushed,
      config.syncFlushTimeout,
      (err) => this.log.error('commit log flush failed', { err }),
    );
    this.pipeline = new AppendPipeline({
      config,
      commitLog: this.commitLog,
      dispatcher: this.dispatcher,
      groupCommit: this.groupCommit,
      retention: this.retention,
      log: this.log,
      running: () => this.state === State.RUNNING,
      replicated,
    });
    this.reader = new StoreReader({
      config,
      commitLog: this.commitLog,
      queues: this.queues,
      index: this.index,
      shutDown: () => this.state === State.SHUT_DOWN,
      visibleEnd: () => this.getCommitLogMaxOffset(),
    });
  }

  private recoverAndStart(): void {
    const config = this.config;
    const cleanShutdown = lastShutdownWasClean(this.paths.abort);
    const cp = this.checkpoint;
    const hadCheckpoint = fs.existsSync(cp.path) || fs.existsSync(cp.backupPath);
    cp.load();
    if (hadCheckpoint && !cp.valid) {
      this.log.warn(
        `neither ${cp.path} nor ${cp.backupPath} is valid (torn or corrupt): recovery cannot trust its durable points, ` +
          'so it scans the last CommitLog segments and rebuilds the ConsumeQueues and the index from the first record',
      );
    }
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
      chunkSize: this.chunkSize,
      replicated: this.replicated,
    });
    this.recoveryReport = report;
    if (!hadCheckpoint && report.commitLogEnd === 0 && recoveryLostNothing(report)) this.log.info(`opened a new store at ${config.storePathRootDir}`);
    else if (recoveryLostNothing(report)) this.log.info(recoverySummary(report, config.storePathRootDir));
    else this.log.warn(recoverySummary(report, config.storePathRootDir));
    for (const note of report.notes) this.log.warn(note);
    for (const cq of this.queues.all()) this.pipeline.setNextQueueOffset(cq.topic, cq.queueId, cq.nextOffset);
    this.saveCheckpointNow();
    createAbortFile(this.paths.abort);

    const flushTimer = setInterval(() => {
      if (this.commitLog.maxOffset > this.commitLog.flushed) {
        this.commitLog.flush().catch((err: unknown) => this.log.error('commit log flush failed', { err }));
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
    return this.pipeline.putMessage(msg);
  }

  /** One batch: records appended back to back in one segment, consecutive queue offsets. */
  putMessages(msgs: readonly MessageToStore[]): Promise<PutMessagesResult> {
    return this.pipeline.putMessages(msgs);
  }

  /**
   * Registers a listener told of each message that became pullable (for waking held pulls),
   * in the same event-loop turn as its write. Returns an unsubscribe function.
   */
  onMessageArrived(listener: MessageArrivingListener): () => void {
    return this.dispatcher.addListener(listener);
  }

  // ---------------------------------------------------------------- get

  /** Up to maxMsgNums messages of a queue from queue offset `offset`, filtered by tags code or properties (limits: StoreReader). */
  getMessage(
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
    matchTagsCode?: TagsCodeFilter,
    matchProperties?: PropertiesFilter,
  ): GetMessageResult {
    return this.reader.getMessage(topic, queueId, offset, maxMsgNums, matchTagsCode, matchProperties);
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.reader.getMaxOffsetInQueue(topic, queueId);
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.reader.getMinOffsetInQueue(topic, queueId);
  }

  /** CommitLog offset of the message at a queue offset; -1 if there is none. */
  getCommitLogOffsetInQueue(topic: string, queueId: number, consumeQueueOffset: number): number {
    return this.reader.getCommitLogOffsetInQueue(topic, queueId, consumeQueueOffset);
  }

  /** Queue offset by store time: `lower` the first at or after `timestamp`, `upper` the last at or before it. */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number, boundary: 'lower' | 'upper' = 'lower'): number {
    return this.reader.getOffsetInQueueByTime(topic, queueId, timestamp, boundary);
  }

  /** Store time of the message at a queue offset; -1 if there is none. */
  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number {
    return this.reader.getMessageStoreTimeStamp(topic, queueId, consumeQueueOffset);
  }

  /** Store time of the oldest message of a queue; -1 if the queue is empty. */
  getEarliestMessageTime(topic: string, queueId: number): number {
    return this.reader.getEarliestMessageTime(topic, queueId);
  }

  /** Store time of the oldest message in the CommitLog; -1 if there is none. */
  getEarliestMessageTimeOfStore(): number {
    return this.reader.getEarliestMessageTimeOfStore();
  }

  /** End of the CommitLog's readable records; in a replicated store the confirm offset. */
  getCommitLogMaxOffset(): number {
    return this.replicated ? this.pipeline.confirmOffset : this.commitLog.maxOffset;
  }

  getCommitLogMinOffset(): number {
    return this.commitLog.minOffset;
  }

  /**
   * Replication (master, or the Raft layer sending entries): up to maxBytes of the log from `offset`, within one
   * segment, unconfirmed bytes included; null when nothing is there yet.
   */
  readCommitLog(offset: number, maxBytes: number): Buffer | null {
    return this.reader.readCommitLog(offset, maxBytes);
  }

  /**
   * Replication: appends bytes from the master (the Raft leader) at `offset`. A slave dispatches them as if put
   * here; a replicated store when setConfirmOffset covers them. A leader (writable replicated store) refuses.
   */
  appendReplicated(offset: number, bytes: Buffer): void {
    if (this.state === State.SHUT_DOWN) throw new Error('message store is shut down');
    // A slave never puts, so its next-queue-offset table is left to recovery (which rebuilds it from the queues);
    // a replicated store rebuilds it in setWritable(true).
    this.pipeline.appendReplicated(offset, bytes);
  }

  // ---------------------------------------------------------------- replicated CommitLog (Raft)

  /** Replicated: end of what a majority holds; ConsumeQueues, the index and reads stop here. */
  get confirmOffset(): number {
    this.requireReplicated('confirmOffset');
    return this.pipeline.confirmOffset;
  }

  /** Written end of the CommitLog, unconfirmed bytes included (the Raft log's end). */
  get commitLogEnd(): number {
    return this.commitLog.maxOffset;
  }

  /**
   * Replicated: the Raft layer committed everything before `offset` (a record boundary at most commitLogEnd).
   * Dispatches the records up to there, wakes held pulls for them and answers the puts they hold. Never goes
   * backwards: an offset at or below the confirm offset changes nothing.
   */
  setConfirmOffset(offset: number): void {
    this.requireReplicated('setConfirmOffset');
    if (this.state === State.SHUT_DOWN) throw new Error('message store is shut down');
    this.pipeline.confirm(offset, this.chunkSize);
  }

  /**
   * Replicated: told of each chunk of CommitLog bytes that puts wrote (records, and a segment's end blank with
   * its zero filler), in order, contiguous, in the turn they were written. Returns an unsubscribe function.
   */
  onAppended(listener: AppendedChunkListener): () => void {
    this.requireReplicated('onAppended');
    return this.pipeline.addAppendedListener(listener);
  }

  /**
   * Replicated, not writable: drops every CommitLog byte from `offset` on (at least the confirm offset, a record
   * boundary or a segment start), later segments included; appends continue at `offset`. Puts whose bytes
   * went fail. The checkpoint's durable point moves back at once, so a crash never recovers past the cut.
   */
  truncateCommitLog(offset: number): void {
    this.requireReplicated('truncateCommitLog');
    if (this.state === State.SHUT_DOWN) throw new Error('message store is shut down');
    this.pipeline.truncate(offset, this.chunkSize);
    const cp = this.checkpoint;
    if (cp.commitLogFlushedOffset > this.commitLog.flushed) {
      cp.commitLogFlushedOffset = this.commitLog.flushed;
      cp.persistNow();
    }
  }

  /**
   * Replicated: takes puts (the leader, called once everything committed is dispatched: the next queue offsets
   * are rebuilt from the ConsumeQueues) or refuses them (follower, candidate; unwritten records are dropped).
   */
  setWritable(writable: boolean): void {
    this.requireReplicated('setWritable');
    this.pipeline.setAccepting(writable, this.queues.all());
  }

  /** Replicated: whether puts are taken now. */
  get writable(): boolean {
    return this.pipeline.writable && this.pipeline.acceptingPuts;
  }

  /** fdatasyncs the CommitLog; resolves with the offset below which it is durable (SYNC_FLUSH replication). */
  async flushCommitLog(): Promise<number> {
    await this.commitLog.flush();
    return this.commitLog.flushed;
  }

  private requireReplicated(what: string): void {
    if (!this.replicated) throw new Error(`${what} is for a replicated store (MessageStoreOptions.replicated)`);
  }

  /** The raw record at a CommitLog offset (what VIEW_MESSAGE_BY_ID returns), or null. */
  selectOneMessageByOffset(commitLogOffset: number): Buffer | null {
    return this.reader.selectOneMessageByOffset(commitLogOffset);
  }

  /** The decoded record at a CommitLog offset, or null. */
  lookMessageByOffset(commitLogOffset: number): MessageExt | null {
    return this.reader.lookMessageByOffset(commitLogOffset);
  }

  // ---------------------------------------------------------------- index queries

  /** QUERY_MESSAGE: messages of `topic` indexed under `key`, stored within [begin, end], oldest first. */
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): QueryMessageResult {
    return this.reader.queryMessage(topic, key, maxNum, begin, end);
  }

  /** The messages of `topic` whose UNIQ_KEY (client message id) is `uniqKey`, decoded. */
  queryMessageByUniqueKey(topic: string, uniqKey: string): MessageExt[] {
    return this.reader.queryMessageByUniqueKey(topic, uniqKey);
  }

  /** Topics that have ConsumeQueues. */
  getTopics(): string[] {
    return this.queues.topics();
  }

  /** Ids of the topic's ConsumeQueues that hold (or held) messages. */
  getQueueIds(topic: string): number[] {
    return this.queues.queuesOf(topic).map((cq) => cq.queueId).sort((a, b) => a - b);
  }

  /** Drops the topic's ConsumeQueues and queue offsets; its CommitLog records stay until retention. */
  deleteTopic(topic: string): void {
    if (this.state === State.RUNNING && this.pipeline.writable && this.commitLog.hasUnwrittenBytes) {
      // Dispatch what is buffered first, so it cannot recreate the queues afterwards.
      this.pipeline.writeBuffered();
    }
    this.queues.deleteTopic(topic);
    this.pipeline.forgetTopic(topic);
  }

  runtimeStats(): StoreRuntimeStats {
    return {
      bootTimestamp: this.bootTimestamp,
      ...this.pipeline.counters,
      ...this.reader.counters,
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
      this.log.error('retention run failed', { err });
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
      // A truncation meanwhile may have moved the durable point back.
      cp.commitLogFlushedOffset = Math.min(flushed, this.commitLog.flushed);
      cp.physicMsgTimestamp = physicTimestamp;
      if (this.replicated) cp.confirmPhyOffset = dispatched;
      await cp.persist();
    };
    this.cqFlushInFlight = run()
      .catch((err: unknown) => this.log.error('consume queue flush failed', { err }))
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
    if (this.replicated) cp.confirmPhyOffset = this.dispatcher.dispatchedOffset;
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
    // A replicated store's unconfirmed puts get no PUT_OK; what nobody was told of is not written.
    if (this.replicated) this.pipeline.failUnconfirmed();
    this.pipeline.writeBuffered();
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
    if (this.pipeline.writable) removeAbortFile(this.paths.abort);
    this.state = State.SHUT_DOWN;
    // Last: until here another broker must not touch these files.
    this.lock.release();
  }
}
