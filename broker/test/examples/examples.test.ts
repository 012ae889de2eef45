import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_ROOT, NODE } from '../support/processes.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

let cluster: LocalCluster | undefined;
let namesrvAddr: string;

// EXAMPLES_NAMESRV_ADDR runs the examples against another target instead, e.g. Apache RocketMQ started with
// scripts/apache-rocketmq.sh, to show the client is a RocketMQ client and not a Tern-only one.
beforeAll(async () => {
  const external = process.env.EXAMPLES_NAMESRV_ADDR;
  if (external) {
    namesrvAddr = external;
  } else {
    cluster = await startLocalCluster();
    namesrvAddr = cluster.namesrvAddr;
  }
});
afterAll(async () => {
  await cluster?.stop();
});

/** Runs an example as a user would (a real Node process, importing @tern/broker/client) and returns its output. */
function runExample(name: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, ['--disable-warning=ExperimentalWarning', path.join(BROKER_ROOT, 'examples', name)], {
      cwd: BROKER_ROOT, env: { ...process.env, NAMESRV_ADDR: namesrvAddr, TERN_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('examples under broker/examples run against a real broker', () => {
  it('ordered-messages.ts', async () => {
    const { code, out } = await runExample('ordered-messages.ts');
    expect(out).toContain('order-2: created -> paid -> shipped');
    expect(out).toContain('every order in order');
    expect(code).toBe(0);
  }, 90_000);

  it('transaction-producer.ts', async () => {
    const { code, out } = await runExample('transaction-producer.ts');
    expect(out).toMatch(/pay 50: COMMIT_MESSAGE/);
    expect(out).toMatch(/pay 5000: ROLLBACK_MESSAGE/);
    expect(code).toBe(0);
  }, 90_000);

  it('lite-pull-consumer.ts', async () => {
    const { code, out } = await runExample('lite-pull-consumer.ts');
    expect(out).toContain('polled: event 0, event 1, event 2, event 3, event 4');
    expect(out).toContain('after seek to 3: event 3, event 4');
    expect(out).toContain('committed offset: 5');
    expect(code).toBe(0);
  }, 90_000);

  it('pull-consumer.ts', async () => {
    const { code, out } = await runExample('pull-consumer.ts');
    expect(out.match(/^queue \d offset \d+: item \d \[(odd|even)\]$/gm)).toHaveLength(6);
    expect(out).toMatch(/queue 0: stored offset \d/);
    expect(code).toBe(0);
  }, 90_000);

  it('request-reply.ts', async () => {
    const { code, out } = await runExample('request-reply.ts');
    expect(out).toContain('reply: price of apples: 42');
    expect(code).toBe(0);
  }, 90_000);
});
