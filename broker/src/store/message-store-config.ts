import { homedir } from 'node:os';
import { join } from 'node:path';

export const FlushDiskType = {
  ASYNC_FLUSH: 'ASYNC_FLUSH',
  SYNC_FLUSH: 'SYNC_FLUSH',
} as const;
export type FlushDiskType = (typeof FlushDiskType)[keyof typeof FlushDiskType];

/** Store settings, with RocketMQ's names and defaults. */
export interface MessageStoreConfig {
  storePathRootDir: string;
  /** Defaults to `<storePathRootDir>/commitlog`. */
  storePathCommitLog: string;
  mappedFileSizeCommitLog: number;
  /** Bytes per ConsumeQueue file; a multiple of the 20-byte unit (300000 units). */
  mappedFileSizeConsumeQueue: number;
  flushDiskType: FlushDiskType;
  flushIntervalCommitLog: number;
  flushIntervalConsumeQueue: number;
  syncFlushTimeout: number;
  /** Largest accepted message body; larger ones are refused with MESSAGE_ILLEGAL. */
  maxMessageSize: number;
  /** Pull batch caps for data still in the page cache. */
  maxTransferBytesOnMessageInMemory: number;
  maxTransferCountOnMessageInMemory: number;
  /** Bytes of ConsumeQueue one pull may scan past filtered-out units (at least maxMsgNums units). */
  maxFilterMessageSize: number;
  checkCRCOnRecover: boolean;
  /**
   * End every record's properties with RocketMQ 5.x's `__CRC32#` property: a CRC over the whole
   * record, so recovery also catches torn headers, topics and properties (BODYCRC covers only the
   * body). Clients see it as one more property. Tern's default is on; RocketMQ's is off.
   */
  enabledAppendPropCRC: boolean;

  /** IndexFile: hash slots and entries per file (file = 40 + slots*4 + entries*20 bytes). */
  maxHashSlotNum: number;
  maxIndexNum: number;
  /** Index KEYS and UNIQ_KEY of every message (QUERY_MESSAGE needs it). */
  messageIndexEnable: boolean;
  /** Most offsets one key query collects. */
  maxMsgsNumBatch: number;
  /** The cap a unique-key query gets (QUERY_MESSAGE with _UNIQUE_KEY_QUERY=true). */
  defaultQueryMaxNum: number;

  /** Hours a CommitLog segment is kept after its last write. */
  fileReservedTime: number;
  /** Hours of the day (local time, "04" or "03;04") when expired segments are deleted. */
  deleteWhen: string;
  /** Disk use (percent) above which expired segments are deleted at any hour. */
  diskMaxUsedSpaceRatio: number;
  /** Disk use (percent, capped at 85) above which the oldest segments go even if not expired. */
  diskSpaceCleanForciblyRatio: number;
  /** Disk use (percent, capped at 90) above which puts are refused until use falls to the forcible ratio. */
  diskSpaceWarningLevelRatio: number;
  cleanFileForciblyEnable: boolean;
  /** Ms between retention runs (disk check and deletion). */
  cleanResourceInterval: number;
  /** Most CommitLog segments deleted per retention run. */
  deleteFileBatchMax: number;
  /**
   * Zero-fill each pre-allocated CommitLog segment so its blocks exist before the first append
   * (a write then never allocates; costs one extra write of every segment).
   */
  warmMapedFileEnable: boolean;
}

export const DEFAULT_MESSAGE_STORE_CONFIG: Omit<MessageStoreConfig, 'storePathRootDir' | 'storePathCommitLog'> = {
  mappedFileSizeCommitLog: 1024 * 1024 * 1024,
  mappedFileSizeConsumeQueue: 300000 * 20,
  flushDiskType: FlushDiskType.ASYNC_FLUSH,
  flushIntervalCommitLog: 500,
  flushIntervalConsumeQueue: 1000,
  syncFlushTimeout: 5000,
  maxMessageSize: 1024 * 1024 * 4,
  maxTransferBytesOnMessageInMemory: 1024 * 256,
  maxTransferCountOnMessageInMemory: 32,
  maxFilterMessageSize: 16000,
  checkCRCOnRecover: true,
  enabledAppendPropCRC: true,
  maxHashSlotNum: 5_000_000,
  maxIndexNum: 5_000_000 * 4,
  messageIndexEnable: true,
  maxMsgsNumBatch: 64,
  defaultQueryMaxNum: 32,
  fileReservedTime: 72,
  deleteWhen: '04',
  diskMaxUsedSpaceRatio: 75,
  diskSpaceCleanForciblyRatio: 85,
  diskSpaceWarningLevelRatio: 90,
  cleanFileForciblyEnable: true,
  cleanResourceInterval: 10_000,
  deleteFileBatchMax: 10,
  warmMapedFileEnable: false,
};

/** Fills defaults; the ConsumeQueue file size is rounded down to whole units, as RocketMQ does. */
export function resolveMessageStoreConfig(partial: Partial<MessageStoreConfig> = {}): MessageStoreConfig {
  const storePathRootDir = partial.storePathRootDir ?? join(homedir(), 'store');
  const cfg: MessageStoreConfig = {
    ...DEFAULT_MESSAGE_STORE_CONFIG,
    ...partial,
    storePathRootDir,
    storePathCommitLog: partial.storePathCommitLog ?? join(storePathRootDir, 'commitlog'),
  };
  cfg.mappedFileSizeConsumeQueue = Math.floor(cfg.mappedFileSizeConsumeQueue / 20) * 20;
  if (cfg.mappedFileSizeConsumeQueue < 20) throw new Error('mappedFileSizeConsumeQueue must hold at least one unit');
  if (cfg.mappedFileSizeCommitLog < 4096) throw new Error('mappedFileSizeCommitLog must be at least 4096');
  if (cfg.maxHashSlotNum < 1 || cfg.maxIndexNum < 2) throw new Error('maxHashSlotNum must be >= 1 and maxIndexNum >= 2');
  return cfg;
}

/** Where each part of the store lives under the root. */
export function storePaths(cfg: MessageStoreConfig) {
  const root = cfg.storePathRootDir;
  return {
    commitLog: cfg.storePathCommitLog,
    consumeQueue: join(root, 'consumequeue'),
    index: join(root, 'index'),
    checkpoint: join(root, 'checkpoint'),
    abort: join(root, 'abort'),
    lock: join(root, 'lock'),
    config: join(root, 'config'),
  };
}
