import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Admin, Producer } from '../../src/client/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { spawnTern, waitForBrokerRegistered, waitForListening, type RunningProcess } from '../support/processes.ts';
import { freePort } from '../../src/harness/free-port.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const running: RunningProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
});

// 20k in `npm test`; `make test-timer-restart` runs the 100k (TERN_TIMER_RESTART_TOTAL), with times scaled to it.
const TOTAL = Number(process.env.TERN_TIMER_RESTART_TOTAL ?? 20_000);
const SCALE = Math.max(1, TOTAL / 20_000);
const QUEUES = 4;

describe('timers across kill -9 and restart (real processes)', { timeout: 180_000 * SCALE }, () => {
  it(`${TOTAL} pending timers: SIGKILL before any is due, SIGTERM while they are delivered; each re-put exactly once, none early`, async () => {
    const dir = tempDir('tern-timer-restart-');
    const nsPort = await freePort();
    const brokerPort = await freePort();
    const namesrvAddr = `127.0.0.1:${nsPort}`;
    const brokerAddr = `127.0.0.1:${brokerPort}`;
    const ns = spawnTern(['namesrv', '-p', String(nsPort)]);
    running.push(ns);
    await waitForListening(ns, nsPort);
    const conf = path.join(dir, 'broker.conf');
    fs.writeFileSync(conf, [
      'brokerName=broker-t', `listenPort=${brokerPort}`, `haListenPort=${await freePort()}`, `namesrvAddr=${namesrvAddr}`, `storePathRootDir=${dir}/store`,
      // Small timer log segments, so the log spans several and wholly delivered ones are deleted.
      'brokerIP1=127.0.0.1', 'mappedFileSizeCommitLog=8388608', `mappedFileSizeTimerLog=${32 * 4096}`,
    ].join('\n'));
    const startBroker = async () => {
      const b = spawnTern(['broker', '-c', conf]);
      running.push(b);
      await waitForListening(b, brokerPort);
      await waitForBrokerRegistered(namesrvAddr, 'broker-t');
      return b;
    };
    let broker = await startBroker();
    const admin = new Admin({ namesrvAddr });
    await admin.createTopic('timer-restart', { readQueueNums: QUEUES, writeQueueNums: QUEUES });
    await waitFor('a route for timer-restart', () => admin.topicRoute('timer-restart'));

    const producer = new Producer({ namesrvAddr, group: 'timer-restart-producer', sendTimeoutMs: 10_000 });
    await producer.start();
    // Due times spread over 6 s (per 20k), starting well after the sends and the kill -9 below.
    const firstDue = Date.now() + 25_000 * SCALE;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const due = firstDue + Math.floor((i * 6000 * SCALE) / TOTAL);
        const r = await producer.send({ topic: 'timer-restart', body: Buffer.from(`b${i}`), keys: [`t${i}@${due}`] }, { deliverAt: due });
        expect(r.status).toBe('SEND_OK');
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await producer.shutdown();
    expect(Date.now(), 'the sends took too long for the test to kill the broker before the first due time').toBeLessThan(firstDue - 5000);
    const total = async () => (await admin.topicStatus('timer-restart')).reduce((a, q) => a + q.maxOffset, 0);
    expect(await total()).toBe(0);

    broker.child.kill('SIGKILL');
    await broker.exited;
    broker = await startBroker();
    await waitFor('about half the timers delivered', async () => (await total()) >= TOTAL / 2, 60_000 * SCALE, 50);
    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
    broker = await startBroker();
    await waitFor(`all ${TOTAL} timers delivered`, async (note) => {
      const n = await total();
      note(`${n} delivered`);
      return n >= TOTAL;
    }, 60_000 * SCALE, 200);
    // Nothing more comes: each timer was re-put exactly once.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await total()).toBe(TOTAL);

    const raw = new RemotingClient({ logger: createLogger('test') });
    const seen = new Set<string>();
    for (let q = 0; q < QUEUES; q++) {
      for (let offset = 0; ;) {
        const r = await raw.invoke(brokerAddr, createRequest(RequestCode.PULL_MESSAGE, {
          consumerGroup: 'reader', topic: 'timer-restart', queueId: q, queueOffset: offset, maxMsgNums: 32, sysFlag: 0x4, commitOffset: 0,
          suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG',
        }));
        if (r.code !== ResponseCode.SUCCESS) break;
        const msgs = decodeStoredMessages(r.body!);
        for (const m of msgs) {
          const key = m.properties.get('KEYS')!;
          const due = Number(key.split('@')[1]);
          expect(m.storeTimestamp, `${key} stored at ${m.storeTimestamp}, before it was due`).toBeGreaterThanOrEqual(due);
          seen.add(key);
        }
        offset = Number(r.extFields!.nextBeginOffset);
      }
    }
    await raw.close();
    await admin.shutdown();
    expect(seen.size).toBe(TOTAL);
  });
});
