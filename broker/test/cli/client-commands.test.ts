import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { BROKER_ROOT, NODE } from '../support/processes.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const TERN_BIN = path.join(BROKER_ROOT, 'bin/tern.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/tern.mjs as a child process and collects its output. */
function tern(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [TERN_BIN, ...args], { cwd: BROKER_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tern ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let cluster: LocalCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startLocalCluster();
  dir = tempDir('tern-cli-');
});

afterAll(async () => {
  await cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('tern produce / consume / admin', () => {
  it('produces with an ack log and consumes exactly the acknowledged keys', async () => {
    const ns = cluster.namesrvAddr;
    const created = await tern(['admin', 'updateTopic', '-n', ns, '-c', 'DefaultCluster', '-t', 'cli-roundtrip', '-r', '4', '-w', '4']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/cli-roundtrip\s+127\.0\.0\.1:\d+\s+4\s+4\s+RW-/);
    await waitFor('tern admin topicRoute to list broker-a', async () =>
      (await tern(['admin', 'topicRoute', '-n', ns, '-t', 'cli-roundtrip'])).stdout.includes('broker-a'), 10_000, 0);

    const ackLog = path.join(dir, 'acks.log');
    const asyncRun = await tern(['produce', '-n', ns, '-t', 'cli-roundtrip', '--count', '3000', '--size', '200', '--async', '--ack-log', ackLog, '--key-prefix', 'a']);
    expect(asyncRun.code).toBe(0);
    expect(asyncRun.stdout).toMatch(/MESSAGES/);
    expect(asyncRun.stdout).toMatch(/async\s+3000\s+0\s/);
    const batchRun = await tern(['produce', '-n', ns, '-t', 'cli-roundtrip', '--count', '500', '--batch', '25', '--tag', 'B', '--ack-log', ackLog, '--key-prefix', 'b']);
    expect(batchRun.code).toBe(0);

    const acks = fs.readFileSync(ackLog, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(acks).toHaveLength(3500);
    expect(new Set(acks.map(([id]) => id)).size).toBe(3500);
    const ackedKeys = acks.map(([, key]) => key!).sort();

    const consumed = await tern(['consume', '-n', ns, '-t', 'cli-roundtrip', '-g', 'cli-group', '--from', 'first', '--count', '3500', '--print', 'keys']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(ackedKeys);
    expect(consumed.stderr).toMatch(/store-to-consume p50 ms/);

    // The group committed its offsets: a second run finds nothing new and leaves when idle.
    const again = await tern(['consume', '-n', ns, '-t', 'cli-roundtrip', '-g', 'cli-group', '--from', 'first', '--idle-exit', '1', '--print', 'keys']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/nothing arrived for 1 s/);

    const progress = await tern(['admin', 'consumerProgress', '-n', ns, '-g', 'cli-group', '-t', 'cli-roundtrip']);
    expect(progress.stdout).toMatch(/total lag: 0/);
  });

  it('paces sends with --rate so traffic lasts count/rate seconds', async () => {
    const ackLog = path.join(dir, 'rate-acks.log');
    const t0 = Date.now();
    const run = await tern(['produce', '-n', cluster.namesrvAddr, '-t', 'cli-rate', '--count', '40', '--rate', '20', '--ack-log', ackLog]);
    const elapsed = Date.now() - t0;
    expect(run.code).toBe(0);
    expect(fs.readFileSync(ackLog, 'utf8').trim().split('\n')).toHaveLength(40);
    // the 40th message is due 39/20 s after the first: a lower bound, whatever the machine's speed
    expect(elapsed).toBeGreaterThanOrEqual(1950);
    const bad = await tern(['produce', '-t', 'T', '--rate', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('tern: --rate wants an integer >= 1, got "0" (see tern help)');
  });

  it('exits 3 when sends were stored but not SEND_OK, keeps them out of the ack log, and --allow-unacked relaxes it', async () => {
    const sync = await startLocalCluster({ brokerRole: 'SYNC_MASTER' }); // no slave: SLAVE_NOT_AVAILABLE
    try {
      const ackLog = path.join(dir, 'no-slave-acks.log');
      const r = await tern(['produce', '-n', sync.namesrvAddr, '-t', 'cli-no-slave', '--count', '5', '--ack-log', ackLog]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('tern: 5 message(s) stored but answered SLAVE_NOT_AVAILABLE, so not in the ack log');
      expect(r.stderr).toContain('tern: 5 of 5 message(s) not acknowledged (0 not sent, 5 stored but not SEND_OK)\n');
      expect(fs.readFileSync(ackLog, 'utf8')).toBe('');

      const allowed = await tern(['produce', '-n', sync.namesrvAddr, '-t', 'cli-no-slave', '--count', '3', '--allow-unacked']);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stderr).toContain('tern: 3 of 3 message(s) not acknowledged (0 not sent, 3 stored but not SEND_OK); allowed by --allow-unacked');
    } finally {
      await sync.stop();
    }
  });

  it('exits 3 when sends fail, and says how many and why', async () => {
    // one byte over the producer's 4 MiB limit: every send is refused before it leaves
    const r = await tern(['produce', '-n', cluster.namesrvAddr, '-t', 'cli-too-big', '--count', '2', '--size', String(4 * 1024 * 1024 + 1)]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/tern: 2 message\(s\) not sent: the message body is \d+ bytes, more than the 4194304 allowed/);
    expect(r.stderr).toContain('tern: 2 of 2 message(s) not acknowledged (2 not sent, 0 stored but not SEND_OK)\n');
    expect(r.stdout).toMatch(/^\s*sync\s+0\s+2\s/m);
  });

  it('exits 130 when interrupted with every sent message acknowledged', async () => {
    const child = spawn(NODE, [TERN_BIN, 'produce', '-n', cluster.namesrvAddr, '-t', 'cli-interrupt', '--count', '100000', '--rate', '50'],
      { cwd: BROKER_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await new Promise((r) => setTimeout(r, 2000));
    child.kill('SIGINT');
    expect(await code, stderr).toBe(130);
    expect(stderr).toMatch(/tern: interrupted after \d+ of 100000 messages/);
    expect(stderr).not.toContain('not acknowledged');
  });

  it('shows the cluster and topics as tables', async () => {
    const ns = cluster.namesrvAddr;
    const list = await tern(['admin', 'clusterList', '-n', ns]);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+BROKER\s+BID\s+ADDRESS\s+VERSION/);
    expect(list.stdout).toMatch(/DefaultCluster\s+broker-a\s+0\s+127\.0\.0\.1:\d+/);
    const topics = await tern(['admin', 'topicList', '-n', ns]);
    expect(topics.stdout.split('\n')).toContain('TBW102');
  });

  it('fails with one clear line and a non-zero code', async () => {
    const unreachable = await tern(['produce', '-n', '127.0.0.1:1', '-t', 'T', '--count', '1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toMatch(/^tern: no name server reachable \(127\.0\.0\.1:1\)/);
    noStack(unreachable.stderr);

    const unknownTopic = await tern(['consume', '-n', cluster.namesrvAddr, '-t', 'no-such-topic', '-g', 'g']);
    expect(unknownTopic.code).toBe(1);
    expect(unknownTopic.stderr.trim()).toBe('tern: topic no-such-topic does not exist');

    const badFlag = await tern(['produce', '-t', 'T', '--count', 'many']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr.trim()).toBe('tern: --count wants an integer >= 1, got "many" (see tern help)');

    const noGroup = await tern(['consume', '-t', 'T']);
    expect(noGroup.code).toBe(2);
    noStack(noGroup.stderr);

    const unknownCommand = await tern(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
  });
});
