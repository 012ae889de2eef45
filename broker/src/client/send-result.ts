import type { MessageQueue } from './message-queue.ts';

/** Outcome of a send the broker accepted. Anything but SEND_OK still means the message is stored. */
export const SendStatus = {
  SEND_OK: 'SEND_OK',
  /** Stored, but a SYNC_FLUSH broker did not get it to disk within its timeout. */
  FLUSH_DISK_TIMEOUT: 'FLUSH_DISK_TIMEOUT',
  /** Stored on the master, but a SYNC_MASTER's slave did not confirm in time. */
  FLUSH_SLAVE_TIMEOUT: 'FLUSH_SLAVE_TIMEOUT',
  /** Stored on the master of a SYNC_MASTER group that has no usable slave. */
  SLAVE_NOT_AVAILABLE: 'SLAVE_NOT_AVAILABLE',
} as const;
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

export interface SendResult {
  status: SendStatus;
  /** The client-made unique id (UNIQ_KEY); for a batch, the ids of its messages joined with commas. */
  msgId: string;
  /** The broker-made id (store host + commit log offset); comma-joined for a batch. */
  offsetMsgId: string;
  messageQueue: MessageQueue;
  /** Position in the queue (of the first message, for a batch). */
  queueOffset: number;
  transactionId?: string;
  regionId?: string;
  /** For a message sent with deliverAt / delayMs: what Producer.recall takes to cancel it before it is due. */
  recallHandle?: string;
}
