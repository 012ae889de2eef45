import type { HeaderInput } from '../remoting/index.ts';
import { optionalBool, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/**
 * END_TRANSACTION: commit or roll back a half message. Java producers also send msgId, transactionId and bname;
 * the broker finds the half message by its offsets, so those are not read.
 */
export interface EndTransactionHeader {
  producerGroup: string;
  tranStateTableOffset: number;
  /** The half message's CommitLog offset. */
  commitLogOffset: number;
  /** A MessageSysFlag transaction type: commit, rollback, or not yet known. */
  commitOrRollback: number;
  fromTransactionCheck: boolean;
  /** Sent by producers for the broker's logs (the UNIQ_KEY, the transaction id, the broker name); not read. */
  msgId?: string;
  transactionId?: string;
  bname?: string;
}

export function encodeEndTransactionHeader(h: EndTransactionHeader): HeaderInput {
  return {
    producerGroup: h.producerGroup, tranStateTableOffset: h.tranStateTableOffset, commitLogOffset: h.commitLogOffset,
    commitOrRollback: h.commitOrRollback, fromTransactionCheck: h.fromTransactionCheck,
    msgId: h.msgId, transactionId: h.transactionId, bname: h.bname,
  };
}

export function decodeEndTransactionHeader(ext: ExtFields): EndTransactionHeader {
  return {
    producerGroup: requiredString(ext, 'producerGroup'),
    tranStateTableOffset: requiredInt(ext, 'tranStateTableOffset'),
    commitLogOffset: requiredInt(ext, 'commitLogOffset'),
    commitOrRollback: requiredInt(ext, 'commitOrRollback'),
    fromTransactionCheck: optionalBool(ext, 'fromTransactionCheck') ?? false,
  };
}
