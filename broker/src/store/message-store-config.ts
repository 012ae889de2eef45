import { homedir } from 'node:os';
import { join } from 'node:path';
import { boolKey, checkConfig, defaultsOf, intKey, oneOfKey, stringKey, type ConfigOf, type ConfigTable } from '../config/config-table.ts';
import { ConfigError } from '../config/properties-file.ts';
import { CQ_STORE_UNIT_SIZE } from './consume-queue.ts';

export const FlushDiskType = {
  ASYNC_FLUSH: 'ASYNC_FLUSH',
  SYNC_FLUSH: 'SYNC_FLUSH',
} as const;
export type FlushDiskType = (typeof FlushDiskType)[keyof typeof FlushDiskType];

/** RocketMQ maps, flushes and warms its files in pages of this size (MappedFile.OS_PAGE_SIZE). */
const OS_PAGE_SIZE = 4096;

/** Store settings under RocketMQ's key names and with its defaults (where Tern differs, the doc says so). */
export const messageStoreConfigTable = {
  storePathRootDir: stringKey({ default: () => join(homedir(), 'store'), doc: 'Directory holding the whole store.' }),
  storePathCommitLog: stringKey({ default: '', doc: 'CommitLog directory; empty means <storePathRootDir>/commitlog.' }),
  // One page is the least that means anything to RocketMQ's mapped files; a message larger than a segment is refused at put.
  mappedFileSizeCommitLog: intKey({ default: 1024 * 1024 * 1024, min: OS_PAGE_SIZE, doc: 'Bytes per CommitLog segment file.' }),
  mappedFileSizeConsumeQueue: intKey({
    default: 300_000 * CQ_STORE_UNIT_SIZE, min: CQ_STORE_UNIT_SIZE,
    check: (v) => (v % CQ_STORE_UNIT_SIZE === 0 ? undefined : `must be a multiple of ${CQ_STORE_UNIT_SIZE} (the ConsumeQueue unit)`),
    doc: 'Bytes per ConsumeQueue file (300000 units of 20 bytes).',
  }),
  flushDiskType: oneOfKey([FlushDiskType.ASYNC_FLUSH, FlushDiskType.SYNC_FLUSH], {
    default: FlushDiskType.ASYNC_FLUSH, doc: 'SYNC_FLUSH answers a put after fsync (group commit); ASYNC_FLUSH before.',
  }),
  flushIntervalCommitLog: intKey({ default: 500, min: 1, doc: 'Ms between CommitLog flushes under ASYNC_FLUSH.' }),
  flushIntervalConsumeQueue: intKey({ default: 1000, min: 1, doc: 'Ms between ConsumeQueue flushes.' }),
  syncFlushTimeout: intKey({ default: 5000, min: 1, doc: 'Ms a SYNC_FLUSH put waits for fsync before FLUSH_DISK_TIMEOUT.' }),
  maxMessageSize: intKey({ default: 4 * 1024 * 1024, min: 1, doc: 'Largest accepted message body; larger ones get MESSAGE_ILLEGAL.' }),
  maxTransferBytesOnMessageInMemory: intKey({ default: 256 * 1024, min: 1, doc: 'Byte cap of one pull batch of data in the page cache.' }),
  maxTransferCountOnMessageInMemory: intKey({ default: 32, min: 1, doc: 'Message cap of one pull batch of data in the page cache.' }),
  maxFilterMessageSize: intKey({ default: 16000, min: 0, doc: 'ConsumeQueue bytes one pull may scan past filtered-out units.' }),
  checkCRCOnRecover: boolKey({ default: true, doc: 'Check record CRCs while recovering the CommitLog at start.' }),
  enabledAppendPropCRC: boolKey({
    default: true, doc: 'End each record with the whole-record __CRC32# property (RocketMQ 5.x; Tern on, RocketMQ off).',
  }),
  maxHashSlotNum: intKey({ default: 5_000_000, min: 1, doc: 'Hash slots per IndexFile (file = 40 + slots*4 + entries*20 bytes).' }),
  maxIndexNum: intKey({ default: 5_000_000 * 4, min: 2, doc: 'Entries per IndexFile.' }),
  messageIndexEnable: boolKey({ default: true, doc: 'Index KEYS and UNIQ_KEY of every message (QUERY_MESSAGE needs it).' }),
  maxMsgsNumBatch: intKey({ default: 64, min: 1, doc: 'Most offsets one key query collects.' }),
  defaultQueryMaxNum: intKey({ default: 32, min: 1, doc: 'The cap a unique-key query gets.' }),
  fileReservedTime: intKey({ default: 72, min: 0, doc: 'Hours a CommitLog segment is kept after its last write.' }),
  deleteWhen: stringKey({ default: '04', doc: 'Hours of the day (local, "04" or "03;04") when expired segments are deleted.' }),
  diskMaxUsedSpaceRatio: intKey({ default: 75, doc: 'Disk use (%) above which expired segments are deleted at any hour.' }),
  diskSpaceCleanForciblyRatio: intKey({ default: 85, doc: 'Disk use (%, capped at 85) above which the oldest segments go even if not expired.' }),
  diskSpaceWarningLevelRatio: intKey({ default: 90, doc: 'Disk use (%, capped at 90) above which puts are refused.' }),
  cleanFileForciblyEnable: boolKey({ default: true, doc: 'Past diskSpaceCleanForciblyRatio, delete the oldest segments even if not expired.' }),
  cleanResourceInterval: intKey({ default: 10_000, min: 1, doc: 'Ms between retention runs (disk check and deletion).' }),
  deleteFileBatchMax: intKey({ default: 10, min: 1, doc: 'Most CommitLog segments deleted per retention run.' }),
  warmMapedFileEnable: boolKey({ default: false, doc: 'Zero-fill each pre-allocated CommitLog segment before it is used.' }),
} satisfies ConfigTable;

export type MessageStoreConfig = ConfigOf<typeof messageStoreConfigTable>;

/** Fills defaults and checks every key; an empty storePathCommitLog becomes <storePathRootDir>/commitlog. */
export function resolveMessageStoreConfig(partial: Partial<MessageStoreConfig> = {}): MessageStoreConfig {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const cfg: MessageStoreConfig = { ...defaultsOf(messageStoreConfigTable), ...given };
  cfg.storePathCommitLog ||= join(cfg.storePathRootDir, 'commitlog');
  const problems = checkConfig(messageStoreConfigTable, cfg);
  if (problems.length > 0) throw new ConfigError(`invalid store config: ${problems.join('; ')}`);
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
