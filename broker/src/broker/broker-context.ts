import type { Logger } from '../logging/logger.ts';
import type { HostAddress } from '../message/host-address.ts';
import type { HaMaster } from '../ha/ha-master.ts';
import type { HaSlave } from '../ha/ha-slave.ts';
import type { MessageStore } from '../store/message-store.ts';
import type { BrokerConfig } from './broker-config.ts';
import type { ConsumerOffsetManager } from './consumer-offset-manager.ts';
import type { ConsumerManager, ProducerManager } from './consumer-manager.ts';
import type { PullRequestHoldService } from './pull-request-hold-service.ts';
import type { RebalanceLockManager } from './rebalance-lock-manager.ts';
import type { ScheduleMessageService } from './schedule-message-service.ts';
import type { TimerMessageStore } from '../timer/timer-message-store.ts';
import type { SubscriptionGroupManager } from './subscription-group-manager.ts';
import type { TransactionalMessageService } from './transactional-message-service.ts';
import type { TopicConfigManager } from './topic-config-manager.ts';
import type { DailyTotals } from './daily-totals.ts';
import type { BrokerMetrics } from './broker-metrics.ts';
import type { RaftMemberStatus } from '../raft/raft-commit-log.ts';

/** What the processors share: one broker's services. Processors stay thin: decode, call these, encode. */
export interface BrokerContext {
  config: BrokerConfig;
  log: Logger;
  store: MessageStore;
  topics: TopicConfigManager;
  offsets: ConsumerOffsetManager;
  groups: SubscriptionGroupManager;
  schedule: ScheduleMessageService;
  /** Timer messages: the timer log, the time wheel and delivery. */
  timer: TimerMessageStore;
  locks: RebalanceLockManager;
  transactions: TransactionalMessageService;
  /** The replication server (masters) or client (slaves); one of the two is set. */
  haMaster?: HaMaster | undefined;
  haSlave?: HaSlave | undefined;
  /** DLedger mode: this member of its Raft group (neither HA side is set then). */
  raft?: { status(): RaftMemberStatus; transferLeadership(): Promise<boolean> } | undefined;
  consumers: ConsumerManager;
  producers: ProducerManager;
  pullHold: PullRequestHoldService;
  /** brokerIP1:listenPort, the address in offsetMsgIds and routes. */
  storeHost: HostAddress;
  brokerAddr: string;
  startedAt: number;
  /** Registers with the namesrvs now (topics changed); settles when they answered, or after at most a second. */
  registerNow(): Promise<void>;
  stats: BrokerStats;
  /** Put/get totals at the last two local midnights (mqadmin's today and yesterday figures). */
  daily: DailyTotals;
  /** Served on /metrics when metricsExporterType=PROM; counted either way (it is cheap). */
  metrics: BrokerMetrics;
}

/** Counters behind GET_BROKER_RUNTIME_INFO and the metrics. */
export interface BrokerStats {
  pulledMessages: number;
}
