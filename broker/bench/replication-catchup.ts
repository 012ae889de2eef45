/**
 * make bench-replication-catchup SIZE_MB=1024: a slave is stopped, SIZE_MB of messages are written to its master,
 * the slave restarts and catches up from its own offset; prints the catch-up time and rate and checks that the
 * two CommitLogs are byte-identical (sha256 per segment).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerController } from '../src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../src/broker/broker-config.ts';
import { Producer } from '../src/client/index.ts';
import { tempDir } from '../src/harness/temp-dir.ts';
import { waitFor } from '../src/harness/wait-for.ts';
import { createLogger } from '../src/logging/logger.ts';
import { NamesrvController } from '../src/namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig } from '../src/namesrv/namesrv-config.ts';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1024' }, 'segment-mb': { type: 'string', default: '1024' } } });
const sizeBytes = Number(values['size-mb']) * 1024 * 1024;

const dir = tempDir('tern-catchup-');

function digest(store: string, end: number): string {
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(store).filter((f) => Number(f) < end).sort()) {
    const fd = fs.openSync(path.join(store, f), 'r');
    const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
    let pos = 0;
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) h.update(buf.subarray(0, n));
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

const namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: 0, bindAddress: '127.0.0.1' }, createLogger('namesrv'));
await namesrv.start();
const base: BrokerConfig = {
  ...defaultBrokerConfig(), brokerName: 'catchup', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0,
  namesrvAddr: `127.0.0.1:${namesrv.port}`, registerNameServerPeriod: 1000, flushIntervalCommitLog: 500,
  mappedFileSizeCommitLog: Number(values['segment-mb']) * 1024 * 1024,
};
const master = new BrokerController({ ...base, brokerRole: 'ASYNC_MASTER', storePathRootDir: path.join(dir, 'master') }, createLogger('master'));
await master.start();
const slaveConfig: BrokerConfig = { ...base, brokerId: 1, brokerRole: 'SLAVE', storePathRootDir: path.join(dir, 'slave') };
let slave = new BrokerController(slaveConfig, createLogger('slave'));
await slave.start();
await waitFor('the slave to connect', () => (master.context.haMaster?.replicaInfo().length ?? 0) > 0, 20_000);
await slave.shutdown();

const producer = new Producer({ namesrvAddr: base.namesrvAddr, group: 'catchup' });
await producer.start();
const body = Buffer.alloc(16 * 1024, 7);
const t0 = Date.now();
const batch = Array.from({ length: 16 }, () => ({ topic: 'catchup-topic', body }));
while (master.context.store.getCommitLogMaxOffset() < sizeBytes) {
  await Promise.all(Array.from({ length: 8 }, () => producer.sendBatch(batch)));
}
const written = master.context.store.getCommitLogMaxOffset();
const writeSeconds = (Date.now() - t0) / 1000;
await producer.shutdown();

const t1 = Date.now();
slave = new BrokerController(slaveConfig, createLogger('slave'));
await slave.start();
await waitFor('the slave to catch up', () => slave.context.store.getCommitLogMaxOffset() >= written, 30 * 60_000);
const catchupSeconds = (Date.now() - t1) / 1000;
const same = digest(path.join(dir, 'master', 'commitlog'), written) === digest(path.join(dir, 'slave', 'commitlog'), written);
await slave.shutdown();
await master.shutdown();
await namesrv.shutdown();
fs.rmSync(dir, { recursive: true, force: true });

const mib = written / 1024 / 1024;
console.log(`written while the slave was down: ${mib.toFixed(0)} MiB in ${writeSeconds.toFixed(1)} s (${(mib / writeSeconds).toFixed(0)} MiB/s)`);
console.log(`slave catch-up from its own offset: ${catchupSeconds.toFixed(1)} s (${(mib / catchupSeconds).toFixed(0)} MiB/s)`);
console.log(`CommitLogs byte-identical (sha256): ${same ? 'yes' : 'NO'}`);
if (!same) process.exitCode = 1;

