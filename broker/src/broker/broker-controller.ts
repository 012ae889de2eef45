import path from 'node:path';
import { createLogger, type Logger } from '../logging/logger.ts';
import { Perm, type TopicConfigSerializeWrapper } from '../protocol/index.ts';
import { openSocket, RemotingClient, RemotingServer, TlsAcceptor } from '../remoting/index.ts';
import { pickKeys } from '../config/config-table.ts';
import { ACK_BEFORE_SYNC_FOR_TESTS } from '../store/group-commit.ts';
import { MessageStore } from '../store/message-store.ts';
import { messageStoreConfigTable } from '../store/message-store-config.ts';
import { registerAdminProcessor } from './admin-processor.ts';
import { localIPv4 } from '../message/host-address.ts';
import type { BrokerConfig } from './broker-config.ts';
import type { BrokerContext } from './broker-context.ts';
import { registerClientManageProcessor } from './client-manage-processor.ts';
import { registerConsumerManageProcessor, registerQueueLockProcessor } from './consumer-manage-processor.ts';
import { RebalanceLockManager } from './rebalance-lock-manager.ts';
import { ScheduleMessageService } from './schedule-message-service.ts';
import { registerSendBackProcessor } from './send-back-processor.ts';
import { registerStatsProcessor } from './stats-processor.ts';
import { DailyTotals } from './daily-totals.ts';
import { SubscriptionGroupManager } from './subscription-group-manager.ts';
import { registerEndTransactionProcessor } from './end-transaction-processor.ts';
import { TransactionalMessageService } from './transactional-message-service.ts';
import { ConsumerManager, ProducerManager } from './consumer-manager.ts';
import { ConsumerOffsetManager } from './consumer-offset-manager.ts';
import { HaMaster } from '../ha/ha-master.ts';
import { HaSlave } from '../ha/ha-slave.ts';
import { NamesrvRegistrar } from './namesrv-registrar.ts';
import { RaftRoleHandler } from './raft-role-handler.ts';
import { RaftCommitLog } from '../raft/raft-commit-log.ts';
import { parseRaftPeers, raftSelfId } from '../raft/raft-peers.ts';
import { awaitOwnAddress } from './raft-self-address.ts';
import { SlaveSynchronize } from './slave-synchronize.ts';
import { registerPullProcessor, reexecuteHeldPull } from './pull-message-processor.ts';
import { registerQueryMessageProcessor } from './query-message-processor.ts';
import { registerRecallProcessor } from './recall-message-processor.ts';
import { PullRequestHoldService } from './pull-request-hold-service.ts';
import { registerSendProcessor } from './send-message-processor.ts';
import { registerReplyProcessor } from './reply-message-processor.ts';
import { TopicConfigManager } from './topic-config-manager.ts';
import { TpsSampler } from './tps-sampler.ts';
import { BrokerMetrics } from './broker-metrics.ts';
import { MetricsHttpServer } from '../metrics/metrics-http-server.ts';
import { registerAclAdminProcessor } from '../auth/acl-admin-processor.ts';
import { innerRequestSigner, ServerSecurity } from '../auth/server-security.ts';
import { TimerMessageStore } from '../timer/timer-message-store.ts';
import { tlsClientSettings, tlsServerSettings } from '../auth/tls-config.ts';

const MASTER_LOOKUP_INTERVAL_MS = 2000;
const RAFT_MASTER_LOOKUP_INTERVAL_MS = 250;

/** One broker: store, metadata, processors, namesrv registration, and an orderly start and stop. */
export class BrokerController {
  readonly config: BrokerConfig;
  private readonly log: Logger;
  private ctx: BrokerContext | undefined;
  private server: RemotingServer | undefined;
  private outbound: RemotingClient | undefined;
  private security: ServerSecurity | undefined;
  private registrar: NamesrvRegistrar | undefined;
  private metricsServer: MetricsHttpServer | undefined;
  private timers: NodeJS.Timeout[] = [];
  private samplers: TpsSampler[] = [];
  private stopping: Promise<void> | undefined;
  /** What the namesrv told this slave about its master (REGISTER_BROKER response). */
  private learnedMaster: { brokerAddr?: string | undefined; haServerAddr?: string | undefined } = {};
  /** DLedger mode: the Raft-replicated CommitLog and the role it gives this broker. */
  private raft: RaftCommitLog | undefined;
  private raftRoles: RaftRoleHandler | undefined;
  private slaveSyncTimer: NodeJS.Timeout | undefined;
  private slaveSync: SlaveSynchronize | undefined;

