/** A Raft (DLedger-mode) broker group as real processes on 127.0.0.1, with its namesrv: what the Raft process tests share. */
import fs from 'node:fs';
import path from 'node:path';
import type { Admin } from '../../src/client/index.ts';
import { freePort } from '../../src/harness/free-port.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { spawnTern, waitForListening, type RunningProcess } from './processes.ts';

export interface RaftMember {
  name: string;
  port: number;
  conf: string;
  proc: RunningProcess | null;
}

export interface RaftGroupProcesses {
  dir: string;
  namesrvAddr: string;
  members: RaftMember[];
  /** (Re)starts a member with its broker.conf and waits until it listens. */
  start(m: RaftMember): Promise<void>;
}

/** Starts a namesrv and `size` members n0..n{size-1} of one group; every process goes into `running` for cleanup. */
export async function startRaftGroupProcesses(opts: {
  clusterName: string; brokerName: string; running: RunningProcess[]; size?: number; extraConf?: string[];
}): Promise<RaftGroupProcesses> {
  const dir = tempDir(`tern-raft-${opts.brokerName}-`);
  const nsPort = await freePort();
  const ns = spawnTern(['namesrv', '-p', String(nsPort)]);
  opts.running.push(ns);
  await waitForListening(ns, nsPort);
  const namesrvAddr = `127.0.0.1:${nsPort}`;
  const names = Array.from({ length: opts.size ?? 3 }, (_, i) => `n${i}`);
  const raftPorts = await Promise.all(names.map(() => freePort()));
  const peers = names.map((n, i) => `${n}-127.0.0.1:${raftPorts[i]}`).join(';');
  const members: RaftMember[] = [];
  for (const name of names) {
    const port = await freePort();
    const conf = path.join(dir, `${name}.conf`);
    fs.writeFileSync(conf, [
      `brokerClusterName=${opts.clusterName}`, `brokerName=${opts.brokerName}`, `listenPort=${port}`, `namesrvAddr=${namesrvAddr}`,
      `storePathRootDir=${dir}/store-${name}`, 'brokerIP1=127.0.0.1', 'registerNameServerPeriod=2000',
      'enableDLegerCommitLog=true', `dLegerGroup=${opts.brokerName}`, `dLegerPeers=${peers}`, `dLegerSelfId=${name}`,
      ...(opts.extraConf ?? []),
    ].join('\n'));
    members.push({ name, port, conf, proc: null });
  }
  const start = async (m: RaftMember) => {
    m.proc = spawnTern(['broker', '-c', m.conf]);
    opts.running.push(m.proc);
    await waitForListening(m.proc, m.port);
  };
  await Promise.all(members.map(start));
  return { dir, namesrvAddr, members, start };
}

/** The address the namesrv routes writes of `brokerName` to (brokerId 0), or undefined. */
export async function raftMasterAddr(admin: Admin, brokerName: string): Promise<string | undefined> {
  const info = await admin.clusterInfo();
  return info.brokerAddrTable[brokerName]?.brokerAddrs['0'];
}
