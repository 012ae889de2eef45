import { describe, expect, it } from 'vitest';
import { awaitOwnAddress } from '../../src/broker/raft-self-address.ts';
import { capturedLog } from '../support/captured-log.ts';

describe('awaitOwnAddress', () => {
  it('goes on at once for an IP literal and for a name of this machine', async () => {
    const { log, lines } = capturedLog();
    const t0 = performance.now();
    await awaitOwnAddress('127.0.0.1', 5000, log);
    await awaitOwnAddress('localhost', 5000, log);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(lines).toEqual([]);
  });

  it('waits for a name that does not resolve (yet), says so once, and goes on with a warning at the deadline', async () => {
    const { log, lines } = capturedLog();
    const t0 = performance.now();
    await awaitOwnAddress('tern-no-such-host.invalid', 600, log, 100);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(600);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', expect.stringMatching(/^waiting for own Raft peer address tern-no-such-host.invalid to resolve to this machine \(now: \w+\)$/)],
      ['warn', expect.stringMatching(/^own Raft peer address tern-no-such-host.invalid still resolves to \w+, not to this machine; listening anyway$/)],
    ]);
  });
});