  constructor(config: BrokerConfig, log: Logger = createLogger(`broker ${config.brokerName}`)) {
    this.config = { ...config };
    if (!this.config.brokerIP1) this.config.brokerIP1 = localIPv4();
    // listenPort 0 (tests) means ephemeral ports for both.
    if (!this.config.haListenPort && this.config.listenPort) this.config.haListenPort = this.config.listenPort + 1;
    this.log = log;
  }

  get port(): number {
    return this.server?.port ?? this.config.listenPort;
  }

  /** Port of /metrics, or undefined when metricsExporterType is DISABLE. */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** brokerIP1:listenPort: what clients are told to connect to. */
  get brokerAddr(): string {
    return `${this.config.brokerIP1}:${this.port}`;
  }

  get context(): BrokerContext {
    if (!this.ctx) throw new Error('broker not started');
    return this.ctx;
  }

  async start(): Promise<void> {
    const c = this.config;
    const root = c.storePathRootDir;
    if (ACK_BEFORE_SYNC_FOR_TESTS) {
      this.log.error('TERN_TEST_ACK_BEFORE_SYNC=1: SYNC_FLUSH acknowledges sends BEFORE they are on disk; this broker LOSES acknowledged messages on a crash and exists only to prove the fault run catches that');
    }
    // The fault run waits for this line before a "killed during startup": from here on, recovery is under way.
    this.log.info(`opening the store at ${root}: recovery starts`);
    const raftMode = c.enableDLegerCommitLog;
    const store = await MessageStore.open(pickKeys(messageStoreConfigTable, c), { logger: this.log.child('store'), replicated: raftMode });
    const topics = new TopicConfigManager(c, path.join(root, 'config', 'topics.json'), this.log);
    topics.load();
    const offsets = new ConsumerOffsetManager(path.join(root, 'config', 'consumerOffset.json'), this.log);
    offsets.load();
    const groups = new SubscriptionGroupManager(path.join(root, 'config', 'subscriptionGroup.json'), c.autoCreateSubscriptionGroup, this.log);
    groups.load();
    const schedule = new ScheduleMessageService(store, c.messageDelayLevel, path.join(root, 'config', 'delayOffset.json'), this.log);

    // The server listens first so that port 0 (tests) resolves before the address goes into routes and msgIds.
    const tlsServer = tlsServerSettings(c);
    const tlsClient = tlsClientSettings(c, this.log);
    const server = new RemotingServer({ port: c.listenPort, host: c.bindAddress, logger: this.log, frameTimeoutMs: 30_000, tls: tlsServer });
    this.server = server;
    this.security = new ServerSecurity(server, c, path.join(root, 'config'), this.log);
    registerAclAdminProcessor(server, this.security, this.log.child('auth'));
    await server.listen();

    const producers = new ProducerManager();
    const transactions = new TransactionalMessageService({
      store, producers, config: c, storeHost: { address: c.brokerIP1, port: server.port }, brokerName: c.brokerName, log: this.log,
      maxDelayLevel: schedule.maxLevel, timer: c,
    });
    const timer = new TimerMessageStore({
      store, logDir: path.join(root, 'timerlog'), checkpointPath: path.join(root, 'config', 'timercheck.json'),
      precisionMs: c.timerPrecisionMs, timerLogSegmentBytes: c.mappedFileSizeTimerLog, flushIntervalMs: c.timerFlushIntervalMs,
      // Half the retention time leaves a retention pass (or a restart) between the roll and the deletion.
      rollAfterMs: Math.max(60_000, (c.fileReservedTime * 3_600_000) / 2),
      log: this.log.child('timer'), deliver: c.brokerRole !== 'SLAVE' && !raftMode, storeHost: { address: c.brokerIP1, port: server.port },
    });
    timer.load();
    const ctx: BrokerContext = {
      config: c, log: this.log, store, topics, offsets, groups, schedule, timer, locks: new RebalanceLockManager(),
      consumers: new ConsumerManager(this.log, c.notifyConsumerIdsChangedEnable),
      producers, transactions,
      pullHold: new PullRequestHoldService((pull) => reexecuteHeldPull(ctx, pull), (t, q) => store.getMaxOffsetInQueue(t, q)),
      storeHost: { address: c.brokerIP1, port: server.port },
      brokerAddr: `${c.brokerIP1}:${server.port}`,
      startedAt: Date.now(),
      stats: { pulledMessages: 0 },
      daily: new DailyTotals(() => ({ put: store.runtimeStats().putMessageTimesTotal, get: ctx.stats.pulledMessages })),
      metrics: new BrokerMetrics(c),
      registerNow: () => Promise.race([this.registrar?.scheduleRegister() ?? Promise.resolve(), new Promise<void>((r) => setTimeout(r, 1000).unref())]),
    };
    this.ctx = ctx;
    ctx.metrics.observe(ctx, server);
    if (raftMode) {
      // Raft replicates the CommitLog; HA's master/slave streams have no part in it.
    } else if (c.brokerRole === 'SLAVE') {
      ctx.haSlave = new HaSlave(store, {
        masterHaAddress: () => c.haMasterAddress || this.learnedMaster.haServerAddr,
        reportIntervalMs: c.haSendHeartbeatInterval, reconnectDelayMs: 1000, connectTimeoutMs: 3000,
        housekeepingMs: c.haHousekeepingInterval, maxFrameBody: 16 * 1024 * 1024,
        segmentSize: c.mappedFileSizeCommitLog,
        openSocket: (host, port) => openSocket(host, port, tlsClient),
      }, this.log);
    } else {
      ctx.haMaster = new HaMaster(store, {
        port: c.haListenPort, host: c.bindAddress, transferBatchSize: c.haTransferBatchSize,
        heartbeatIntervalMs: c.haSendHeartbeatInterval, housekeepingMs: c.haHousekeepingInterval, maxGapNotInSync: c.haMaxGapNotInSync,
        secureAccept: tlsServer && ((onReady) => new TlsAcceptor(tlsServer, this.log.child('ha'), onReady)),
      }, this.log);
      await ctx.haMaster.start();
    }
    store.onMessageArrived((topic, queueId, maxOffset, tagsCode, _storeTimestamp, properties) =>
      ctx.pullHold.notifyMessageArriving(topic, queueId, maxOffset, tagsCode, properties));
    ctx.pullHold.start(c.longPollingEnable ? 1000 : Math.min(1000, c.shortPollingTimeMills));

    const putTps = new TpsSampler(() => store.runtimeStats().putMessageTimesTotal);
    const getTps = new TpsSampler(() => ctx.stats.pulledMessages);
    const timerEnqueueTps = new TpsSampler(() => timer.stats().enqueued);
    const timerDequeueTps = new TpsSampler(() => timer.stats().delivered);
    this.samplers = [putTps, getTps, timerEnqueueTps, timerDequeueTps];
    for (const s of this.samplers) s.start();
    ctx.daily.start();

    registerSendProcessor(server, ctx);
    registerReplyProcessor(server, ctx);
    registerPullProcessor(server, ctx);
    registerClientManageProcessor(server, ctx);
    registerConsumerManageProcessor(server, ctx);
    registerAdminProcessor(server, ctx, { putTps, getTps, timerEnqueueTps, timerDequeueTps, configChanged: () => void this.registrar?.scheduleRegister() });
    registerSendBackProcessor(server, ctx);
    registerStatsProcessor(server, ctx);
    registerQueueLockProcessor(server, ctx.locks);
    registerEndTransactionProcessor(server, ctx);
    registerQueryMessageProcessor(server, ctx);
    registerRecallProcessor(server, ctx);
    // A slave indexes the timers it replicates, following its master's progress, so that as a master it delivers them.
    if (c.timerWheelEnable) timer.start();
    if (c.brokerRole !== 'SLAVE' && !raftMode) {
      schedule.start();
      transactions.start();
    }
    server.onConnection((conn, event) => {
      if (event === 'close') {
        ctx.consumers.onConnectionClosed(conn);
        ctx.producers.onConnectionClosed(conn);
      }
    });

    this.every(c.flushConsumerOffsetInterval, () => offsets.persist());
    this.every(10_000, () => {
      ctx.consumers.scanExpired(c.channelExpiredTimeout);
      ctx.producers.scanExpired(c.channelExpiredTimeout);
    });

    if (c.metricsExporterType === 'PROM') {
      this.metricsServer = new MetricsHttpServer(ctx.metrics.registry, this.log);
      await this.metricsServer.listen(c.metricsPromExporterPort, c.metricsPromExporterHost || c.bindAddress);
    }

    this.outbound = new RemotingClient({ logger: this.log, beforeRequest: innerRequestSigner(c), tls: tlsClient });
    this.registrar = new NamesrvRegistrar({
      client: this.outbound, config: c, brokerAddr: ctx.brokerAddr, haServerAddr: `${c.brokerIP1}:${ctx.haMaster?.port ?? c.haListenPort}`,
      topics: () => routableTopics(topics.serializeWrapper(), c.brokerPermission), log: this.log,
      onRegistered: (results) => {
        const told = results.find((r) => r.ok && r.masterAddr);
        if (told && (told.masterAddr !== this.learnedMaster.brokerAddr || told.haServerAddr !== this.learnedMaster.haServerAddr)) {
          this.learnedMaster = { brokerAddr: told.masterAddr, haServerAddr: told.haServerAddr };
          this.log.info(`master of ${c.brokerName} is ${told.masterAddr} (HA ${told.haServerAddr})`);
          // A Raft follower copies the new master's metadata at once: a topic created just before a failover must not be missing.
          if (this.raftRoles?.role === 'slave') void this.slaveSync?.syncAll();
        }
      },
    });
    topics.onChange(() => void this.registrar?.scheduleRegister());
    const slaveSync = new SlaveSynchronize(this.outbound, ctx, () => this.learnedMaster.brokerAddr, this.log);
    this.slaveSync = slaveSync;
    if (raftMode) await this.startRaft(ctx, slaveSync);
    if (this.registrar.namesrvAddrs().length > 0) await this.registrar.start();
    else this.log.warn('namesrvAddr is empty: the broker will not register anywhere');
    if (ctx.haSlave) {
      ctx.haSlave.start();
      // While not replicating (both starting, or the master restarted at a new address), register every 2 s rather
      // than every registerNameServerPeriod (30 s): the namesrv's answer names the current master, and until the
      // slave knows it a SYNC_MASTER answers SLAVE_NOT_AVAILABLE and nothing is replicated.
      this.every(MASTER_LOOKUP_INTERVAL_MS, () => {
        if (!ctx.haSlave?.masterAddress) void this.registrar?.scheduleRegister();
      });
      void slaveSync.syncAll();
      this.every(c.slaveSyncInterval, () => void slaveSync.syncAll());
    }
    if (raftMode) {
      // A follower that does not know its master's address yet asks the namesrv often (metadata sync needs it; a new
      // leader registers as soon as its term's first entry commits).
      this.every(RAFT_MASTER_LOOKUP_INTERVAL_MS, () => {
        if (this.raftRoles?.role === 'slave' && !this.learnedMaster.brokerAddr) void this.registrar?.scheduleRegister();
      });
    }
    this.log.info(`broker ${c.brokerClusterName}/${c.brokerName} id ${c.brokerId} (${c.brokerRole}, ${c.flushDiskType}) serving at ${ctx.brokerAddr}, store ${root}`);
  }

