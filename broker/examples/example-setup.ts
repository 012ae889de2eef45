/**
 * What every example shares: the name server address (NAMESRV_ADDR, default 127.0.0.1:9876) and a helper that
 * creates a topic and waits until the name server routes it.
 */
import { Admin } from '@tern/broker/client';

export const namesrvAddr = process.env.NAMESRV_ADDR ?? '127.0.0.1:9876';

export async function ensureTopic(topic: string, queues = 4): Promise<void> {
  const admin = new Admin({ namesrvAddr });
  try {
    await admin.createTopic(topic, { readQueueNums: queues, writeQueueNums: queues });
    for (let i = 0; i < 100; i++) {
      const route = await admin.topicRoute(topic).catch(() => undefined);
      if (route && route.queueDatas.length > 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`topic ${topic} did not appear in the name server`);
  } finally {
    await admin.shutdown();
  }
}
