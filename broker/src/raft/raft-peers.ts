import type { NodeId } from './raft-messages.ts';

/** One member of a Raft group, from RocketMQ's dLegerPeers: name n<k> is core id k + 1. */
export interface RaftPeer {
  id: NodeId;
  name: string;
  host: string;
  port: number;
}

const PEER = /^n(\d{1,6})-(\[[0-9a-fA-F:.]+\]|[^\s:;[\]]+):(\d{1,5})$/;

/**
 * Parses `n0-host:port;n1-host:port;...` (RocketMQ's dLegerPeers syntax; one trailing `;` allowed, as Java's split
 * drops it); throws a message a person can act on, naming the key.
 */
export function parseRaftPeers(text: string): RaftPeer[] {
  const parts = text.split(';').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`dLegerPeers "${text}" is empty; expected n0-host:port;n1-host:port;...`);
  const peers: RaftPeer[] = [];
  for (const part of parts) {
    const m = PEER.exec(part);
    if (!m) throw new Error(`dLegerPeers has "${part}", expected n<k>-host:port (e.g. n0-broker-a-0:40911)`);
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw new Error(`dLegerPeers has "${part}" with port ${port} outside 1..65535`);
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    const peer = { id: Number(m[1]) + 1, name: `n${Number(m[1])}`, host, port };
    const clash = peers.find((p) => p.id === peer.id || (p.host === peer.host && p.port === peer.port));
    if (clash) throw new Error(`dLegerPeers repeats ${clash.id === peer.id ? `the id ${clash.name}` : `the address of ${clash.name}`} in "${part}"`);
    peers.push(peer);
  }
  return peers;
}

/** The core id of a dLegerSelfId such as n1; throws unless it is one of the peers. */
export function raftSelfId(selfName: string, peers: readonly RaftPeer[]): NodeId {
  const self = peers.find((p) => p.name === selfName.trim());
  if (!self) throw new Error(`dLegerSelfId "${selfName}" is not among the ids of dLegerPeers (${peers.map((p) => p.name).join(', ')})`);
  return self.id;
}
