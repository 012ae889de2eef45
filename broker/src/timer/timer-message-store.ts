import type { Logger } from '../logging/logger.ts';
import { encodeProperties, MessageConst } from '../message/properties.ts';
import type { HostAddress } from '../message/host-address.ts';
import { decodeStoredMessage, type MessageExt } from '../message/stored-message.ts';
import { isStored, type MessageStore, type MessageToStore } from '../store/message-store.ts';
import { TimeWheel } from './time-wheel.ts';
import { TimerCheckpoint, type TimerCheckpointState } from './timer-checkpoint.ts';
import { TimerLog, TimerRecordKind, type TimerLogRecord } from './timer-log.ts';
import { chunkByQueue, deliveryOf, progressMarker, TIMER_PROGRESS_PROPERTY, TIMER_TOPIC, timerKey } from './timer-messages.ts';

/** A run of records read at once spans at most this much of the CommitLog, plus room for its last record. */
const LOOK_RUN_BYTES = 1024 * 1024;
const LOOK_TAIL_BYTES = 64 * 1024;
/** Pending timers read for the per-topic admin view (see pendingByTopic). */
const PER_TOPIC_SCAN_LIMIT = 100_000;

export interface TimerStoreOptions {
  store: MessageStore;
  /** Directory of the timer log's segments. */
  logDir: string;
  checkpointPath: string;
  precisionMs: number;
  timerLogSegmentBytes: number;
  flushIntervalMs: number;
  log: Logger;
  /** A master delivers; a replica only indexes, following the master's progress markers. */
  deliver: boolean;
  /** Host written into the progress markers this broker stores. */
  storeHost: HostAddress;
  /**
   * A pending timer whose message was stored longer ago than this is rolled forward into a new CommitLog record, so
   * retention (fileReservedTime) never deletes it before it is due.
   */
  rollAfterMs: number;
  /** The clock timers are due by; tests inject one and never sleep. */
  clock?: () => number;
}

/**
 * Messages delayed to any time. Sends due later are stored once in the timer topic (see timer-request.ts); this
 * service indexes that topic's ConsumeQueue into the timer log and a hierarchical time wheel, and, on a master,
 * re-puts each message to its real topic and queue when its slot is due. A replica runs only the indexing, following
 * the master's progress markers, so that on promotion it delivers what the old master had pending.
 */
export class TimerMessageStore {
  readonly precisionMs: number;
  private readonly store: MessageStore;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly checkpoint: TimerCheckpoint;
  private readonly opts: TimerStoreOptions;
  private timerLog!: TimerLog;
  private wheel!: TimeWheel;
  /** Latest record of each pending slot (records of a slot link backwards in the timer log). */
  private readonly heads = new Map<number, number>();
  /** Slots the wheel gave out, ascending, not yet fully delivered. */
  private dueSlots: number[] = [];
  /** How many records of dueSlots[0] were already re-put (a failed put resumes there). */
  private doneInFirstSlot = 0;
  private queueOffset = 0;
  private deliveredSlot = 0;
  /** Delivered slots waiting for their re-puts to be flushed before the checkpoint may name them. */
  private unflushedProgress: { slot: number; endOffset: number }[] = [];
  private durableDeliveredSlot = 0;
  private markedSlot = 0;
  private delivering: boolean;
  private stopped = false;
  private busy = false;
  private timers: NodeJS.Timeout[] = [];
  private pendingCount = 0;
  /** Timer log index from which the roll looks for old pending timers (records are in store order). */
  private rollCursor = 0;
  private lastRollAt = 0;
  private byTopicCache: { at: number; counts: Map<string, number>; scanned: number } | undefined;
  private persisting: Promise<void> = Promise.resolve();
  private savedCheckpoint = '';
  private readonly recallOutcomes = new Map<number, boolean>();
  private readonly recallWaiters = new Map<number, (late: boolean) => void>();
  private readonly counters = { enqueued: 0, delivered: 0, recalled: 0, rolled: 0 };

  constructor(opts: TimerStoreOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.precisionMs = opts.precisionMs;
    this.delivering = opts.deliver;
    this.log = opts.log;
    this.clock = opts.clock ?? Date.now;
    this.checkpoint = new TimerCheckpoint(opts.checkpointPath, opts.log);
  }

