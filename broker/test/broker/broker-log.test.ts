import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/harness/free-port.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { spawnTern, waitForListening, type RunningProcess } from '../support/processes.ts';

const running: RunningProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The JSON lines of a process's output (stderr is a pipe, so the logger writes JSON). */
function logLines(output: string): { level: string; component: string; msg: string }[] {
  // The last piece is '' or a line still on its way.
  return output.split('\n').slice(0, -1).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; component: string; msg: string });
}

describe("the broker's log (real process)", () => {
  it("carries the store's recovery summary and names both files when consumerOffset.json and its .bak are corrupt", async () => {
    const dir = tempDir('tern-broker-log-');
    dirs.push(dir);
    const store = path.join(dir, 'store');
    const brokerPort = await freePort();
    const conf = path.join(dir, 'broker.conf');
    // No name server listens at namesrvAddr: registering fails, and the broker serves anyway.
    fs.writeFileSync(conf, [
      'brokerName=broker-log', `listenPort=${brokerPort}`, `haListenPort=${await freePort()}`, `namesrvAddr=127.0.0.1:${await freePort()}`,
      `storePathRootDir=${store}`, 'brokerIP1=127.0.0.1', 'mappedFileSizeCommitLog=1048576',
    ].join('\n'));
    // A store left by a crash, with both copies of the consumer offsets damaged.
    fs.mkdirSync(path.join(store, 'config'), { recursive: true });
    fs.writeFileSync(path.join(store, 'abort'), '1');
    const offsets = path.join(store, 'config', 'consumerOffset.json');
    fs.writeFileSync(offsets, '{"offsetTable": {"t@g": {"0": 4');
    fs.writeFileSync(`${offsets}.bak`, '{"offsetTable"');

    const broker = spawnTern(['broker', '-c', conf], { TERN_LOG_LEVEL: 'info', TERN_LOG_FORMAT: '' });
    running.push(broker);
    await waitForListening(broker, brokerPort);
    // The last line of a start; the lines checked below were written to the same pipe before it.
    await new Promise<void>((resolve) => {
      const seen = () => broker.output().includes(' serving at ') && resolve();
      broker.child.stderr!.on('data', seen);
      seen();
    });
    broker.child.kill('SIGKILL');
    await broker.exited;

    const lines = logLines(broker.output());
    const recovery = lines.find((l) => l.msg.startsWith('recovered '));
    expect(recovery, broker.output()).toMatchObject({ level: 'warn', component: 'broker broker-log/store' });
    expect(recovery!.msg).toContain(`recovered ${store} after an abnormal shutdown`);
    const lost = lines.find((l) => l.level === 'error' && l.msg.includes('consumerOffset.json'));
    expect(lost, broker.output()).toBeDefined();
    expect(lost!.msg).toContain(`neither ${offsets} (not valid JSON`);
    expect(lost!.msg).toContain(`nor ${offsets}.bak (not valid JSON`);
  });
});
