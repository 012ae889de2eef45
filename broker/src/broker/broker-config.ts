import os from 'node:os';
import path from 'node:path';
import type { ConfigSpec } from '../config/properties-file.ts';

export type BrokerRole = 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';
export type FlushDiskType = 'ASYNC_FLUSH' | 'SYNC_FLUSH';

/** Broker and store settings under RocketMQ's key names (broker.conf). */
export interface BrokerConfig {
  brokerClusterName: string;
  brokerName: string;
  brokerId: number;
  brokerRole: BrokerRole;
  flushDiskType: FlushDiskType;
  /** The address put into routes and offsetMsgIds; found from the network interfaces when empty. */
  brokerIP1: string;
  listenPort: number;
  /** 0 means listenPort + 1. */
  haListenPort: number;
  bindAddress: string;
  namesrvAddr: string;
  storePathRootDir: string;
  storePathCommitLog: string;
  mappedFileSizeCommitLog: number;
  mappedFileSizeConsumeQueue: number;
  flushIntervalCommitLog: number;
  flushIntervalConsumeQueue: number;
  syncFlushTimeout: number;
  maxMessageSize: number;
  /** IndexFile geometry (RocketMQ: 5,000,000 slots, 20,000,000 entries) and whether messages are indexed at all. */
  maxHashSlotNum: number;
  maxIndexNum: number;
  messageIndexEnable: boolean;
  /** Retention: hours a CommitLog segment is kept, and the hours of day ("04" or "03;04") expired ones are deleted. */
  fileReservedTime: number;
  deleteWhen: string;
  /** Disk use (%) above which expired segments go at any hour; forced cleaning (<= 85); puts refused (<= 90). */
  diskMaxUsedSpaceRatio: number;
  diskSpaceCleanForciblyRatio: number;
  diskSpaceWarningLevelRatio: number;
  cleanFileForciblyEnable: boolean;
  cleanResourceInterval: number;
  /** Zero-fill each pre-allocated CommitLog segment before it is used. */
  warmMapedFileEnable: boolean;
  /** End each record with RocketMQ 5.x's whole-record `__CRC32#` property (recovery then catches any torn byte). */
  enabledAppendPropCRC: boolean;
  autoCreateTopicEnable: boolean;
  autoCreateSubscriptionGroup: boolean;
  defaultTopicQueueNums: number;
  brokerPermission: number;
  registerNameServerPeriod: number;
  longPollingEnable: boolean;
  shortPollingTimeMills: number;
  flushConsumerOffsetInterval: number;
  /** Producer/consumer channels not heard from for this long are dropped (RocketMQ: 120 s). */
  channelExpiredTimeout: number;
  notifyConsumerIdsChangedEnable: boolean;
  enablePropertyFilter: boolean;
  messageDelayLevel: string;
  traceTopicEnable: boolean;
  rejectTransactionMessage: boolean;
  /** A slave's master HA address; learned from the namesrv when empty. */
  haMasterAddress: string;
  haTransferBatchSize: number;
  haSendHeartbeatInterval: number;
  haHousekeepingInterval: number;
  haMaxGapNotInSync: number;
  /** How often a slave copies topics, offsets, delay offsets and groups from its master. */
  slaveSyncInterval: number;
  slaveReadEnable: boolean;
  accessMessageInMemoryMaxRatio: number;
  transactionCheckInterval: number;
  transactionTimeOut: number;
  transactionCheckMax: number;
  /** Ms to wait for in-flight requests on SIGTERM before closing connections. */
  shutdownGraceMs: number;
}

export function defaultBrokerConfig(): BrokerConfig {
  return {
    brokerClusterName: 'DefaultCluster',
    brokerName: os.hostname() || 'broker-a',
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    flushDiskType: 'ASYNC_FLUSH',
    brokerIP1: '',
    listenPort: 10911,
    haListenPort: 0,
    bindAddress: '0.0.0.0',
    namesrvAddr: process.env.NAMESRV_ADDR ?? '',
    storePathRootDir: path.join(os.homedir(), 'store'),
    storePathCommitLog: '',
    mappedFileSizeCommitLog: 1024 * 1024 * 1024,
    mappedFileSizeConsumeQueue: 300_000 * 20,
    flushIntervalCommitLog: 500,
    flushIntervalConsumeQueue: 1000,
    syncFlushTimeout: 5000,
    maxMessageSize: 4 * 1024 * 1024,
    maxHashSlotNum: 5_000_000,
    maxIndexNum: 20_000_000,
    messageIndexEnable: true,
    fileReservedTime: 72,
    deleteWhen: '04',
    diskMaxUsedSpaceRatio: 75,
    diskSpaceCleanForciblyRatio: 85,
    diskSpaceWarningLevelRatio: 90,
    cleanFileForciblyEnable: true,
    cleanResourceInterval: 10_000,
    warmMapedFileEnable: false,
    enabledAppendPropCRC: true,
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    defaultTopicQueueNums: 8,
    brokerPermission: 6,
    registerNameServerPeriod: 30_000,
    longPollingEnable: true,
    shortPollingTimeMills: 1000,
    flushConsumerOffsetInterval: 5000,
    channelExpiredTimeout: 120_000,
    notifyConsumerIdsChangedEnable: true,
    // RocketMQ's default is false; Tern filters by SQL92 out of the box (a consumer asking for it just works).
    enablePropertyFilter: true,
    messageDelayLevel: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
    traceTopicEnable: false,
    rejectTransactionMessage: false,
    haMasterAddress: '',
    haTransferBatchSize: 32 * 1024,
    haSendHeartbeatInterval: 5000,
    haHousekeepingInterval: 20_000,
    haMaxGapNotInSync: 256 * 1024 * 1024,
    slaveSyncInterval: 10_000,
    slaveReadEnable: false,
    accessMessageInMemoryMaxRatio: 40,
    transactionCheckInterval: 30_000,
    transactionTimeOut: 6000,
    transactionCheckMax: 15,
    shutdownGraceMs: 10_000,
  };
}

