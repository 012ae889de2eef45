import { describe, expect, it } from 'vitest';
import {
  MessageSysFlag,
  PullSysFlag,
  buildPullSysFlag,
  clearCommitOffsetFlag,
  compressionType,
  hasFlag,
  transactionType,
  withTransactionType,
} from '../../src/message/sys-flag.ts';

describe('sys flags', () => {
  it('reads and rewrites the transaction type', () => {
    const f = MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.TRANSACTION_PREPARED_TYPE;
    expect(transactionType(f)).toBe(MessageSysFlag.TRANSACTION_PREPARED_TYPE);
    const c = withTransactionType(f, MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    expect(transactionType(c)).toBe(MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    expect(hasFlag(c, MessageSysFlag.COMPRESSED_FLAG)).toBe(true);
    expect(compressionType(MessageSysFlag.COMPRESSION_ZSTD_TYPE | 1)).toBe(MessageSysFlag.COMPRESSION_ZSTD_TYPE);
  });

  it('builds pull flags like the Java client', () => {
    // commitOffset | suspend | subscription = 0b0111
    expect(buildPullSysFlag({ commitOffset: true, suspend: true, subscription: true })).toBe(7);
    expect(clearCommitOffsetFlag(7)).toBe(6);
    expect(PullSysFlag.LITE_PULL).toBe(0x10);
  });
});
