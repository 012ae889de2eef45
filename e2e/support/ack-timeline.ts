/**
 * The ack count of a producer sampled over time ("<ms> <count>" lines): where writes stalled. The kill command's
 * own time is not the crash's (the runtime takes a moment to deliver SIGKILL), so the outage is read from the acks.
 */

export interface AckGap {
  /** Time of the last ack before the longest stall, and of the first after it (ms since the epoch). */
  lastBefore: number;
  firstAfter: number;
  /** Acks counted after the stall ended. */
  acksAfter: number;
}

/** The longest stretch without a new ack that ends after `from`. */
export function longestAckGap(timeline: string, from: number): AckGap | undefined {
  const samples = timeline.split('\n').filter(Boolean).map((l) => l.split(' ').map(Number) as [number, number]);
  const final = samples[samples.length - 1]?.[1] ?? 0;
  const increases = samples.filter(([, n], i) => i > 0 && n > samples[i - 1]![1]);
  let best: AckGap | undefined;
  for (let i = 1; i < increases.length; i++) {
    const [a, b] = [increases[i - 1]!, increases[i]!];
    if (b[0] > from && (!best || b[0] - a[0] > best.firstAfter - best.lastBefore)) best = { lastBefore: a[0], firstAfter: b[0], acksAfter: final - b[1] };
  }
  return best;
}
