import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, PushConsumer } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { consumedKeys, runJava } from '../support/java-interop.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

// The official Apache RocketMQ Java client 5.3.3 (from Maven Central, built by scripts/java-interop-build.sh)
// against a Tern namesrv + broker.
let cluster: LocalCluster;
const dir = tempDir('tern-java-');

beforeAll(async () => {
  cluster = await startLocalCluster();
});
afterAll(() => cluster.stop());

function ackedKeys(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]!);
}

describe('official Java client against Tern', { timeout: 120_000 }, () => {
  for (const mode of ['sync', 'async'] as const) {
    it(`DefaultMQProducer sends 1,000 messages ${mode}, DefaultMQPushConsumer receives all 1,000`, async () => {
      const topic = `java-${mode}`;
      const ackLog = path.join(dir, `${mode}.acks`);
      const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', topic, '-c', '1000', '--mode', mode, '--ack-log', ackLog, '--key-prefix', `${mode}-`]);
      expect(produced.code, produced.stderr).toBe(0);
      expect(produced.stdout).toMatch(/SENT ok=1000 failed=0/);
      const acked = ackedKeys(ackLog);
      expect(new Set(acked).size).toBe(1000);

      const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', topic, '-g', `java-group-${mode}`, '-c', '1000', '--timeout-ms', '60000']);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(new Set(consumedKeys(consumed.stdout))).toEqual(new Set(acked));
    });
  }

  it('works with binary (ROCKETMQ) headers as the benchmark tools use', async () => {
    const javaOpts = '-Drocketmq.serialize.type=ROCKETMQ';
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-binary', '-c', '200', '--mode', 'sync', '--key-prefix', 'bin-'], { javaOpts });
    expect(produced.stdout, produced.stderr).toMatch(/SENT ok=200 failed=0/);
    const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', 'java-binary', '-g', 'java-binary-group', '-c', '200'], { javaOpts });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(new Set(consumedKeys(consumed.stdout)).size).toBe(200);
  });

  it('timer messages (Message.setDelayTimeMs, Message.setDeliverTimeMs) are delivered when due, each once', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    try {
      await admin.createTopic('java-timer');
      const stored = async () => (await admin.topicStatus('java-timer')).reduce((a, q) => a + q.maxOffset, 0);
      const sentAt = Date.now();
      const [delayed, deliverAt] = await Promise.all([
        runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-timer', '-c', '20', '--delay-ms', '8000', '--key-prefix', 'delay-']),
        runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-timer', '-c', '20', '--deliver-in-ms', '8000', '--key-prefix', 'at-']),
      ]);
      expect(delayed.stdout, delayed.stderr).toMatch(/SENT ok=20 failed=0/);
      expect(deliverAt.stdout, deliverAt.stderr).toMatch(/SENT ok=20 failed=0/);
      // Sent, but nothing is in the topic until due (the sends finished well before: the check is only meaningful then).
      if (Date.now() < sentAt + 7000) expect(await stored()).toBe(0);
      const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', 'java-timer', '-g', 'java-timer-group', '-c', '40', '--timeout-ms', '60000']);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(Date.now()).toBeGreaterThanOrEqual(sentAt + 8000);
      const keys = new Set(consumedKeys(consumed.stdout));
      expect(keys).toEqual(new Set([...Array.from({ length: 20 }, (_, i) => `delay-${i}`), ...Array.from({ length: 20 }, (_, i) => `at-${i}`)]));
      expect(await stored()).toBe(40);
    } finally {
      await admin.shutdown();
    }
  });

  it('DefaultMQProducer.recallMessage with the send\'s recall handle: a recalled timer is never delivered', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    try {
      await admin.createTopic('java-recall');
      const sentAt = Date.now();
      const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-recall', '-c', '6', '--delay-ms', '6000', '--recall-first', '2', '--key-prefix', 'rc-']);
      expect(produced.stdout, produced.stderr).toMatch(/SENT ok=6 failed=0/);
      expect(produced.stdout).toMatch(/^RECALLED rc-0 \S+$/m);
      expect(produced.stdout).toMatch(/^RECALLED rc-1 \S+$/m);
      const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', 'java-recall', '-g', 'java-recall-group', '-c', '4', '--timeout-ms', '60000']);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(new Set(consumedKeys(consumed.stdout))).toEqual(new Set(['rc-2', 'rc-3', 'rc-4', 'rc-5']));
      // Past every due time: the two recalled ones never arrive.
      await new Promise((r) => setTimeout(r, Math.max(0, sentAt + 7000 - Date.now())));
      expect((await admin.topicStatus('java-recall')).reduce((a, q) => a + q.maxOffset, 0)).toBe(4);
    } finally {
      await admin.shutdown();
    }
  });

  it('Java reads what the TS producer wrote', async () => {
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'ts-producer' });
    await producer.start();
    const keys: string[] = [];
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) =>
        producer.send({ topic: 'ts-to-java', body: Buffer.from(`ts body ${i + j}`), tags: 'TagA', keys: [`ts-${i + j}`] })));
      for (const [j, r] of batch.entries()) if (r.status === 'SEND_OK') keys.push(`ts-${i + j}`);
    }
    await producer.shutdown();
    expect(keys).toHaveLength(1000);
    const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', 'ts-to-java', '-g', 'java-reads-ts', '-c', '1000', '--print', 'bodies']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toMatch(/ts body 999/);
    expect(consumed.stdout).toMatch(/RECEIVED distinct=1000/);
  });

  it('the TS PushConsumer reads what the Java producer wrote', async () => {
    const ackLog = path.join(dir, 'java-to-ts.acks');
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'java-to-ts', '-c', '1000', '--mode', 'async', '--ack-log', ackLog, '--key-prefix', 'j2t-']);
    expect(produced.code, produced.stderr).toBe(0);
    const acked = new Set(ackedKeys(ackLog));
    const seen = new Set<string>();
    const consumer = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'ts-reads-java', consumeFrom: 'first' });
    consumer.subscribe('java-to-ts', '*');
    consumer.onMessage((msgs) => {
      for (const m of msgs) {
        expect(m.msgId).toMatch(/^[0-9A-F]{32,56}$/);
        seen.add(m.properties.get('KEYS')!);
      }
    });
    await consumer.start();
    try {
      await waitFor('every acknowledged key consumed', (note) => {
        note(`${seen.size} of ${acked.size}`);
        return seen.size >= acked.size;
      }, 30_000);
    } finally {
      await consumer.shutdown();
    }
    expect(seen).toEqual(acked);
  });
});