  /** Slot of a due time: the first slot edge at or after it, so nothing is ever delivered early. */
  slotOf(dueMs: number): number {
    return Math.max(0, Math.ceil(dueMs / this.precisionMs));
  }

  /** Loads the checkpoint and the timer log, and rebuilds the wheel; indexing of the queue starts on start(). */
  load(): void {
    let cp = this.checkpoint.load();
    const logDir = this.opts.logDir;
    if (cp && cp.precisionMs !== this.precisionMs) {
      this.log.warn(`timerPrecisionMs changed from ${cp.precisionMs} to ${this.precisionMs}: the timer log is indexed again from the timer topic`);
      cp = { timerQueueOffset: 0, timerLogEnd: 0, deliveredSlot: Math.floor(cp.deliveredSlot * cp.precisionMs / this.precisionMs), precisionMs: this.precisionMs };
    }
    this.timerLog = TimerLog.open(logDir, this.opts.timerLogSegmentBytes, cp?.timerLogEnd ?? 0);
    if (cp && this.timerLog.end !== cp.timerLogEnd) {
      this.log.warn(`the timer log ends at ${this.timerLog.end}, its checkpoint says ${cp.timerLogEnd}: indexed again from the timer topic`);
      this.timerLog.close();
      this.timerLog = TimerLog.open(logDir, this.opts.timerLogSegmentBytes, 0);
      cp = { ...cp, timerQueueOffset: 0, timerLogEnd: 0 };
    }
    this.deliveredSlot = cp?.deliveredSlot ?? 0;
    this.durableDeliveredSlot = this.deliveredSlot;
    this.markedSlot = this.deliveredSlot;
    this.queueOffset = Math.max(cp?.timerQueueOffset ?? 0, this.store.getMinOffsetInQueue(TIMER_TOPIC, 0));
    this.wheel = new TimeWheel(this.deliveredSlot);
    this.timerLog.forEach((rec, index) => {
      const slot = this.slotOf(rec.dueMs);
      if (slot <= this.deliveredSlot) return;
      if (!this.heads.has(slot)) this.wheel.add(slot);
      this.heads.set(slot, index);
      if (rec.kind === TimerRecordKind.TIMER) this.pendingCount++;
    });
    this.rollCursor = this.timerLog.start;
  }

  /**
   * A Raft member's role changes while it runs: as the new master it delivers from the last progress its old master
   * marked (what a replica follows), as a follower it only indexes again.
   */
  setDelivering(on: boolean): void {
    if (this.delivering === on) return;
    this.delivering = on;
    if (on) this.markedSlot = Math.max(this.markedSlot, this.deliveredSlot);
    this.log.info(on ? `delivering timers due after ${new Date(this.deliveredSlot * this.precisionMs).toISOString()}` : 'timers: indexing only (not the master)');
  }

  /** Starts indexing (and, on a master, delivering) on timers of its own. */
  start(): void {
    // A tick at most 10 ms apart keeps lateness near the slot precision rather than adding a slot of its own.
    const tick = setInterval(() => void this.tick(), Math.max(1, Math.min(this.precisionMs, 10)));
    const persist = setInterval(() => void this.persist().catch((err: unknown) => this.log.error('timer checkpoint failed', { err })), this.opts.flushIntervalMs);
    tick.unref();
    persist.unref();
    this.timers.push(tick, persist);
  }

  /** One pass: index what the timer topic gained, then (master) deliver what is due. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.enqueue();
      if (this.delivering) {
        const now = this.clock();
        await this.deliverDue(now);
        if (now - this.lastRollAt >= this.opts.flushIntervalMs) {
          this.lastRollAt = now;
          await this.rollOld(now);
        }
      }
    } catch (err) {
      this.log.error(`timer pass failed: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** Indexes the timer topic's new ConsumeQueue units into the timer log and the wheel. */
  enqueue(): number {
    const max = this.store.getMaxOffsetInQueue(TIMER_TOPIC, 0);
    let n = 0;
    while (this.queueOffset < max) {
      const units = Math.min(max - this.queueOffset, 1024);
      const offsets = Array.from({ length: units }, (_, k) => this.store.getCommitLogOffsetInQueue(TIMER_TOPIC, 0, this.queueOffset + k));
      const messages = this.lookMessages(offsets);
      for (let k = 0; k < units; k++, this.queueOffset++, n++) this.index(offsets[k]!, messages[k] ?? null);
    }
    return n;
  }

