/**
 * LitePullConsumer: poll messages at your own pace, seek back, commit when done.
 *
 *   NAMESRV_ADDR=127.0.0.1:9876 npx node broker/examples/lite-pull-consumer.ts
 */
import { LitePullConsumer, Producer } from '@tern/broker/client';
import { ensureTopic, namesrvAddr } from './example-setup.ts';

const topic = 'example-lite-pull';
await ensureTopic(topic, 1);
const producer = new Producer({ namesrvAddr, group: 'example-lite-producer' });
await producer.start();
for (let i = 0; i < 5; i++) await producer.send({ topic, body: Buffer.from(`event ${i}`) });
await producer.shutdown();

const consumer = new LitePullConsumer({ namesrvAddr, group: `example-lite-${Date.now()}`, consumeFrom: 'first', autoCommit: false });
consumer.subscribe(topic);
await consumer.start();
let read: string[] = [];
const deadline = Date.now() + 20_000;
while (read.length < 5 && Date.now() < deadline) read.push(...(await consumer.poll(1000)).map((m) => m.body.toString()));
console.log(`polled: ${read.join(', ')}`);

const mq = consumer.assignment()[0]!;
consumer.seek(mq, 3);                      // read the last two again
read = (await consumer.poll(2000)).map((m) => m.body.toString());
console.log(`after seek to 3: ${read.join(', ')}`);
await consumer.commit();
console.log(`committed offset: ${await consumer.committed(mq)}`);
await consumer.shutdown();
