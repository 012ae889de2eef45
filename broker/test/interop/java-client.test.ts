import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, PushConsumer } from '../../src/client/index.ts';
import { decodeOffsetMsgId } from '../../src/message/message-id.ts';
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

  it('large bodies travel compressed both ways: zlib from Java to TS and from TS to Java', async () => {
    // Java compresses bodies over 4 KiB (compressMsgBodyOverHowmuch), as the TS producer does (compressOverBytes).
    const produced = await runJava(['produce', '-n', cluster.namesrvAddr, '-t', 'big-java-to-ts', '-c', '5', '--size', '20000', '--key-prefix', 'big-']);
    expect(produced.code, produced.stderr).toBe(0);
    const got = new Map<string, Buffer>();
    let compressedFlags = 0;
    const consumer = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'ts-reads-big', consumeFrom: 'first', subscriptions: { 'big-java-to-ts': '*' } });
    consumer.onMessage((msgs) => {
      for (const m of msgs) {
        got.set(m.properties.get('KEYS')!, m.body);
        if ((m.sysFlag & 0x1) !== 0) compressedFlags++;
      }
    });
    await consumer.start();
    try {
      await waitFor('5 large messages from Java', () => got.size === 5, 30_000);
    } finally {
      await consumer.shutdown();
    }
    expect(compressedFlags).toBe(5);
    for (let i = 0; i < 5; i++) {
      const expected = Buffer.from(Array.from({ length: 20000 }, (_, j) => 97 + ((i + j) % 26)));
      expect(got.get(`big-${i}`)!.equals(expected)).toBe(true);
    }

    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'ts-big-producer' });
    await producer.start();
    const body = 'tern '.repeat(4000);
    const sent = await producer.send({ topic: 'big-ts-to-java', body: Buffer.from(body), keys: ['big-ts'] });
    await producer.shutdown();
    const stored = cluster.broker.context.store.lookMessageByOffset(decodeOffsetMsgId(sent.offsetMsgId).offset)!;
    expect(stored.sysFlag & 0x1).toBe(1);
    expect(stored.body.length).toBeLessThan(1000);
    const consumed = await runJava(['consume', '-n', cluster.namesrvAddr, '-t', 'big-ts-to-java', '-g', 'java-reads-big', '-c', '1', '--print', 'bodies']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toContain(`BODY big-ts ${body.trimEnd()}`);
  });

  it('orderly: a Java and a TS orderly consumer share one group through the broker\'s queue locks, each key in order', async () => {
    const topic = 'orderly-mixed';
    const group = 'mixed-orderly';
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    await admin.createTopic(topic, { readQueueNums: 4, writeQueueNums: 4 });
    await admin.shutdown();
    const tsGot: string[] = [];
    const consumer = new PushConsumer({
      namesrvAddr: cluster.namesrvAddr, group, subscriptions: { [topic]: '*' }, consumeFrom: 'first', orderly: true, rebalanceIntervalMs: 2_000,
    });
    consumer.onMessage((msgs) => {
      for (const m of msgs) tsGot.push(m.body.toString());
    });
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'mixed-orderly-producer' });
    await producer.start();
    await consumer.start();
    try {
      await waitFor('the TS member owning all 4 queues', () => consumer.assignedQueues(topic).length === 4, 30_000);
      const java = runJava(['consume', '-n', cluster.namesrvAddr, '-t', topic, '-g', group, '-c', '100000', '--orderly', 'true',
        '--print', 'bodies', '--idle-exit-ms', '5000', '--timeout-ms', '60000']);
      await waitFor('the TS member handing 2 queues to the Java member', () => consumer.assignedQueues(topic).length === 2, 45_000);
      const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
      for (let seq = 0; seq < 20; seq++) {
        await Promise.all(keys.map((key) => producer.send({ topic, body: Buffer.from(`${key}:${seq}`), keys: [`${key}-${seq}`] }, { shardingKey: key })));
      }
      const consumed = await java;
      expect(consumed.code, consumed.stderr).toBe(0);
      const javaGot = consumed.stdout.split('\n').filter((l) => l.startsWith('BODY ')).map((l) => l.split(' ')[2]!);
      await waitFor('all 320 consumed by one side or the other', () => tsGot.length + javaGot.length >= 320, 30_000);
      expect([...tsGot, ...javaGot].sort()).toEqual(keys.flatMap((k) => Array.from({ length: 20 }, (_, s) => `${k}:${s}`)).sort());
      const keyOf = (b: string) => b.split(':')[0]!;
      const tsKeys = new Set(tsGot.map(keyOf));
      expect(javaGot.filter((b) => tsKeys.has(keyOf(b)))).toEqual([]);
      expect(javaGot.length).toBeGreaterThan(0);
      for (const side of [tsGot, javaGot]) {
        for (const key of keys) {
          const seqs = side.filter((b) => keyOf(b) === key).map((b) => Number(b.split(':')[1]));
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        }
      }
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });

  it('request-reply: a Java requester gets the TS responder\'s replies pushed by the broker', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    await admin.createTopic('rr-java-asks', { readQueueNums: 2, writeQueueNums: 2 });
    await admin.shutdown();
    const replier = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'ts-replier' });
    await replier.start();
    const responder = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'ts-responder', subscriptions: { 'rr-java-asks': '*' }, consumeFrom: 'last' });
    responder.onMessage(async (msgs) => {
      for (const m of msgs) await replier.reply(m, { body: `ts-reply:${m.body.toString()}` });
    });
    await responder.start();
    try {
      await waitFor('the responder owning the queues', () => responder.assignedQueues('rr-java-asks').length === 2, 30_000);
      const asked = await runJava(['request', '-n', cluster.namesrvAddr, '-t', 'rr-java-asks', '-c', '5', '--timeout-ms', '15000']);
      expect(asked.code, asked.stderr).toBe(0);
      expect(asked.stdout).toMatch(/ANSWERED 5/);
      for (let i = 0; i < 5; i++) expect(asked.stdout).toContain(`REPLY ${i} ts-reply:java-request-${i}`);
    } finally {
      await responder.shutdown();
      await replier.shutdown();
    }
  });

  it('request-reply: the TS requester gets a Java responder\'s replies (createReplyMessage)', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    await admin.createTopic('rr-ts-asks', { readQueueNums: 2, writeQueueNums: 2 });
    await admin.shutdown();
    const requester = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'ts-requester' });
    await requester.start();
    const javaResponder = runJava(['respond', '-n', cluster.namesrvAddr, '-t', 'rr-ts-asks', '-g', 'java-responder', '-c', '3', '--timeout-ms', '60000']);
    try {
      // The first request may wait for the JVM to start and take the queues: its timeout covers that.
      for (let i = 0; i < 3; i++) {
        const reply = await requester.request({ topic: 'rr-ts-asks', body: Buffer.from(`ts-request-${i}`) }, 45_000);
        expect(reply.body.toString()).toBe(`java-reply:ts-request-${i}`);
        expect(reply.properties.get('MSG_TYPE')).toBe('reply');
      }
      const responded = await javaResponder;
      expect(responded.code, responded.stderr).toBe(0);
      expect(responded.stdout).toMatch(/REPLIED 3/);
    } finally {
      await requester.shutdown();
    }
  });
});
