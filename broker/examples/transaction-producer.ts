/**
 * Transactional messages: the message becomes visible only if the local transaction commits. An undecided one
 * ('UNKNOW') is settled later when the broker asks checkLocalTransaction.
 *
 *   NAMESRV_ADDR=127.0.0.1:9876 npx node broker/examples/transaction-producer.ts
 */
import { TransactionProducer, type LocalTransactionState } from '@tern/broker/client';
import { ensureTopic, namesrvAddr } from './example-setup.ts';

const topic = 'example-payments';
await ensureTopic(topic);

// Stands in for the application's database.
const savedPayments = new Set<string>();

const producer = new TransactionProducer({
  namesrvAddr,
  group: 'example-tx',
  transactionListener: {
    executeLocalTransaction(msg, amount): LocalTransactionState {
      if ((amount as number) > 1000) return 'ROLLBACK_MESSAGE';   // refused: the message is dropped
      savedPayments.add(msg.transactionId);
      return 'COMMIT_MESSAGE';
    },
    checkLocalTransaction(msg): LocalTransactionState {
      return savedPayments.has(msg.transactionId) ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE';
    },
  },
});
await producer.start();
for (const amount of [50, 5000]) {
  const r = await producer.sendMessageInTransaction({ topic, body: Buffer.from(`pay ${amount}`) }, amount);
  console.log(`pay ${amount}: ${r.localTransactionState} (transaction ${r.transactionId ?? r.msgId})`);
}
await producer.shutdown();
