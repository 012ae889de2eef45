/** Outcomes of a pull read, with RocketMQ's names (§6.7 maps them to pull response codes). */
export const GetMessageStatus = {
  FOUND: 'FOUND',
  NO_MATCHED_MESSAGE: 'NO_MATCHED_MESSAGE',
  MESSAGE_WAS_REMOVING: 'MESSAGE_WAS_REMOVING',
  OFFSET_FOUND_NULL: 'OFFSET_FOUND_NULL',
  OFFSET_OVERFLOW_BADLY: 'OFFSET_OVERFLOW_BADLY',
  OFFSET_OVERFLOW_ONE: 'OFFSET_OVERFLOW_ONE',
  OFFSET_TOO_SMALL: 'OFFSET_TOO_SMALL',
  NO_MATCHED_LOGIC_QUEUE: 'NO_MATCHED_LOGIC_QUEUE',
  NO_MESSAGE_IN_QUEUE: 'NO_MESSAGE_IN_QUEUE',
  OFFSET_RESET: 'OFFSET_RESET',
} as const;
export type GetMessageStatus = (typeof GetMessageStatus)[keyof typeof GetMessageStatus];

/** Pull filter on a ConsumeQueue unit: sees only its tagsCode (the tag hash). */
export type TagsCodeFilter = (tagsCode: number) => boolean;
/** Pull filter on the record itself (SQL92): sees its decoded properties. */
export type PropertiesFilter = (properties: Map<string, string>) => boolean;

export interface GetMessageResult {
  status: GetMessageStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** The records, byte for byte as stored: the pull response body. */
  body: Buffer;
  /** One view per record into `body`. */
  messages: Buffer[];
  /** Queue offset of each record in `messages`. */
  messageQueueOffsets: number[];
  messageCount: number;
  bufferTotalSize: number;
  /** Always false until slave reads exist (§6.10). */
  suggestPullingFromSlave: boolean;
}
