/**
 * "Has the slave caught up?" — asked before the operator restarts a master; "can the SYNC_MASTER take writes?" —
 * asked before a group counts as Ready. Behind an interface so that a
 * Raft group or a richer HA status can answer differently. This one compares commitLogMaxOffset from
 * GET_BROKER_RUNTIME_INFO of the master and of each slave (a slave's CommitLog is the master's, replicated
 * byte for byte). A broker that cannot be asked counts as not caught up: the master then waits.
 */
import type { ClusterAdmin } from './broker-admin.ts';

export interface CatchUpVerdict {
  caughtUp: boolean;
  detail: string;
}

export interface WritableVerdict {
  writable: boolean;
  detail: string;
}

export interface ReplicaProgressProbe {
  /** Whether every slave holds (nearly) everything the master holds. */
  slavesCaughtUp(admin: ClusterAdmin, masterAddr: string, slaveAddrs: string[]): Promise<CatchUpVerdict>;
  /** Whether a SYNC_MASTER acknowledges sends: at least one slave connected and in sync (else SLAVE_NOT_AVAILABLE). */
  syncMasterWritable(admin: ClusterAdmin, masterAddr: string): Promise<WritableVerdict>;
}

export class RuntimeInfoCatchUpProbe implements ReplicaProgressProbe {
  private readonly maxLagBytes: number;

  /** maxLagBytes: how far behind (CommitLog bytes) a slave may be and still count as caught up. */
  constructor(maxLagBytes = 0) {
    this.maxLagBytes = maxLagBytes;
  }

  async slavesCaughtUp(admin: ClusterAdmin, masterAddr: string, slaveAddrs: string[]): Promise<CatchUpVerdict> {
    if (slaveAddrs.length === 0) return { caughtUp: true, detail: 'no slaves' };
    const offset = async (addr: string): Promise<number | string> => {
      try {
        const v = Number((await admin.runtimeInfo(addr)).commitLogMaxOffset);
        return Number.isFinite(v) ? v : `${addr} reports no commitLogMaxOffset`;
      } catch (err) {
        return `cannot ask ${addr}: ${(err as Error).message}`;
      }
    };
    const master = await offset(masterAddr);
    if (typeof master === 'string') return { caughtUp: false, detail: `master: ${master}` };
    for (const addr of slaveAddrs) {
      const slave = await offset(addr);
      if (typeof slave === 'string') return { caughtUp: false, detail: `slave: ${slave}` };
      if (master - slave > this.maxLagBytes) {
        return { caughtUp: false, detail: `slave ${addr} is ${master - slave} bytes behind the master (${slave} < ${master})` };
      }
    }
    return { caughtUp: true, detail: `slaves at the master's offset ${master}` };
  }

  /** From inSyncSlaveNums (the slaves within haMaxGapNotInSync that a SYNC_MASTER waits for) of the master's runtime info. */
  async syncMasterWritable(admin: ClusterAdmin, masterAddr: string): Promise<WritableVerdict> {
    let info: Record<string, string>;
    try {
      info = await admin.runtimeInfo(masterAddr);
    } catch (err) {
      return { writable: false, detail: `cannot ask the master ${masterAddr}: ${(err as Error).message}` };
    }
    if (info.inSyncSlaveNums === undefined) return { writable: false, detail: `the master ${masterAddr} reports no inSyncSlaveNums` };
    const inSync = Number(info.inSyncSlaveNums);
    const figures = `haConnectedSlaves ${info.haConnectedSlaves ?? 0}, inSyncSlaveNums ${inSync}, slave lag ${info.haSlaveLagBytes ?? 0} bytes`;
    return inSync >= 1 ? { writable: true, detail: figures } : { writable: false, detail: figures };
  }
}