  /**
   * Reads the messages at `offsets` (-1 for none) with one read per run of nearby records rather than one per
   * message: a burst of timers lies mostly back to back in the CommitLog.
   */
  private lookMessages(offsets: readonly number[]): (MessageExt | null)[] {
    const out: (MessageExt | null)[] = offsets.map(() => null);
    const order = offsets.map((_, i) => i).filter((i) => offsets[i]! >= 0).sort((a, b) => offsets[a]! - offsets[b]!);
    for (let k = 0; k < order.length;) {
      const start = offsets[order[k]!]!;
      let last = k;
      while (last + 1 < order.length && offsets[order[last + 1]!]! - start < LOOK_RUN_BYTES) last++;
      const buf = this.store.readCommitLog(start, offsets[order[last]!]! - start + LOOK_TAIL_BYTES);
      for (; k <= last; k++) {
        const i = order[k]!;
        const pos = offsets[i]! - start;
        let msg: MessageExt | null = null;
        try {
          msg = buf && pos < buf.length ? decodeStoredMessage(buf, pos) : null;
        } catch {
          msg = null; // cut by the read's end: read alone below
        }
        out[i] = msg ?? this.store.lookMessageByOffset(offsets[i]!);
      }
    }
    return out;
  }

  /** Indexes one timer-topic message: a timer or a recall into the timer log and its slot; a progress marker followed. */
  private index(phy: number, msg: MessageExt | null): void {
    if (!msg) return;
    const progress = msg.properties.get(TIMER_PROGRESS_PROPERTY);
    if (progress !== undefined) {
      this.followProgress(Math.floor(Number(progress) / this.precisionMs));
      return;
    }
    const dueMs = Number(msg.properties.get(MessageConst.TIMER_OUT_MS));
    if (!Number.isFinite(dueMs)) {
      this.log.warn(`timer topic message at ${phy} has no TIMER_OUT_MS: skipped`);
      return;
    }
    const kind = msg.properties.has(MessageConst.TIMER_DEL_UNIQKEY) ? TimerRecordKind.RECALL : TimerRecordKind.TIMER;
    // One that arrives for a slot already passed (indexing lagged, or a recall came late) goes to the next slot.
    const slot = Math.max(this.slotOf(dueMs), this.wheel.currentSlot + 1);
    if (kind === TimerRecordKind.RECALL) this.settleRecall(this.queueOffset, slot !== this.slotOf(dueMs));
    const rec: TimerLogRecord = { dueMs: slot === this.slotOf(dueMs) ? dueMs : slot * this.precisionMs, commitLogOffset: phy, size: msg.storeSize, prev: this.heads.get(slot) ?? -1, kind };
    const index = this.timerLog.append(rec);
    if (rec.prev < 0) this.wheel.add(slot);
    this.heads.set(slot, index);
    if (kind === TimerRecordKind.TIMER) {
      this.pendingCount++;
      this.counters.enqueued++;
    }
  }

