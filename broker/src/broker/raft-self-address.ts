/**
 * Before a Raft member listens on its own peer address: in Kubernetes that address is the pod's stable DNS name,
 * which resolves only once the pod's address is published, and may still give a replaced pod's address for a few
 * seconds. The member waits (bounded) until the name resolves to an address of this machine, rather than failing
 * its start on a race it cannot lose for long.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import type { Logger } from '../logging/logger.ts';

/** Resolves when `host` names this machine; after `timeoutMs` it resolves anyway, and listening reports the error. */
export async function awaitOwnAddress(host: string, timeoutMs: number, log: Logger, pollMs = 500): Promise<void> {
  if (net.isIP(host)) return;
  const deadline = performance.now() + timeoutMs;
  let said = false;
  for (;;) {
    const local = new Set(Object.values(os.networkInterfaces()).flat().map((i) => i!.address));
    let seen = 'no address';
    try {
      const found = (await dns.lookup(host, { all: true })).map((a) => a.address);
      if (found.some((a) => local.has(a))) return;
      seen = found.join(', ');
    } catch (err) {
      seen = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    if (performance.now() >= deadline) {
      log.warn(`own Raft peer address ${host} still resolves to ${seen}, not to this machine; listening anyway`);
      return;
    }
    if (!said) log.info(`waiting for own Raft peer address ${host} to resolve to this machine (now: ${seen})`);
    said = true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
