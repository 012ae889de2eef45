/**
 * The plain PullConsumer: you choose the queue and the offset of every pull, and keep the progress yourself.
 *
 *   NAMESRV_ADDR=127.0.0.1:9876 npx node broker/examples/pull-consumer.ts
 */
import { Producer, PullConsumer } from '@tern/broker/client';
import { ensureTopic, namesrvAddr } from './example-setup.ts';

const topic = 'example-pull';
await ensureTopic(topic, 2);
const producer = new Producer({ namesrvAddr, group: 'example-pull-producer' });
await producer.start();
for (let i = 0; i < 6; i++) await producer.send({ topic, body: Buffer.from(`item ${i}`), tags: i % 2 ? 'odd' : 'even' });
await producer.shutdown();

const consumer = new PullConsumer({ namesrvAddr, group: 'example-pullers' });
await consumer.start();
for (const mq of await consumer.fetchSubscribeMessageQueues(topic)) {
  let offset = Math.max(0, await consumer.fetchConsumeOffset(mq));
  for (;;) {
    const r = await consumer.pull(mq, offset, { expression: 'even || odd', maxNums: 2 });
    if (r.status === 'NO_NEW_MSG' || r.status === 'OFFSET_ILLEGAL') break;
    for (const m of r.msgs) console.log(`queue ${mq.queueId} offset ${m.queueOffset}: ${m.body.toString()} [${m.tags}]`);
    offset = r.nextBeginOffset;
  }
  await consumer.updateConsumeOffset(mq, offset);
  console.log(`queue ${mq.queueId}: stored offset ${offset}`);
}
await consumer.shutdown();
