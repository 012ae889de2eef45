/**
 * Ordered messages: each order's events go to one queue (shardingKey), and an orderly consumer handles each queue
 * strictly in order. A failing event is retried in place after a short pause, never overtaken by the next one.
 *
 *   NAMESRV_ADDR=127.0.0.1:9876 npx node broker/examples/ordered-messages.ts
 */
import { Producer, PushConsumer } from '@tern/broker/client';
import { ensureTopic, namesrvAddr } from './example-setup.ts';

const topic = 'example-orders';
await ensureTopic(topic);

const consumer = new PushConsumer({
  namesrvAddr, group: 'example-orderly', subscriptions: { [topic]: '*' }, consumeFrom: 'first', orderly: true, suspendCurrentQueueMs: 200,
});
const seen = new Map<string, string[]>();
let failedOnce = false;
consumer.onMessage((msgs) => {
  for (const m of msgs) {
    const [order, step] = m.body.toString().split(':') as [string, string];
    if (step === 'paid' && order === 'order-2' && !failedOnce) {
      failedOnce = true;
      throw new Error('payment service busy');   // this queue pauses, then gets the same message again
    }
    seen.set(order, [...(seen.get(order) ?? []), step]);
  }
});
await consumer.start();

const producer = new Producer({ namesrvAddr, group: 'example-orders-producer' });
await producer.start();
const steps = ['created', 'paid', 'shipped'];
for (const step of steps) {
  for (const order of ['order-1', 'order-2', 'order-3']) {
    await producer.send({ topic, body: Buffer.from(`${order}:${step}`), keys: [order] }, { shardingKey: order });
  }
}

const deadline = Date.now() + 30_000;
while ([...seen.values()].reduce((n, s) => n + s.length, 0) < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
for (const [order, got] of [...seen].sort()) console.log(`${order}: ${got.join(' -> ')}`);
const inOrder = [...seen.values()].every((got) => got.join() === steps.join());
console.log(inOrder && seen.size === 3 ? 'every order in order' : 'ORDER BROKEN');
await producer.shutdown();
await consumer.shutdown();
process.exitCode = inOrder && seen.size === 3 ? 0 : 1;
