/**
 * Queue allocation strategies of a consumer group. Every member computes its own share from the same
 * sorted inputs, so the shares fit together without any coordination.
 */

/**
 * RocketMQ's AllocateMessageQueueAveragely: consecutive blocks, the first `|queues| mod |consumers|`
 * members get one extra queue. `queues` and `consumerIds` must already be sorted; returns [] when
 * `consumerId` is not in the list (the broker has not seen our heartbeat yet).
 */
export function allocateAveragely<Q>(consumerId: string, queues: readonly Q[], consumerIds: readonly string[]): Q[] {
  const index = consumerIds.indexOf(consumerId);
  if (index < 0 || queues.length === 0) return [];
  const n = queues.length;
  const c = consumerIds.length;
  const mod = n % c;
  const bigger = mod > 0 && index < mod;
  const size = n <= c ? 1 : bigger ? Math.floor(n / c) + 1 : Math.floor(n / c);
  const start = bigger ? index * size : index * size + mod;
  const take = Math.min(size, n - start);
  const out: Q[] = [];
  for (let i = 0; i < take; i++) out.push(queues[(start + i) % n]!);
  return out;
}

/** RocketMQ's AllocateMessageQueueAveragelyByCircle: queue i goes to member i mod |consumers|. */
export function allocateByCircle<Q>(consumerId: string, queues: readonly Q[], consumerIds: readonly string[]): Q[] {
  const index = consumerIds.indexOf(consumerId);
  if (index < 0) return [];
  return queues.filter((_, i) => i % consumerIds.length === index);
}

export type AllocateStrategy = <Q>(consumerId: string, queues: readonly Q[], consumerIds: readonly string[]) => Q[];
