import { acceptsConnections } from './free-port.ts';

/** Thrown by a check to stop waiting at once (a process died): waitFor rethrows it instead of polling on. */
export class WaitAbandoned extends Error {}

/** Lets a check record what it saw, so that a timeout can say where things stood. */
export type Note = (seen: string) => void;

/**
 * Polls `check` every intervalMs until it returns something other than undefined or false, and returns that.
 * An error thrown by the check counts as "not yet" (a server still starting), except WaitAbandoned.
 * On timeout the error names `what` and the last note or error the check left.
 * Deadlines run on the monotonic clock: a wall-clock step (seen on these VMs: +30 s) must not end a wait early.
 */
export async function waitFor<T>(
  what: string,
  check: (note: Note) => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let seen = '';
  const note: Note = (s) => { seen = s; };
  for (;;) {
    let lastError: unknown;
    try {
      const value = await check(note);
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      if (err instanceof WaitAbandoned) throw err;
      lastError = err;
    }
    if (performance.now() >= deadline) {
      const last = lastError !== undefined ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
        : seen ? `; last seen: ${seen}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until 127.0.0.1:port accepts connections; `died` may name a reason to give up early (the server exited). */
export async function waitForPort(port: number, timeoutMs = 15_000, died?: () => string | undefined): Promise<void> {
  await waitFor(`port ${port} to accept connections`, async () => {
    const why = died?.();
    if (why) throw new WaitAbandoned(why);
    return acceptsConnections(port);
  }, timeoutMs);
}