  /** Status of this member of its Raft group; undefined outside DLedger mode. */
  get raftStatus(): ReturnType<RaftCommitLog['status']> | undefined {
    return this.raft?.status();
  }

  /** Hands leadership to a caught-up follower (planned restarts); false when not leading or it did not happen. */
  async transferLeadership(): Promise<boolean> {
    return (await this.raft?.transferLeadership('best')) ?? false;
  }

  private async startRaft(ctx: BrokerContext, slaveSync: SlaveSynchronize): Promise<void> {
    const c = this.config;
    const roleLog = this.log.child('raft');
    let roles: RaftRoleHandler | undefined;
    const peers = parseRaftPeers(c.dLegerPeers);
    await awaitOwnAddress(peers.find((p) => p.id === raftSelfId(c.dLegerSelfId, peers))!.host, 60_000, roleLog);
    this.raft = RaftCommitLog.open({
      store: ctx.store, peers: c.dLegerPeers, selfId: c.dLegerSelfId, syncFlush: c.flushDiskType === 'SYNC_FLUSH', log: roleLog,
      onRole: (role, why) => void roles?.change(role, why),
      onLeaderChange: () => {
        this.learnedMaster = {};
        void this.registrar?.scheduleRegister();
      },
    });
    const raft = this.raft;
    ctx.raft = { status: () => raft.status(), transferLeadership: () => raft.transferLeadership('best') };
    roles = new RaftRoleHandler(ctx, {
      registerNow: () => ctx.registerNow(),
      startSlaveSync: () => {
        if (this.slaveSyncTimer) return;
        void slaveSync.syncAll();
        this.slaveSyncTimer = setInterval(() => void slaveSync.syncAll(), c.slaveSyncInterval);
        this.slaveSyncTimer.unref();
      },
      stopSlaveSync: () => {
        clearInterval(this.slaveSyncTimer);
        this.slaveSyncTimer = undefined;
      },
    }, this.raft.slaveBrokerId, roleLog);
    this.raftRoles = roles;
    // Every member starts as a slave; the election decides who becomes master.
    await roles.change('slave', 'starting');
    await this.raft.start();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (err) {
        this.log.error(`periodic task failed: ${(err as Error).message}`);
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Graceful stop: leave the namesrv, answer held pulls, finish in-flight requests, persist, flush. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    const ctx = this.ctx;
    this.log.info('broker shutting down');
    // A leader hands off first, so the group elects no one by timeout and sends that retry find the new master at once.
    if (this.raft?.status().role === 'leader') {
      const moved = await Promise.race([this.raft.transferLeadership('best'), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
      this.log.info(moved ? 'Raft leadership handed to a follower before stopping' : 'Raft leadership handoff did not complete; the group will elect by timeout');
    }
    await this.registrar?.unregisterAll();
    for (const t of this.timers) clearInterval(t);
    clearInterval(this.slaveSyncTimer);
    for (const s of this.samplers) s.stop();
    ctx?.daily.stop();
    ctx?.pullHold.releaseAll();
    ctx?.haSlave?.shutdown();
    await ctx?.haMaster?.shutdown();
    await this.server?.shutdown(this.config.shutdownGraceMs);
    await this.outbound?.close();
    this.security?.close();
    await this.metricsServer?.close();
    if (ctx) {
      ctx.schedule.shutdown();
      await ctx.timer.stop();
      ctx.transactions.shutdown();
      await this.raft?.stop();
      ctx.offsets.persist(true);
      ctx.topics.persist();
      ctx.groups.persist();
      await ctx.store.shutdown();
      await ctx.timer.close();
    }
    this.log.info('broker stopped');
  }
}

/**
 * What the namesrv is told: a broker without write (or read) permission registers its topics without it, so
 * producers (or consumers) stop choosing it, as RocketMQ does while a broker is being drained.
 */
function routableTopics(wrapper: TopicConfigSerializeWrapper, brokerPermission: number): TopicConfigSerializeWrapper {
  if ((brokerPermission & (Perm.READ | Perm.WRITE)) === (Perm.READ | Perm.WRITE)) return wrapper;
  const table: TopicConfigSerializeWrapper['topicConfigTable'] = {};
  for (const [name, tc] of Object.entries(wrapper.topicConfigTable)) table[name] = { ...tc, perm: tc.perm & brokerPermission };
  return { ...wrapper, topicConfigTable: table, dataVersion: { ...wrapper.dataVersion, stateVersion: wrapper.dataVersion.stateVersion + brokerPermission + 1 } };
}
