import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from '../metrics/process-metrics.ts';
import { CappedLabelValues } from '../metrics/capped-label-values.ts';
import { registerRpcMetrics } from '../metrics/rpc-metrics.ts';
import type { RemotingServer } from '../remoting/index.ts';
import type { BrokerConfig } from './broker-config.ts';
import type { BrokerContext } from './broker-context.ts';
import type { RaftMemberStatus } from '../raft/raft-commit-log.ts';
import type { TimerStats } from '../timer/timer-message-store.ts';

/** RocketMQ 5's message_type label values. */
export type MessageType = 'Normal' | 'FIFO' | 'Delay' | 'Transaction';

/**
 * The broker's Prometheus registry. Message and byte counts by topic and group are counted here as they happen
 * (the broker kept no per-topic tally before); everything else is read at scrape time from what the broker and
 * its store already count. Names and labels follow RocketMQ 5's broker metrics; Tern's own carry a tern_ prefix.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly topics: CappedLabelValues;
  private readonly groups: CappedLabelValues;
  private readonly messagesIn: Counter<'topic' | 'message_type'>;
  private readonly throughputIn: Counter<'topic' | 'message_type'>;
  private readonly messageSize: Histogram<'topic' | 'message_type'>;
  private readonly messagesOut: Counter<'topic' | 'consumer_group'>;
  private readonly throughputOut: Counter<'topic' | 'consumer_group'>;
  private readonly toDlq: Counter<'topic' | 'consumer_group'>;
  private readonly commits: Counter<'topic'>;
  private readonly rollbacks: Counter<'topic'>;
  private readonly appendLatency: Histogram<'flush_disk_type'>;
  private readonly flushDiskType: string;
  /** "topic@group" -> queue -> the next offset the group's last pull was told: what separates inflight from ready. */
  private readonly pulledOffsets = new Map<string, Map<number, number>>();

  constructor(c: BrokerConfig) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ cluster: c.brokerClusterName, node_type: 'broker', node_id: c.brokerName, broker_id: String(c.brokerId) });
    registerProcessMetrics(this.registry);
    this.flushDiskType = c.flushDiskType;
    this.topics = new CappedLabelValues(c.metricsLabelValueLimit);
    this.groups = new CappedLabelValues(c.metricsLabelValueLimit);
    this.messagesIn = new Counter({ name: 'rocketmq_messages_in_total', help: 'Messages stored, by topic and message type.', labelNames: ['topic', 'message_type'], registers });
    this.throughputIn = new Counter({ name: 'rocketmq_throughput_in_total', help: 'Body bytes of messages stored, by topic and message type.', labelNames: ['topic', 'message_type'], registers });
    this.messageSize = new Histogram({
      name: 'rocketmq_message_size', help: 'Body bytes of each stored message.', labelNames: ['topic', 'message_type'],
      buckets: [1024, 4096, 512 * 1024, 1024 * 1024, 2 * 1024 * 1024, 4 * 1024 * 1024], registers,
    });
    this.messagesOut = new Counter({ name: 'rocketmq_messages_out_total', help: 'Messages handed to consumers by pulls, by topic and group.', labelNames: ['topic', 'consumer_group'], registers });
    this.throughputOut = new Counter({ name: 'rocketmq_throughput_out_total', help: 'Bytes of stored messages handed to consumers, by topic and group.', labelNames: ['topic', 'consumer_group'], registers });
    this.toDlq = new Counter({ name: 'rocketmq_send_to_dlq_messages_total', help: 'Messages moved to a group\'s dead-letter queue after their last retry, by original topic and group.', labelNames: ['topic', 'consumer_group'], registers });
    this.commits = new Counter({ name: 'rocketmq_commit_messages_total', help: 'Transactional messages committed, by topic.', labelNames: ['topic'], registers });
    this.rollbacks = new Counter({ name: 'rocketmq_rollback_messages_total', help: 'Transactional messages rolled back, by topic.', labelNames: ['topic'], registers });
    this.appendLatency = new Histogram({
      name: 'tern_store_append_latency_seconds',
      help: 'Seconds from handing a put to the store to its result (with SYNC_FLUSH this includes the wait for the group commit).',
      labelNames: ['flush_disk_type'], buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers,
    });
  }

  /** The figures read at scrape time from the running broker, and rpc latency and refusals from its server. */
  observe(ctx: BrokerContext, server: RemotingServer): void {
    this.registerScrapedMetrics(ctx);
    registerRpcMetrics(this.registry, server);
  }

  messagesStored(topic: string, type: MessageType, bodySizes: readonly number[]): void {
    const labels = { topic: this.topics.value(topic), message_type: type };
    this.messagesIn.inc(labels, bodySizes.length);
    let bytes = 0;
    for (const size of bodySizes) {
      bytes += size;
      this.messageSize.observe(labels, size);
    }
    this.throughputIn.inc(labels, bytes);
  }

  appendTook(seconds: number): void {
    this.appendLatency.observe({ flush_disk_type: this.flushDiskType }, seconds);
  }

  messagesPulled(group: string, topic: string, queueId: number, count: number, bytes: number, nextBeginOffset: number): void {
    const labels = { topic: this.topics.value(topic), consumer_group: this.groups.value(group) };
    this.messagesOut.inc(labels, count);
    this.throughputOut.inc(labels, bytes);
    this.pulledTo(group, topic, queueId, nextBeginOffset);
  }

  /** Where a pull left a queue, found or not: ready messages start there. */
  private pulledTo(group: string, topic: string, queueId: number, nextBeginOffset: number): void {
    const key = `${topic}@${group}`;
    let queues = this.pulledOffsets.get(key);
    if (!queues) this.pulledOffsets.set(key, (queues = new Map()));
    queues.set(queueId, nextBeginOffset);
  }

  transactionEnded(topic: string, committed: boolean): void {
    (committed ? this.commits : this.rollbacks).inc({ topic: this.topics.value(topic) });
  }

  /** A message of `originTopic` that `group` gave up on, stored in the group's %DLQ% topic. */
  sentToDlq(group: string, originTopic: string): void {
    this.toDlq.inc({ topic: this.topics.value(originTopic), consumer_group: this.groups.value(group) });
  }

  private registerScrapedMetrics(ctx: BrokerContext): void {
    const registers = [this.registry];
    const c = ctx.config;
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect: (g: Gauge<L>) => void) =>
      new Gauge<L>({ name, help, labelNames, registers, collect(this: Gauge<L>) { this.reset(); collect(this); } });

    gauge('rocketmq_broker_permission', 'The broker\'s PERM bits: 4 read, 2 write, 1 inherit.', [], (g) => g.set(c.brokerPermission));
    gauge('rocketmq_producer_connections', 'Producer connections, by client language and version.', ['language', 'version'], (g) => {
      for (const group of ctx.producers.groupNames()) {
        for (const ch of ctx.producers.channels(group)) g.inc({ language: ch.language, version: String(ch.version) });
      }
    });
    gauge('rocketmq_consumer_connections', 'Consumer connections, by group, client language and version, and consume mode.',
      ['consumer_group', 'language', 'version', 'consume_mode'], (g) => {
        for (const name of ctx.consumers.groupNames()) {
          const info = ctx.consumers.get(name);
          if (!info) continue;
          const consumeMode = info.consumeType === 'CONSUME_ACTIVELY' ? 'pull' : 'push';
          for (const ch of info.channels.values()) {
            g.inc({ consumer_group: this.groups.value(name), language: ch.language, version: String(ch.version), consume_mode: consumeMode });
          }
        }
      });
    // One walk over the committed offsets fills all three: lag is registered first, so its collect runs before
    // the scrape reads inflight and ready.
    const lagLabels = ['topic', 'consumer_group'] as const;
    const inflight = new Gauge({ name: 'rocketmq_consumer_inflight_messages', help: 'Messages pulled by a group and not yet committed.', labelNames: lagLabels, registers: [] });
    const ready = new Gauge({ name: 'rocketmq_consumer_ready_messages', help: 'Messages stored and not yet pulled by a group.', labelNames: lagLabels, registers: [] });
    gauge('rocketmq_consumer_lag_messages', 'Messages not yet committed by a group: queue max offset minus committed offset.', lagLabels, (lag) => {
      inflight.reset();
      ready.reset();
      for (const { group, topic } of committedPairs(ctx)) {
        const tc = ctx.topics.select(topic);
        if (!tc) continue;
        const labels = { topic: this.topics.value(topic), consumer_group: this.groups.value(group) };
        const pulled = this.pulledOffsets.get(`${topic}@${group}`);
        let lagSum = 0;
        let inflightSum = 0;
        for (let q = 0; q < tc.readQueueNums; q++) {
          const max = ctx.store.getMaxOffsetInQueue(topic, q);
          const committed = Math.min(max, Math.max(ctx.offsets.query(group, topic, q), ctx.store.getMinOffsetInQueue(topic, q)));
          const pulledTo = Math.min(max, Math.max(pulled?.get(q) ?? committed, committed));
          lagSum += max - committed;
          inflightSum += pulledTo - committed;
        }
        lag.inc(labels, lagSum);
        inflight.inc(labels, inflightSum);
        ready.inc(labels, lagSum - inflightSum);
      }
    });
    this.registry.registerMetric(inflight);
    this.registry.registerMetric(ready);

    const storeGauge = (name: string, help: string, read: (s: ReturnType<typeof ctx.store.runtimeStats>) => number) =>
      gauge(name, help, [], (g) => g.set(read(ctx.store.runtimeStats())));
    storeGauge('rocketmq_storage_size', 'Bytes of CommitLog the store holds (max offset minus min offset).', (s) => s.commitLogMaxOffset - s.commitLogMinOffset);
    storeGauge('rocketmq_storage_flush_behind_bytes', 'CommitLog bytes written but not yet flushed to disk.', (s) => s.commitLogMaxOffset - s.commitLogFlushedOffset);
    storeGauge('rocketmq_storage_dispatch_behind_bytes', 'CommitLog bytes not yet dispatched to ConsumeQueues and the index.', (s) => s.dispatchBehindBytes);
    gauge('rocketmq_storage_message_reserve_time', 'Milliseconds since the oldest message the store holds was stored (none while empty).', [], (g) => {
      const earliest = ctx.store.getEarliestMessageTimeOfStore();
      if (earliest >= 0) g.set(Math.max(0, Date.now() - earliest));
    });
    storeGauge('tern_store_disk_used_ratio', 'Share of the store\'s disk in use at the last retention check.', (s) => s.diskUsedRatio);
    storeGauge('tern_store_sync_flush_waiters', 'Puts waiting for the group commit.', (s) => s.syncFlushWaiters);
    new Counter({
      name: 'tern_store_put_failures_total', help: 'Puts the store refused or failed.', registers,
      collect(this: Counter) { this.reset(); this.inc(ctx.store.runtimeStats().putMessageFailedTimes); },
    });
    this.registerTimerMetrics(ctx, gauge);
    // DLedger mode only: where this member stands in its Raft group (absent otherwise).
    const raftGauge = (name: string, help: string, read: (r: RaftMemberStatus) => number) =>
      gauge(name, help, [], (g) => {
        const r = ctx.raft?.status();
        if (r) g.set(read(r));
      });
    raftGauge('tern_raft_term', 'Raft term this member is in.', (r) => r.term);
    raftGauge('tern_raft_leader', '1 while this member leads its Raft group, else 0.', (r) => (r.role === 'leader' ? 1 : 0));
    raftGauge('tern_raft_commit_index', 'Last Raft index this member knows committed by a majority.', (r) => r.commitIndex);
    raftGauge('tern_raft_applied_index', 'Last Raft index this member confirmed to its ConsumeQueues.', (r) => r.appliedIndex);
    raftGauge('tern_raft_last_index', 'Last Raft index in this member\'s log (committed or not).', (r) => r.lastIndex);
    gauge('tern_long_poll_held_requests', 'Pull requests held until a message arrives (long polling).', [], (g) => g.set(ctx.pullHold.size));
    gauge('tern_replication_lag_bytes', 'CommitLog bytes a slave lacks, per slave connected to this master.', ['slave'], (g) => {
      for (const r of ctx.haMaster?.replicaInfo() ?? []) g.set({ slave: r.address }, r.lagBytes);
    });
    gauge('tern_metrics_label_values_folded', 'Distinct topics or groups counted under "other" because metricsLabelValueLimit was reached.',
      ['label'], (g) => {
        g.set({ label: 'topic' }, this.topics.foldedCount);
        g.set({ label: 'consumer_group' }, this.groups.foldedCount);
      });
  }

  /** The timer wheel, under RocketMQ 5's timer names where it has one (its latencies are in ms, so is ours). */
  private registerTimerMetrics(ctx: BrokerContext, gauge: <L extends string>(name: string, help: string, labelNames: readonly L[], collect: (g: Gauge<L>) => void) => Gauge<L>): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, read: (t: TimerStats) => number) => new Counter({
      name, help, registers, collect(this: Counter) { this.reset(); this.inc(read(ctx.timer.stats())); },
    });
    gauge('rocketmq_timing_messages', 'Timer messages waiting for their due time (all topics).', [], (g) => g.set(ctx.timer.stats().pending));
    counter('rocketmq_timer_enqueue_total', 'Timer messages indexed into the timer log and wheel.', (t) => t.enqueued);
    counter('rocketmq_timer_dequeue_total', 'Timer messages re-put to their real topic when due.', (t) => t.delivered);
    gauge('rocketmq_timer_enqueue_lag', 'Messages of the timer topic stored but not yet indexed into the wheel.', [], (g) => g.set(ctx.timer.offsetBehind()));
    gauge('rocketmq_timer_dequeue_latency', 'Milliseconds the wheel\'s delivery is behind the clock (0 on a slave).', [], (g) => g.set(ctx.timer.stats().lagMs));
    gauge('tern_timer_next_due_timestamp_seconds', 'Due time of the earliest pending timer, in Unix seconds (absent when none is pending).', [], (g) => {
      const next = ctx.timer.stats().nextDueMs;
      if (next >= 0) g.set(next / 1000);
    });
    counter('tern_timer_recalled_total', 'Timer messages recalled before their due time.', (t) => t.recalled);
    counter('tern_timer_rolled_total', 'Timer messages rolled forward in the CommitLog so retention does not delete them.', (t) => t.rolled);
    gauge('tern_timer_log_bytes', 'Bytes of the timer log on disk.', [], (g) => g.set(ctx.timer.stats().timerLogBytes));
  }
}

/** Every (group, topic) with a committed offset here; "topic@group", and topic names hold no '@'. */
function committedPairs(ctx: BrokerContext): { group: string; topic: string }[] {
  return Object.keys(ctx.offsets.snapshot().offsetTable).map((key) => {
    const at = key.indexOf('@');
    return { topic: key.slice(0, at), group: key.slice(at + 1) };
  });
}
