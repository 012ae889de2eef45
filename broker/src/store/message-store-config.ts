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
    config: join(root, 'config'),
  };
}
