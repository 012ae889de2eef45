/** Outcomes of a put, with RocketMQ's names; the broker maps them to response codes. */
export const PutMessageStatus = {
  PUT_OK: 'PUT_OK',
  FLUSH_DISK_TIMEOUT: 'FLUSH_DISK_TIMEOUT',
  FLUSH_SLAVE_TIMEOUT: 'FLUSH_SLAVE_TIMEOUT',
  SLAVE_NOT_AVAILABLE: 'SLAVE_NOT_AVAILABLE',
  SERVICE_NOT_AVAILABLE: 'SERVICE_NOT_AVAILABLE',
  CREATE_MAPPED_FILE_FAILED: 'CREATE_MAPPED_FILE_FAILED',
  MESSAGE_ILLEGAL: 'MESSAGE_ILLEGAL',
  PROPERTIES_SIZE_EXCEEDED: 'PROPERTIES_SIZE_EXCEEDED',
  OS_PAGE_CACHE_BUSY: 'OS_PAGE_CACHE_BUSY',
  UNKNOWN_ERROR: 'UNKNOWN_ERROR',
} as const;
export type PutMessageStatus = (typeof PutMessageStatus)[keyof typeof PutMessageStatus];

export interface PutMessageResult {
  status: PutMessageStatus;
  /** Why the put was refused, in words a person can act on (the response remark); absent when stored. */
  remark?: string;
  /** Physical offset of the record; -1 when nothing was written. */
  wroteOffset: number;
  wroteBytes: number;
  /** offsetMsgId of the record; '' when nothing was written. */
  msgId: string;
  queueOffset: number;
  storeTimestamp: number;
}

export interface PutMessagesResult {
  status: PutMessageStatus;
  /** Why the put was refused (the response remark); absent when stored. */
  remark?: string;
  /** Physical offset of the first record. */
  wroteOffset: number;
  wroteBytes: number;
  /** One offsetMsgId per message, in order (the send response joins them with commas). */
  msgIds: string[];
  /** Queue offset of the first message; the rest follow consecutively. */
  queueOffset: number;
  storeTimestamp: number;
  messageCount: number;
}

/** True for the statuses after which the message is stored (the client treats them as sent). */
export function isStored(status: PutMessageStatus): boolean {
  return (
    status === PutMessageStatus.PUT_OK ||
    status === PutMessageStatus.FLUSH_DISK_TIMEOUT ||
    status === PutMessageStatus.FLUSH_SLAVE_TIMEOUT ||
    status === PutMessageStatus.SLAVE_NOT_AVAILABLE
  );
}
