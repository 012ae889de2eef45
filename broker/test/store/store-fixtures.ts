import { afterEach } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { MessageStore } from '../../src/store/message-store.ts';
import type { MessageStoreOptions, MessageToStore } from '../../src/store/message-store.ts';
import type { MessageStoreConfig } from '../../src/store/message-store-config.ts';

export const STORE_HOST = { address: '127.0.0.1', port: 10911 };

export function message(topic: string, queueId: number, body: string | Buffer, props: Record<string, string> = {}): MessageToStore {
  return {
    topic,
    queueId,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    bornHost: { address: '127.0.0.1', port: 40000 },
    storeHost: STORE_HOST,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: typeof body === 'string' ? Buffer.from(body) : body,
    properties: encodeProperties({ WAIT: 'true', ...props }),
  };
}

/** Small files so rollover happens within a test. */
export function smallConfig(root: string, over: Partial<MessageStoreConfig> = {}): Partial<MessageStoreConfig> {
  return {
    storePathRootDir: root,
    mappedFileSizeCommitLog: 64 * 1024,
    mappedFileSizeConsumeQueue: 20 * 10,
    ...over,
  };
}

export async function openStore(root: string, over: Partial<MessageStoreConfig> = {}, options: MessageStoreOptions = {}): Promise<MessageStore> {
  return MessageStore.open(smallConfig(root, over), { logger: createLogger('store', { level: 'silent' }), ...options });
}

/** An opener for the tests of one file: every store it opened is shut down after each test. */
export function useStores(): (root: string, over?: Partial<MessageStoreConfig>, options?: MessageStoreOptions) => Promise<MessageStore> {
  const open: MessageStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.shutdown();
  });
  return async (root, over = {}, options = {}) => {
    const s = await openStore(root, over, options);
    open.push(s);
    return s;
  };
}
