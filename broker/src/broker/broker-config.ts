import os from 'node:os';
import { boolKey, checkConfig, defaultsOf, intKey, oneOfKey, stringKey, type ConfigOf, type ConfigTable } from '../config/config-table.ts';
import { messageStoreConfigTable } from '../store/message-store-config.ts';
import { metricsConfigTable } from '../metrics/metrics-config.ts';
import { parseRaftPeers, raftSelfId } from '../raft/raft-peers.ts';
import { authConfigTable } from '../auth/auth-config.ts';
import { tlsConfigTable } from '../auth/tls-config.ts';

export type { FlushDiskType } from '../store/message-store-config.ts';

const BROKER_ROLES = ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'] as const;
export type BrokerRole = (typeof BROKER_ROLES)[number];

/** The keys only the broker reads; the store's keys join them in brokerConfigTable. */
const brokerOnlyConfigTable = {
  brokerClusterName: stringKey({ default: 'DefaultCluster', doc: 'Cluster this broker registers under.' }),
  brokerName: stringKey({
    default: () => os.hostname() || 'broker-a',
    check: (v) => (/^[a-zA-Z0-9_-]+$/.test(v) ? undefined : `"${v}" may hold only a-zA-Z0-9_-`),
    doc: 'Broker group name: a master and its slaves share it.',
  }),
  brokerId: intKey({ default: 0, min: 0, doc: '0 is the master; slaves are > 0.' }),
  brokerRole: oneOfKey(BROKER_ROLES, { default: 'ASYNC_MASTER', doc: 'SYNC_MASTER answers a put once a slave holds it.' }),
  brokerIP1: stringKey({ default: '', doc: 'Address put into routes and offsetMsgIds; found from the network interfaces when empty.' }),
  listenPort: intKey({ default: 10911, min: 0, max: 65535, doc: 'Port for clients.' }),
  haListenPort: intKey({ default: 0, min: 0, max: 65535, doc: 'Port slaves replicate from; 0 means listenPort + 1.' }),
  bindAddress: stringKey({ default: '0.0.0.0', doc: 'Interface the ports listen on.' }),
  namesrvAddr: stringKey({ default: () => process.env.NAMESRV_ADDR ?? '', doc: 'Name servers, host:port;host:port (default $NAMESRV_ADDR).' }),
  autoCreateTopicEnable: boolKey({ default: true, doc: 'Create a topic on its first send.' }),
  autoCreateSubscriptionGroup: boolKey({ default: true, doc: 'Create a consumer group on its first use.' }),
  defaultTopicQueueNums: intKey({ default: 8, min: 1, doc: 'Queues of the TBW102 template that auto-created topics copy.' }),
  brokerPermission: intKey({ default: 6, min: 0, max: 7, doc: 'PERM bits: 4 read, 2 write, 1 inherit (4 stops writes while draining).' }),
  registerNameServerPeriod: intKey({ default: 30_000, min: 1000, doc: 'Ms between registrations with the name servers.' }),
  longPollingEnable: boolKey({ default: true, doc: 'Hold pulls that find nothing until a message arrives.' }),
  shortPollingTimeMills: intKey({ default: 1000, min: 0, doc: 'Ms a pull that finds nothing is held when long polling is off.' }),
  flushConsumerOffsetInterval: intKey({ default: 5000, min: 1, doc: 'Ms between writes of consumerOffset.json.' }),
  channelExpiredTimeout: intKey({ default: 120_000, min: 1, doc: 'Ms after which a silent producer or consumer channel is dropped.' }),
  notifyConsumerIdsChangedEnable: boolKey({ default: true, doc: 'Tell a group\'s consumers when its membership changes.' }),
  // RocketMQ's default is false; Tern filters by SQL92 out of the box (a consumer asking for it just works).
  enablePropertyFilter: boolKey({ default: true, doc: 'Accept SQL92 subscriptions (Tern on, RocketMQ off).' }),
  messageDelayLevel: stringKey({ default: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h', doc: 'Delays of the delay levels 1, 2, ...' }),
  // Refused rather than accepted and ignored until message trace lands.
  traceTopicEnable: boolKey({
    default: false,
    check: (on) => (on ? 'is not supported yet: Tern keeps no trace topic; leave it false' : undefined),
    doc: 'Keep a trace topic (not supported yet: true is refused).',
  }),
  // Timer messages (delivery at any time), under RocketMQ 5's names; Tern's defaults are finer and longer.
  timerWheelEnable: boolKey({ default: true, doc: 'Accept timer messages (TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS); false refuses them.' }),
  recallMessageEnable: boolKey({
    default: true,
    doc: 'Serve RECALL_MESSAGE (cancel a pending timer message); false refuses it with NO_PERMISSION as RocketMQ does (RocketMQ\'s default is false).',
  }),
  timerMaxDelaySec: intKey({ default: 366 * 24 * 3600, min: 1, doc: 'Longest timer delay accepted, in seconds (Tern 366 days, RocketMQ 3 days).' }),
  timerPrecisionMs: intKey({ default: 10, min: 1, max: 60_000, doc: 'Slot width of the time wheel in ms: a timer is delivered at most this late (Tern 10, RocketMQ 1000).' }),
  timerFlushIntervalMs: intKey({ default: 1000, min: 1, doc: 'Ms between timer log flushes and timer checkpoints.' }),
  mappedFileSizeTimerLog: intKey({
    default: 32 * 1024 * 1024, min: 32,
    check: (v) => (v % 32 === 0 ? undefined : 'must be a multiple of 32 (the timer log record)'),
    doc: 'Bytes per timer log segment (32 bytes per timer).',
  }),
  rejectTransactionMessage: boolKey({ default: false, doc: 'Refuse transactional half messages.' }),
  haMasterAddress: stringKey({ default: '', doc: 'A slave\'s master HA address; learned from the name server when empty.' }),
  haTransferBatchSize: intKey({ default: 32 * 1024, min: 1024, max: 16 * 1024 * 1024, doc: 'Most bytes the master sends a slave in one frame.' }),
  haSendHeartbeatInterval: intKey({ default: 5000, min: 1, doc: 'Ms between a slave\'s progress reports.' }),
  haHousekeepingInterval: intKey({ default: 20_000, min: 1, doc: 'Ms of silence after which the master drops a slave connection.' }),
  haMaxGapNotInSync: intKey({ default: 256 * 1024 * 1024, min: 0, doc: 'Bytes a slave may lag and still count as in sync.' }),
  slaveSyncInterval: intKey({ default: 10_000, min: 1, doc: 'Ms between a slave\'s copies of topics, offsets, delay offsets and groups.' }),
  slaveReadEnable: boolKey({ default: false, doc: 'Let the master suggest reading from a slave when a backlog is not in memory.' }),
  accessMessageInMemoryMaxRatio: intKey({ default: 40, min: 0, max: 100, doc: 'Memory share (%) beyond which a backlog counts as on disk.' }),
  transactionCheckInterval: intKey({ default: 30_000, min: 1, doc: 'Ms between checks of undecided transactions.' }),
  transactionTimeOut: intKey({ default: 6000, min: 0, doc: 'Ms a half message waits before its producer is asked.' }),
  transactionCheckMax: intKey({ default: 15, min: 0, doc: 'Checks after which an undecided transaction is dropped.' }),
  shutdownGraceMs: intKey({ default: 10_000, min: 0, doc: 'Ms to wait for in-flight requests on SIGTERM (Tern only).' }),
  // DLedger (Raft) keys under RocketMQ 4.x names.
  enableDLegerCommitLog: boolKey({
    default: false,
    doc: 'Raft (DLedger) CommitLog: the group elects its master; brokerRole and brokerId then follow the election.',
  }),
  dLegerGroup: stringKey({ default: '', doc: 'Raft group name, usually the brokerName.' }),
  dLegerPeers: stringKey({
    default: '',
    check: (v) => (v === '' ? undefined : dLedgerPeersProblem(v)),
    doc: 'Raft group members, n0-host:port;n1-host:port;...',
  }),
  dLegerSelfId: stringKey({ default: '', doc: 'This broker\'s id among dLegerPeers, e.g. n0.' }),
} satisfies ConfigTable;

/** broker.conf: the broker's keys, the /metrics keys, the ACL keys and the store's, under RocketMQ's names. */
export const brokerConfigTable = { ...brokerOnlyConfigTable, ...metricsConfigTable, ...authConfigTable, ...tlsConfigTable, ...messageStoreConfigTable } satisfies ConfigTable;

export type BrokerConfig = ConfigOf<typeof brokerConfigTable>;

export function defaultBrokerConfig(): BrokerConfig {
  return defaultsOf(brokerConfigTable);
}

/** Every key's check plus what no single key can say; each problem names its keys. */
export function validateBrokerConfig(c: BrokerConfig): string[] {
  const problems = checkConfig(brokerConfigTable, c);
  // In DLedger mode the election sets both, as RocketMQ does; the configured values do not matter.
  if (!c.enableDLegerCommitLog && c.brokerRole === 'SLAVE' && c.brokerId === 0) problems.push('brokerRole=SLAVE needs brokerId > 0 (0 is the master)');
  if (!c.enableDLegerCommitLog && c.brokerRole !== 'SLAVE' && c.brokerId !== 0) problems.push(`brokerRole=${c.brokerRole} needs brokerId=0`);
  problems.push(...dLedgerMembershipProblems(c));
  return problems;
}

/** A dLegerPeers problem in the config table's words (the table names the key), or undefined when it parses. */
function dLedgerPeersProblem(text: string): string | undefined {
  try {
    parseRaftPeers(text);
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^dLegerPeers /, '');
  }
}

/** What dLegerSelfId and the DLedger switch need from the other DLedger keys (per-key checks cover the peers' syntax). */
function dLedgerMembershipProblems(c: BrokerConfig): string[] {
  const problems: string[] = [];
  if (c.enableDLegerCommitLog && c.dLegerPeers === '') problems.push('dLegerPeers must list the group\'s members when enableDLegerCommitLog=true');
  if (c.enableDLegerCommitLog && c.dLegerSelfId === '') problems.push('dLegerSelfId must be set when enableDLegerCommitLog=true');
  if (c.dLegerSelfId !== '' && c.dLegerPeers !== '' && dLedgerPeersProblem(c.dLegerPeers) === undefined) {
    try {
      raftSelfId(c.dLegerSelfId, parseRaftPeers(c.dLegerPeers));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}
