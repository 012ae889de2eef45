import net from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { HaMaster } from '../../src/ha/ha-master.ts';
import { HaSlave } from '../../src/ha/ha-slave.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { message, useStores } from '../store/store-fixtures.ts';

const log = createLogger('test');
const store = useStores();
const closers: (() => void)[] = [];
afterAll(() => {
  for (const close of closers) close();
});

/** A TCP peer that accepts and never says a word: a master that hangs, or a stale address that still answers. */
async function silentPeer(): Promise<{ address: string; connections: () => number }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => sockets.length };
}

it('a slave leaves a silent master after housekeepingMs, and follows the name server to a new master at once', async () => {
  const masterStore = await store(tempDir('tern-ha-m-'));
  const slaveStore = await store(tempDir('tern-ha-s-'));
  const master = new HaMaster(masterStore, {
    port: 0, host: '127.0.0.1', transferBatchSize: 32 * 1024, heartbeatIntervalMs: 200, housekeepingMs: 5000, maxGapNotInSync: 1 << 20,
  }, log);
  await master.start();
  closers.push(() => master.shutdown());
  for (let i = 0; i < 10; i++) await masterStore.putMessage(message('T', 0, `m${i}`));

  const silent = await silentPeer();
  let masterAddress = silent.address;
  const slave = new HaSlave(slaveStore, {
    masterHaAddress: () => masterAddress, reportIntervalMs: 200, reconnectDelayMs: 100, connectTimeoutMs: 3000,
    housekeepingMs: 600, maxFrameBody: 1 << 20, segmentSize: masterStore.config.mappedFileSizeCommitLog,
  }, log);
  slave.start();
  closers.push(() => slave.shutdown());

  // The silent peer never heartbeats: the slave drops it and tries again, rather than waiting on it forever.
  await waitFor('a second connection to the silent master', () => silent.connections() >= 2, 10_000);

  // The name server now names the real master: the slave goes there without waiting for the old one to fail.
  masterAddress = `127.0.0.1:${master.port}`;
  await waitFor('the slave to hold the master\'s log', () => slaveStore.getCommitLogMaxOffset() === masterStore.getCommitLogMaxOffset(), 10_000);
  expect(slave.masterAddress).toBe(masterAddress);
  // And a live master's heartbeats keep it there: still connected well past housekeepingMs.
  const connectionsBefore = silent.connections();
  await new Promise((r) => setTimeout(r, 1500)); // a window of time, asserted on afterwards: nothing to wait for
  expect(slave.masterAddress).toBe(masterAddress);
  expect(silent.connections()).toBe(connectionsBefore);
}, 30_000);
