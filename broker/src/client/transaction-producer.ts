import type { Message } from '../message/message.ts';
import { decodeOffsetMsgId } from '../message/message-id.ts';
import { MessageConst } from '../message/properties.ts';
import { decodeStoredMessage } from '../message/stored-message.ts';
import { MessageSysFlag } from '../message/sys-flag.ts';
import type { RemotingCommand, RemotingConnection } from '../remoting/index.ts';
import { ClientError } from './client-error.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import { receivedFromStored, type ReceivedMessage } from './received-message.ts';
import { SendStatus, type SendResult } from './send-result.ts';

/** The outcome of a local transaction, named as in RocketMQ's LocalTransactionState (UNKNOW included). */
export type LocalTransactionState = 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';

/** A half message as executeLocalTransaction sees it: the message sent, with its ids. */
export interface HalfMessage extends Message {
  msgId: string;
  transactionId: string;
}

export interface TransactionListener {
  /**
   * Runs the local transaction once the half message is stored. UNKNOW (or throwing) leaves the decision to
   * checkLocalTransaction, which the broker calls later.
   */
  executeLocalTransaction(msg: HalfMessage, arg: unknown): LocalTransactionState | Promise<LocalTransactionState>;
  /** Asked by the broker (CHECK_TRANSACTION_STATE) about a half message still undecided. */
  checkLocalTransaction(msg: ReceivedMessage & { transactionId: string }): LocalTransactionState | Promise<LocalTransactionState>;
}

export interface TransactionProducerOptions extends ProducerOptions {
  /** Producer group: the broker checks back with any live member of it, so all members must share one listener logic. */
  group: string;
  transactionListener: TransactionListener;
}

export interface TransactionSendResult extends SendResult {
  localTransactionState: LocalTransactionState;
  /** What executeLocalTransaction threw, when it did (the state is then UNKNOW). */
  localError?: unknown;
}

const OUTCOME: Record<LocalTransactionState, number> = {
  COMMIT_MESSAGE: MessageSysFlag.TRANSACTION_COMMIT_TYPE,
  ROLLBACK_MESSAGE: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE,
  UNKNOW: MessageSysFlag.TRANSACTION_NOT_TYPE,
};

/**
 * Transactional messages (RocketMQ's TransactionMQProducer): the message is stored as a half message, invisible
 * to consumers, then the local transaction runs, and END_TRANSACTION commits or rolls the message back. When
 * the answer is not known yet, the broker later asks the group (CHECK_TRANSACTION_STATE) and
 * checkLocalTransaction answers.
 *
 * ```ts
 * const p = new TransactionProducer({ namesrvAddr, group: 'tx', transactionListener: {
 *   executeLocalTransaction: async (msg) => (await saveOrder(msg) ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE'),
 *   checkLocalTransaction: async (msg) => (await orderExists(msg.transactionId) ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE'),
 * } });
 * await p.start();
 * await p.sendMessageInTransaction({ topic: 'orders', body: Buffer.from('...') });
 * ```
 */
export class TransactionProducer extends Producer {
  private readonly listener: TransactionListener;

  constructor(options: TransactionProducerOptions) {
    if (!options.transactionListener) throw new ClientError('a TransactionProducer needs a transactionListener');
    super(options);
    this.listener = options.transactionListener;
    this.instance.onTransactionCheck = (req, connection) => void this.answerCheck(req, connection);
  }

  /**
   * Sends `msg` as a half message, runs executeLocalTransaction(msg, arg), then tells the broker the outcome.
   * Rejects only when the half message could not be sent (the local transaction then does not run).
   */
  sendMessageInTransaction(msg: Message, arg?: unknown): Promise<TransactionSendResult> {
    return this.track(async () => {
      const prepared = this.prepareSingle(msg, {
        properties: { [MessageConst.TRAN_MSG]: 'true', [MessageConst.PGROUP]: this.group },
        sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
      });
      const sent = await this.sendPrepared(prepared, msg, {});
      let state: LocalTransactionState = 'ROLLBACK_MESSAGE';
      let localError: unknown;
      if (sent.status === SendStatus.SEND_OK) {
        const transactionId = sent.transactionId ?? sent.msgId;
        try {
          state = await this.listener.executeLocalTransaction({ ...msg, msgId: sent.msgId, transactionId }, arg);
        } catch (err) {
          localError = err;
          state = 'UNKNOW';
          this.instance.log.warn(`executeLocalTransaction of ${sent.msgId} failed, the broker will check back: ${(err as Error).message}`);
        }
        if (!(state in OUTCOME)) {
          this.instance.log.warn(`executeLocalTransaction of ${sent.msgId} returned ${String(state)}; treated as UNKNOW`);
          state = 'UNKNOW';
        }
      }
      await this.endTransaction(sent, state).catch((err) =>
        // The broker checks back on half messages it never heard about, so this is not fatal.
        this.instance.log.warn(`END_TRANSACTION of ${sent.msgId} failed, the broker will check back: ${(err as Error).message}`));
      const result: TransactionSendResult = { ...sent, localTransactionState: state };
      if (localError !== undefined) result.localError = localError;
      return result;
    });
  }

  private async endTransaction(sent: SendResult, state: LocalTransactionState): Promise<void> {
    const broker = this.instance.requireMaster(sent.messageQueue.brokerName);
    await this.instance.api.endTransactionOneway(broker, {
      producerGroup: this.group,
      tranStateTableOffset: sent.queueOffset,
      commitLogOffset: decodeOffsetMsgId(sent.offsetMsgId).offset,
      commitOrRollback: OUTCOME[state],
      fromTransactionCheck: false,
      msgId: sent.msgId,
      transactionId: sent.transactionId ?? sent.msgId,
      bname: sent.messageQueue.brokerName,
    });
  }

  /** CHECK_TRANSACTION_STATE: ask checkLocalTransaction, answer with END_TRANSACTION on the same connection. */
  private async answerCheck(req: RemotingCommand, connection: RemotingConnection): Promise<void> {
    const log = this.instance.log;
    try {
      const h = req.extFields ?? {};
      if (!req.body || req.body.length === 0) throw new Error('the check carries no message');
      const tranStateTableOffset = Number(h.tranStateTableOffset);
      const commitLogOffset = Number(h.commitLogOffset);
      if (!Number.isInteger(tranStateTableOffset) || !Number.isInteger(commitLogOffset)) throw new Error('the check names no half message offsets');
      const ext = decodeStoredMessage(req.body);
      const received = receivedFromStored(ext, h.bname ?? '', ext.queueId);
      const transactionId = h.transactionId || ext.properties.get(MessageConst.TRANSACTION_ID) || received.msgId;
      let state: LocalTransactionState;
      try {
        state = await this.listener.checkLocalTransaction({ ...received, transactionId });
      } catch (err) {
        log.warn(`checkLocalTransaction of ${received.msgId} failed: ${(err as Error).message}`);
        state = 'UNKNOW';
      }
      if (!(state in OUTCOME)) state = 'UNKNOW';
      if (connection.closed) return;
      this.instance.api.endTransactionOn(connection, {
        producerGroup: ext.properties.get(MessageConst.PGROUP) ?? this.group,
        tranStateTableOffset,
        commitLogOffset,
        commitOrRollback: OUTCOME[state],
        fromTransactionCheck: true,
        msgId: received.msgId,
        transactionId,
        bname: h.bname,
      });
    } catch (err) {
      log.warn(`transaction check from the broker could not be answered: ${(err as Error).message}`);
    }
  }
}
