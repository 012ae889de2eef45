import { describe, expect, it } from 'vitest';
import { SimulatedCluster } from './simulated-cluster.ts';

/**
 * Many seeded runs of 3 and 5 nodes under loss, duplication, reordering, partitions (both ways and one
 * way), slow disks and crashes that lose unsynced entries; SimulatedCluster asserts the safety
 * properties after every step. Then the faults stop and a leader must be elected and a proposal commit
 * on every node within a bounded number of ticks.
 * RAFT_SIM_SEEDS=N runs N seeds per size (`make raft-sim SEEDS=N`); RAFT_SIM_SEED=S with RAFT_SIM_SIZE replays one run.
 */
function chaos(size: number, seed: number, rounds: number): SimulatedCluster {
  const c = new SimulatedCluster(size, seed, { maxEntriesPerAppend: 8, maxInflight: 4 });
  const rng = c.rng.fork('chaos');
  c.faults = { loss: 0.1, duplicate: 0.05, maxDelay: 4, slowDisk: 0.4 };
  let proposals = 0;
  for (let i = 0; i < rounds; i++) {
    c.round();
    const r = rng.next();
    const down = c.ids.filter((id) => !c.alive(id));
    if (r < 0.01) c.crash(rng.pick(c.ids));
    else if (r < 0.03 && down.length > 0) c.restart(rng.pick(down));
    else if (r < 0.04) c.partition(c.ids.filter(() => rng.chance(0.5)));
    else if (r < 0.045) c.block(rng.pick(c.ids), rng.pick(c.ids));
    else if (r < 0.06) c.heal();
    else if (r < 0.065) {
      const leader = c.leader();
      const to = rng.pick(c.ids);
      if (leader && c.alive(to)) c.transfer(leader.id, to);
    }
    if (rng.chance(0.3)) {
      const leader = c.leader();
      if (leader) c.propose(leader.id, `s${seed}-p${proposals++}`);
    }
  }
  return c;
}

/** Like a client, re-proposes when a proposal is lost with a deposed leader; returns the ticks until one applied everywhere. */
function healAndCommit(c: SimulatedCluster): number {
  c.faults = { loss: 0, maxDelay: 1, slowDisk: 0 };
  c.heal();
  for (const id of c.ids) c.restart(id);
  const electionTicks = 10;
  let attempt = 0;
  let pending: { key: string; index: number; at: number } | null = null;
  const appliedEverywhere = (p: { key: string; index: number }): boolean =>
    c.ids.every((id) => c.nodes.get(id)!.applied.at(p.index - 1) === p.key);
  return c.until(() => {
    if (pending && appliedEverywhere(pending)) return true;
    const leader = c.leader();
    if (leader && (pending === null || c.now - pending.at > 2 * electionTicks)) {
      const key = `after-heal-${attempt++}`;
      const r = c.propose(leader.id, key);
      if (r.ok) pending = { key, index: r.index, at: c.now };
    }
    return false;
  }, 12 * electionTicks, 'a leader after healing, and a proposal applied on every node');
}

const seedsPerSize = Number(process.env.RAFT_SIM_SEEDS ?? 100);
const replay = process.env.RAFT_SIM_SEED === undefined ? undefined : Number(process.env.RAFT_SIM_SEED);
const sizes = process.env.RAFT_SIM_SIZE === undefined ? [3, 5] : [Number(process.env.RAFT_SIM_SIZE)];

describe('raft simulation', () => {
  for (const size of sizes) {
    const seeds = replay !== undefined ? [replay] : Array.from({ length: seedsPerSize }, (_, i) => (i + 1) * 7919 + size);
    it(`${size} nodes: safety under faults, liveness after healing (${seeds.length} seeds)`, () => {
      let committed = 0;
      let worstTicks = 0;
      for (const clusterSeed of seeds) {
        try {
          const c = chaos(size, clusterSeed, 800);
          worstTicks = Math.max(worstTicks, healAndCommit(c));
          committed += c.committed.size;
        } catch (e) {
          // The core's own assertions do not know the seed.
          if (e instanceof Error) e.message = `${e.message}\nreplay: make raft-sim SEED=${clusterSeed} SIZE=${size}`;
          throw e;
        }
      }
      // The faults must leave room for progress, or the safety checks above prove little.
      if (replay === undefined) expect(committed).toBeGreaterThan(seeds.length * 20);
      console.log(`raft simulation ${size} nodes: ${committed} entries committed over ${seeds.length} seeds; worst healing ${worstTicks} ticks`);
    });
  }
});