export const brokerConfigSpec: ConfigSpec<BrokerConfig> = {
  brokerClusterName: 'string',
  brokerName: 'string',
  brokerId: 'int',
  brokerRole: { oneOf: ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'] },
  flushDiskType: { oneOf: ['ASYNC_FLUSH', 'SYNC_FLUSH'] },
  brokerIP1: 'string',
  listenPort: 'int',
  haListenPort: 'int',
  bindAddress: 'string',
  namesrvAddr: 'string',
  storePathRootDir: 'string',
  storePathCommitLog: 'string',
  mappedFileSizeCommitLog: 'int',
  mappedFileSizeConsumeQueue: 'int',
  flushIntervalCommitLog: 'int',
  flushIntervalConsumeQueue: 'int',
  syncFlushTimeout: 'int',
  maxMessageSize: 'int',
  maxHashSlotNum: 'int',
  maxIndexNum: 'int',
  messageIndexEnable: 'bool',
  fileReservedTime: 'int',
  deleteWhen: 'string',
  diskMaxUsedSpaceRatio: 'int',
  diskSpaceCleanForciblyRatio: 'int',
  diskSpaceWarningLevelRatio: 'int',
  cleanFileForciblyEnable: 'bool',
  cleanResourceInterval: 'int',
  warmMapedFileEnable: 'bool',
  enabledAppendPropCRC: 'bool',
  autoCreateTopicEnable: 'bool',
  autoCreateSubscriptionGroup: 'bool',
  defaultTopicQueueNums: 'int',
  brokerPermission: 'int',
  registerNameServerPeriod: 'int',
  longPollingEnable: 'bool',
  shortPollingTimeMills: 'int',
  flushConsumerOffsetInterval: 'int',
  channelExpiredTimeout: 'int',
  notifyConsumerIdsChangedEnable: 'bool',
  enablePropertyFilter: 'bool',
  messageDelayLevel: 'string',
  traceTopicEnable: 'bool',
  rejectTransactionMessage: 'bool',
  haMasterAddress: 'string',
  haTransferBatchSize: 'int',
  haSendHeartbeatInterval: 'int',
  haHousekeepingInterval: 'int',
  haMaxGapNotInSync: 'int',
  slaveSyncInterval: 'int',
  slaveReadEnable: 'bool',
  accessMessageInMemoryMaxRatio: 'int',
  transactionCheckInterval: 'int',
  transactionTimeOut: 'int',
  transactionCheckMax: 'int',
  shutdownGraceMs: 'int',
};

/** Cross-field checks a properties file cannot express; returns what is wrong, naming the keys. */
export function validateBrokerConfig(c: BrokerConfig): string[] {
  const problems: string[] = [];
  if (c.brokerId < 0) problems.push('brokerId must be >= 0');
  if (c.brokerRole === 'SLAVE' && c.brokerId === 0) problems.push('brokerRole=SLAVE needs brokerId > 0 (0 is the master)');
  if (c.brokerRole !== 'SLAVE' && c.brokerId !== 0) problems.push(`brokerRole=${c.brokerRole} needs brokerId=0`);
  if (c.listenPort < 0 || c.listenPort > 65535) problems.push('listenPort must be within 0..65535');
  if (c.mappedFileSizeCommitLog < 64 * 1024) problems.push('mappedFileSizeCommitLog must be at least 65536');
  if (c.mappedFileSizeConsumeQueue % 20 !== 0) problems.push('mappedFileSizeConsumeQueue must be a multiple of 20');
  if (c.maxMessageSize <= 0) problems.push('maxMessageSize must be positive');
  if (!/^[a-zA-Z0-9_-]+$/.test(c.brokerName)) problems.push(`brokerName "${c.brokerName}" may hold only a-zA-Z0-9_-`);
  if (c.registerNameServerPeriod < 1000) problems.push('registerNameServerPeriod must be at least 1000 ms');
  if (c.haTransferBatchSize < 1024 || c.haTransferBatchSize > 16 * 1024 * 1024) problems.push('haTransferBatchSize must be within 1 KiB..16 MiB');
  if (c.accessMessageInMemoryMaxRatio < 0 || c.accessMessageInMemoryMaxRatio > 100) problems.push('accessMessageInMemoryMaxRatio must be within 0..100');
  return problems;
}

