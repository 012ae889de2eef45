/** MessageSysFlag: the SYSFLAG int of a record and of SEND_MESSAGE's header field `sysFlag`. */
export const MessageSysFlag = {
  COMPRESSED_FLAG: 0x1,
  MULTI_TAGS_FLAG: 0x2,
  TRANSACTION_NOT_TYPE: 0x0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  TRANSACTION_TYPE_MASK: 0xc,
  BORNHOST_V6_FLAG: 0x10,
  STOREHOSTADDRESS_V6_FLAG: 0x20,
  NEED_UNWRAP_FLAG: 0x40,
  INNER_BATCH_FLAG: 0x80,
  COMPRESSION_LZ4_TYPE: 0x100,
  COMPRESSION_ZSTD_TYPE: 0x200,
  COMPRESSION_ZLIB_TYPE: 0x300,
  COMPRESSION_TYPE_MASK: 0x700,
} as const;

/** One of TRANSACTION_NOT_TYPE / PREPARED / COMMIT / ROLLBACK. */
export function transactionType(sysFlag: number): number {
  return sysFlag & MessageSysFlag.TRANSACTION_TYPE_MASK;
}

export function withTransactionType(sysFlag: number, type: number): number {
  return (sysFlag & ~MessageSysFlag.TRANSACTION_TYPE_MASK) | (type & MessageSysFlag.TRANSACTION_TYPE_MASK);
}

/** Compression bits 8-10; 0 means ZLIB for clients that predate the type bits. */
export function compressionType(sysFlag: number): number {
  return sysFlag & MessageSysFlag.COMPRESSION_TYPE_MASK;
}

export function hasFlag(sysFlag: number, flag: number): boolean {
  return (sysFlag & flag) === flag;
}

/** PullSysFlag: the `sysFlag` of PULL_MESSAGE requests. */
export const PullSysFlag = {
  COMMIT_OFFSET: 0x1,
  SUSPEND: 0x2,
  SUBSCRIPTION: 0x4,
  CLASS_FILTER: 0x8,
  LITE_PULL: 0x10,
} as const;

export interface PullSysFlagParts {
  commitOffset?: boolean;
  suspend?: boolean;
  subscription?: boolean;
  classFilter?: boolean;
  litePull?: boolean;
}

export function buildPullSysFlag(parts: PullSysFlagParts): number {
  let flag = 0;
  if (parts.commitOffset) flag |= PullSysFlag.COMMIT_OFFSET;
  if (parts.suspend) flag |= PullSysFlag.SUSPEND;
  if (parts.subscription) flag |= PullSysFlag.SUBSCRIPTION;
  if (parts.classFilter) flag |= PullSysFlag.CLASS_FILTER;
  if (parts.litePull) flag |= PullSysFlag.LITE_PULL;
  return flag;
}

/** The broker clears COMMIT_OFFSET when it has no offset to commit (e.g. on a slave). */
export function clearCommitOffsetFlag(sysFlag: number): number {
  return sysFlag & ~PullSysFlag.COMMIT_OFFSET;
}