  /**
   * Resolves once the recall marker at timer-topic `queueOffset` is indexed: true when it came too late, its slot
   * already given out (the timer it names was delivered), false when it is in the slot with the timer; undefined when
   * not indexed within `timeoutMs`.
   */
  recallOutcome(queueOffset: number, timeoutMs: number): Promise<boolean | undefined> {
    const known = this.recallOutcomes.get(queueOffset);
    if (known !== undefined) {
      this.recallOutcomes.delete(queueOffset);
      return Promise.resolve(known);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.recallWaiters.delete(queueOffset);
        resolve(undefined);
      }, timeoutMs);
      this.recallWaiters.set(queueOffset, (late) => {
        clearTimeout(timer);
        resolve(late);
      });
    });
  }

  private settleRecall(queueOffset: number, late: boolean): void {
    const waiter = this.recallWaiters.get(queueOffset);
    if (waiter) {
      this.recallWaiters.delete(queueOffset);
      waiter(late);
      return;
    }
    // Indexed before the recall asked (a tick ran while its put was answered); kept briefly, bounded.
    this.recallOutcomes.set(queueOffset, late);
    if (this.recallOutcomes.size > 1024) this.recallOutcomes.delete(this.recallOutcomes.keys().next().value!);
  }

  /** A replica drops what its master says was delivered; a master already has. */
  private followProgress(slot: number): void {
    if (this.delivering || slot <= this.deliveredSlot) return;
    for (const s of this.wheel.advance(slot)) this.dropSlot(s);
    this.deliveredSlot = slot;
    this.durableDeliveredSlot = slot;
    this.markedSlot = slot;
  }

  private dropSlot(slot: number): void {
    for (const rec of this.slotRecords(slot)) if (rec.kind === TimerRecordKind.TIMER) this.pendingCount--;
    this.heads.delete(slot);
  }

  /** The records of a pending slot, oldest first. */
  private slotRecords(slot: number): TimerLogRecord[] {
    const out: TimerLogRecord[] = [];
    // Below start() only dead records remain (see TimerLog.deleteDelivered).
    for (let i = this.heads.get(slot) ?? -1; i >= this.timerLog.start;) {
      const rec = this.timerLog.read(i);
      out.push(rec);
      i = rec.prev;
    }
    return out.reverse();
  }

  /**
   * Rolls forward pending timers whose message is older than rollAfterMs: the same message is stored again in the
   * timer topic (TIMER_ROLL_TIMES + 1), indexed into the same slot, and the old record is marked rolled.
   */
  async rollOld(now: number): Promise<number> {
    let rolled = 0;
    for (this.rollCursor = Math.max(this.rollCursor, this.timerLog.start); this.rollCursor < this.timerLog.end; this.rollCursor++) {
      const rec = this.timerLog.read(this.rollCursor);
      if (rec.kind !== TimerRecordKind.TIMER || this.slotOf(rec.dueMs) <= this.wheel.currentSlot) continue;
      const msg = this.store.lookMessageByOffset(rec.commitLogOffset);
      if (!msg) continue;
      if (msg.storeTimestamp > now - this.opts.rollAfterMs) break;
      const props = new Map(msg.properties);
      props.set(MessageConst.TIMER_ROLL_TIMES, String(Number(props.get(MessageConst.TIMER_ROLL_TIMES) ?? 0) + 1));
      const copy: MessageToStore = {
        topic: TIMER_TOPIC, queueId: 0, flag: msg.flag, sysFlag: msg.sysFlag, bornTimestamp: msg.bornTimestamp, bornHost: msg.bornHost,
        storeHost: msg.storeHost, reconsumeTimes: msg.reconsumeTimes, preparedTransactionOffset: msg.preparedTransactionOffset,
        body: Buffer.from(msg.body), properties: encodeProperties(props),
      };
      const r = await this.store.putMessage(copy);
      if (!isStored(r.status)) {
        this.log.warn(`rolling the timer at CommitLog ${rec.commitLogOffset} forward failed (${r.status}): retried later`);
        break;
      }
      this.timerLog.markRolled(this.rollCursor);
      this.pendingCount--;
      this.counters.rolled++;
      rolled++;
    }
    return rolled;
  }

  /** Re-puts every timer of every slot due by `now`, slot by slot; stops at a failed put and resumes there next time. */
  async deliverDue(now: number): Promise<number> {
    const nowSlot = Math.floor(now / this.precisionMs);
    if (nowSlot > this.wheel.currentSlot) this.dueSlots.push(...this.wheel.advance(nowSlot));
    let delivered = 0;
    // Slot after slot: starting several slots' re-puts at once measured slower (bench-timer), not faster.
    while (this.dueSlots.length > 0) {
      const slot = this.dueSlots[0]!;
      const r = await this.deliverSlot(slot, this.doneInFirstSlot);
      delivered += r.delivered;
      if (!r.complete) {
        this.doneInFirstSlot = r.resumeAt;
        return delivered;
      }
      this.dueSlots.shift();
      this.doneInFirstSlot = 0;
      this.heads.delete(slot);
    }
    const reached = this.wheel.currentSlot;
    if (reached > this.deliveredSlot) {
      this.deliveredSlot = reached;
      this.unflushedProgress.push({ slot: reached, endOffset: this.store.getCommitLogMaxOffset() });
    }
    return delivered;
  }

  /** Re-puts one slot's timers (from record `skipBefore` on), those of one queue in batches. */
  private async deliverSlot(slot: number, skipBefore: number): Promise<SlotDelivery> {
    const records = this.slotRecords(slot);
    const cancelled = new Set<string>();
    const messages = this.lookMessages(records.map((r) => r.commitLogOffset));
    for (const [i, rec] of records.entries()) {
      const key = rec.kind === TimerRecordKind.RECALL ? messages[i]?.properties.get(MessageConst.TIMER_DEL_UNIQKEY) : undefined;
      if (key) cancelled.add(key);
    }
    const seen = new Set<string>();
    const deliveries: { index: number; msg: MessageToStore }[] = [];
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      const msg = messages[i];
      if (rec.kind !== TimerRecordKind.TIMER) continue;
      const realTopic = msg?.properties.get(MessageConst.REAL_TOPIC);
      const uniq = msg?.properties.get(MessageConst.UNIQ_KEY);
      const key = realTopic && uniq ? timerKey(realTopic, uniq) : undefined;
      const skip = !msg || !realTopic || (key !== undefined && (cancelled.has(key) || seen.has(key)));
      if (key) seen.add(key);
      if (i < skipBefore) continue;
      if (skip) {
        if (!msg) this.log.warn(`timer message at CommitLog ${rec.commitLogOffset} is gone (deleted by retention?): not delivered`);
        else if (key && cancelled.has(key)) this.counters.recalled++;
        continue;
      }
      deliveries.push({ index: i, msg: deliveryOf(msg, realTopic) });
    }
    const chunks = chunkByQueue(deliveries, Math.min(512 * 1024, this.store.config.maxMessageSize));
    const results = await Promise.all(chunks.map(async (chunk) => {
      const r = chunk.length === 1 ? await this.store.putMessage(chunk[0]!.msg) : await this.store.putMessages(chunk.map((d) => d.msg));
      return { ok: isStored(r.status), first: chunk[0]!.index, size: chunk.length };
    }));
    const failed = results.findIndex((r) => !r.ok);
    const delivered = results.slice(0, failed >= 0 ? failed : results.length).reduce((n, r) => n + r.size, 0);
    if (failed >= 0) {
      // Puts before the failure are stored and not repeated; at-least-once allows any after it to be put again.
      this.log.warn(`timer delivery of slot ${slot} failed at one of its re-puts: retried on the next pass`);
      return { delivered, complete: false, resumeAt: results[failed]!.first };
    }
    this.pendingCount -= records.filter((r) => r.kind === TimerRecordKind.TIMER).length;
    this.counters.delivered += delivered;
    return { delivered, complete: true, resumeAt: 0 };
  }

  /**
   * Makes progress durable: flushes the timer log, saves the checkpoint naming only slots whose re-puts are flushed,
   * writes a progress marker to the timer topic for replicas, and deletes timer log segments wholly delivered.
   */
  persist(): Promise<void> {
    this.persisting = this.persisting.then(() => this.persistOnce());
    return this.persisting;
  }

  private async persistOnce(): Promise<void> {
    if (!this.timerLog) return;
    const state: TimerCheckpointState = {
      timerQueueOffset: this.queueOffset, timerLogEnd: this.timerLog.end, deliveredSlot: this.durableDeliveredSlot, precisionMs: this.precisionMs,
    };
    const flushed = this.store.runtimeStats().commitLogFlushedOffset;
    while (this.unflushedProgress.length > 0 && this.unflushedProgress[0]!.endOffset <= flushed) {
      state.deliveredSlot = this.unflushedProgress.shift()!.slot;
    }
    await this.timerLog.flush();
    // An idle broker does not rewrite (and fsync) an unchanged checkpoint every interval.
    const text = JSON.stringify(state);
    if (text !== this.savedCheckpoint) {
      this.checkpoint.save(state);
      this.savedCheckpoint = text;
    }
    this.durableDeliveredSlot = state.deliveredSlot;
    if (this.delivering && !this.stopped && state.deliveredSlot > this.markedSlot) {
      const r = await this.store.putMessage(progressMarker(state.deliveredSlot * this.precisionMs, this.opts.storeHost));
      if (isStored(r.status)) this.markedSlot = state.deliveredSlot;
    }
    this.timerLog.deleteDelivered(state.deliveredSlot * this.precisionMs);
  }

  /** Pending timers, the wheel's lag behind the clock, and the timer log's disk use. */
  stats(): TimerStats {
    const now = this.clock();
    const next = this.dueSlots[0] ?? this.wheel.earliest();
    return {
      pending: this.pendingCount,
      deliveredUpToMs: this.deliveredSlot * this.precisionMs,
      lagMs: this.delivering ? Math.max(0, now - (this.dueSlots[0] ?? this.wheel.currentSlot) * this.precisionMs) : 0,
      nextDueMs: next === undefined ? -1 : next * this.precisionMs,
      timerLogBytes: this.timerLog.diskBytes,
      slots: this.heads.size,
      ...this.counters,
    };
  }

  /** Queue units of the timer topic not yet indexed (RocketMQ's timerOffsetBehind). */
  offsetBehind(): number {
    return Math.max(0, this.store.getMaxOffsetInQueue(TIMER_TOPIC, 0) - this.queueOffset);
  }

  /**
   * Pending timers per real topic (admin view), from the messages of at most PER_TOPIC_SCAN_LIMIT pending timers
   * (`scanned` says how many; fewer than `pending` means a sample), kept for a minute once that is more than a few
   * thousand: the timer log does not hold topics, and a broker with a million timers must not stall reading them all
   * for every admin poll.
   */
  pendingByTopic(): { counts: Map<string, number>; scanned: number } {
    const now = this.clock();
    if (this.byTopicCache && this.byTopicCache.scanned >= 10_000 && now - this.byTopicCache.at < 60_000) return this.byTopicCache;
    const offsets: number[] = [];
    for (const slot of this.heads.keys()) {
      for (const rec of this.slotRecords(slot)) if (rec.kind === TimerRecordKind.TIMER) offsets.push(rec.commitLogOffset);
      if (offsets.length >= PER_TOPIC_SCAN_LIMIT) break;
    }
    const counts = new Map<string, number>();
    for (const msg of this.lookMessages(offsets)) {
      const topic = msg?.properties.get(MessageConst.REAL_TOPIC) ?? '?';
      counts.set(topic, (counts.get(topic) ?? 0) + 1);
    }
    this.byTopicCache = { at: now, counts, scanned: offsets.length };
    return this.byTopicCache;
  }

  /** Whether a message of the timer topic due at `dueMs` was already delivered (its slot passed). */
  isDelivered(dueMs: number): boolean {
    return this.slotOf(dueMs) <= this.deliveredSlot;
  }

  /** Stops indexing and delivering; the store is shut down next, and close() then saves the final checkpoint. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    this.stopped = true;
  }

  /**
   * The final checkpoint, after the store's shutdown flushed the CommitLog: it then names every slot delivered, so a
   * clean restart repeats nothing.
   */
  async close(): Promise<void> {
    await this.stop();
    await this.persist().catch((err: unknown) => this.log.error('final timer checkpoint failed', { err }));
    this.timerLog?.close();
  }
}

interface SlotDelivery {
  delivered: number;
  complete: boolean;
  /** Record index of the slot to resume at after a failed put. */
  resumeAt: number;
}

export interface TimerStats {
  pending: number;
  deliveredUpToMs: number;
  lagMs: number;
  nextDueMs: number;
  timerLogBytes: number;
  slots: number;
  enqueued: number;
  delivered: number;
  recalled: number;
  rolled: number;
}
