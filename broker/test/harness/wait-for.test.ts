import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/harness/free-port.ts';
import { WaitAbandoned, waitFor, waitForPort } from '../../src/harness/wait-for.ts';

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false, after errors and misses', async () => {
    let calls = 0;
    const got = await waitFor('the third call', () => {
      calls++;
      if (calls === 1) throw new Error('not up yet');
      return calls === 3 ? { calls } : false;
    }, 5000, 1);
    expect(got).toEqual({ calls: 3 });
  });

  it('times out naming what it waited for and the last thing the check noted', async () => {
    let n = 0;
    await expect(waitFor('the answer', (note) => { note(`saw ${++n}`); return false; }, 50, 5))
      .rejects.toThrow(new RegExp(`^timed out after 50 ms waiting for the answer; last seen: saw ${'\\d+'}$`));
  });

  it('reports the last error when the check was failing at the deadline', async () => {
    await expect(waitFor('a server', () => { throw new Error('ECONNREFUSED'); }, 30, 5))
      .rejects.toThrow('timed out after 30 ms waiting for a server; last error: ECONNREFUSED');
  });

  it('stops at once on WaitAbandoned', async () => {
    const started = Date.now();
    await expect(waitFor('a process', () => { throw new WaitAbandoned('it exited with code 1'); }, 10_000, 5))
      .rejects.toThrow('it exited with code 1');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('waitForPort', () => {
  it('returns once a server listens on the port, and gives up when told the server died', async () => {
    const port = await freePort();
    const server = net.createServer();
    setTimeout(() => server.listen(port, '127.0.0.1'), 100);
    await waitForPort(port, 10_000);
    server.close();
    await expect(waitForPort(await freePort(), 10_000, () => 'the server exited')).rejects.toThrow('the server exited');
  });
});
