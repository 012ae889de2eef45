import net from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { encodeReport } from '../../src/ha/ha-frames.ts';
import { HaMaster } from '../../src/ha/ha-master.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { message, useStores } from '../store/store-fixtures.ts';

const store = useStores();
const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

it('a connected slave counts as in sync only once it reports an offset within maxGapNotInSync of the master', async () => {
  const masterStore = await store(tempDir('tern-ha-sync-'));
  const master = new HaMaster(masterStore, {
    port: 0, host: '127.0.0.1', transferBatchSize: 32 * 1024, heartbeatIntervalMs: 200, housekeepingMs: 5000, maxGapNotInSync: 64,
  }, createLogger('test'));
  await master.start();
  closers.push(() => master.shutdown());
  for (let i = 0; i < 10; i++) await masterStore.putMessage(message('T', 0, `m${i}`));
  const max = masterStore.getCommitLogMaxOffset();
  expect(max).toBeGreaterThan(64);

  // A slave of our own making on a raw socket: it says what it holds, nothing else.
  const slave = net.connect(master.port, '127.0.0.1');
  slave.on('data', () => {});
  closers.push(() => slave.destroy());
  await new Promise<void>((r) => slave.once('connect', () => r()));
  slave.write(encodeReport(0));
  const behind = await waitFor('the slave connected', () => master.replicaInfo().find((r) => r.ackOffset === 0));
  expect(behind).toMatchObject({ lagBytes: max, inSync: false });
  expect(await master.waitForReplica(max, 100)).toBe('SLAVE_NOT_AVAILABLE');

  slave.write(encodeReport(max - 10));
  const close = await waitFor('the report of max - 10', () => master.replicaInfo().find((r) => r.ackOffset === max - 10));
  expect(close).toMatchObject({ lagBytes: 10, inSync: true });
});
