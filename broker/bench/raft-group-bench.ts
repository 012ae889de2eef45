/**
 * make bench-raft-group: a 3-member RaftGroup on 127.0.0.1 (all members in this one process, file-backed
 * stores in a temp folder, one fdatasync per Ready unless --no-sync): proposals/s of --size byte entries
 * until committed on the leader and handed over on every member; then --stops leader stops, each timed to
 * the moment the two others agree on a new leader (p50 and max), the stopped member restarted in between.
 *   node bench/raft-group-bench.ts [--count N] [--size BYTES] [--window W] [--stops K] [--no-sync]
 */
import { parseArgs } from 'node:util';
import { LocalRaftCluster } from '../src/harness/local-raft-cluster.ts';
import { removeTempDirs } from '../src/harness/temp-dir.ts';

const { values } = parseArgs({ options: {
  count: { type: 'string', default: '50000' }, size: { type: 'string', default: '1024' }, window: { type: 'string', default: '4096' },
  stops: { type: 'string', default: '10' }, 'no-sync': { type: 'boolean', default: false },
} });
const count = Number(values.count);
const size = Number(values.size);
const window = Number(values.window);

const cluster = await LocalRaftCluster.create(3, {}, { syncOnSync: !values['no-sync'] });
try {
  await cluster.startAll();
  let leader = await cluster.waitForLeader();
  const payload = Buffer.alloc(size, 0x61);
  const start = performance.now();
  let proposed = 0;
  let last = 0;
  const lead = cluster.member(leader);
  while (proposed < count) {
    // At most `window` proposals ahead of what the leader has seen committed.
    while (proposed < count && last - lead.applied.length < window) {
      const r = cluster.group(leader).propose(payload);
      if (!r.ok) throw new Error(`proposal refused: ${r.reason}`);
      last = r.index;
      proposed++;
      if (proposed % 256 === 0) break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (lead.applied.length < last) await new Promise((resolve) => setTimeout(resolve, 1));
  const committedMs = performance.now() - start;
  await cluster.waitForApplied(last, 120_000);
  const everywhereMs = performance.now() - start;
  console.log(`raft group bench: ${count} x ${size} B, window ${window}, ${values['no-sync'] ? 'no fsync' : 'fdatasync per Ready'}`);
  console.log(`  committed on the leader: ${(count / (committedMs / 1000)).toFixed(0)} proposals/s (${(count * size / committedMs / 1024).toFixed(1)} MiB/s), ${committedMs.toFixed(0)} ms`);
  console.log(`  handed over on all 3:    ${(count / (everywhereMs / 1000)).toFixed(0)} proposals/s, ${everywhereMs.toFixed(0)} ms`);

  const times: number[] = [];
  for (let i = 0; i < Number(values.stops); i++) {
    const stoppedAt = performance.now();
    await cluster.stop(leader);
    const next = await cluster.waitForLeader(15_000, 5);
    times.push(performance.now() - stoppedAt);
    await cluster.start(leader);
    const r = cluster.group(next).propose(Buffer.from(`stop-${i}`));
    if (!r.ok) throw new Error(`proposal after stop ${i} refused: ${r.reason}`);
    await cluster.waitForApplied(r.index, 60_000);
    leader = next;
  }
  const sorted = [...times].sort((a, b) => a - b);
  if (times.length > 0) console.log(`  leader stop -> new leader agreed (${times.length} stops): p50 ${sorted[Math.floor((sorted.length - 1) / 2)]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms; all: ${times.map((t) => t.toFixed(0)).join(' ')}`);
} finally {
  await cluster.stopAll();
  removeTempDirs();
}
