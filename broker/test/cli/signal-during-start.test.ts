import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../src/harness/free-port.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { spawnTern, waitForListening, type RunningProcess } from '../support/processes.ts';

const running: RunningProcess[] = [];
const silent: net.Server[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  for (const s of silent) s.close();
});

it('a SIGTERM while the broker is still starting stops it gracefully once started, not outright', async () => {
  // A name server that accepts and never answers holds the broker's start (its first registration) for ~6 s after
  // its port opens: a window in which the signal lands for sure.
  const held: net.Socket[] = [];
  const blackhole = net.createServer((s) => held.push(s));
  silent.push(blackhole);
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  const nsPort = (blackhole.address() as net.AddressInfo).port;
  const dir = tempDir();
  const brokerPort = await freePort();
  const conf = path.join(dir, 'broker.conf');
  fs.writeFileSync(conf, [
    'brokerName=broker-s', `listenPort=${brokerPort}`, `haListenPort=${await freePort()}`, `namesrvAddr=127.0.0.1:${nsPort}`,
    `storePathRootDir=${dir}/store`, 'brokerIP1=127.0.0.1', 'mappedFileSizeCommitLog=1048576',
  ].join('\n') + '\n');
  const broker = spawnTern(['broker', '-c', conf], { TERN_LOG_LEVEL: 'info' });
  running.push(broker);
  await waitForListening(broker, brokerPort);
  // Its first registration is on the wire and unanswered: the broker is still inside start().
  for (const deadline = Date.now() + 5000; held.length === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  expect(held.length).toBeGreaterThan(0);
  broker.child.kill('SIGTERM');
  expect(await broker.exited).toBe(0);
  expect(broker.output()).toMatch(/SIGTERM received while starting/);
  expect(fs.existsSync(path.join(dir, 'store', 'abort'))).toBe(false); // the store was shut down, not abandoned
  for (const s of held) s.destroy();
}, 60_000);
