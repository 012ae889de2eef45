/**
 * Request-reply: the requester sends a request and awaits the answer; a consumer on the other side answers with
 * producer.reply(), and the broker pushes the reply straight back to the requester.
 *
 *   NAMESRV_ADDR=127.0.0.1:9876 npx node broker/examples/request-reply.ts
 */
import { Producer, PushConsumer } from '@tern/broker/client';
import { ensureTopic, namesrvAddr } from './example-setup.ts';

const topic = 'example-prices';
await ensureTopic(topic, 2);

// The responder: a consumer that answers each request.
const replier = new Producer({ namesrvAddr, group: 'example-price-replier' });
await replier.start();
const responder = new PushConsumer({ namesrvAddr, group: 'example-price-service', subscriptions: { [topic]: '*' }, consumeFrom: 'first' });
responder.onMessage(async (msgs) => {
  for (const m of msgs) await replier.reply(m, { body: `price of ${m.body.toString()}: 42` });
});
await responder.start();

// The requester.
const requester = new Producer({ namesrvAddr, group: 'example-price-requester' });
await requester.start();
const reply = await requester.request({ topic, body: Buffer.from('apples') }, 15_000);
console.log(`reply: ${reply.body.toString()}`);

await requester.shutdown();
await responder.shutdown();
await replier.shutdown();
