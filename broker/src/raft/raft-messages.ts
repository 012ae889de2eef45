/** Messages and persistent state of the Raft core (raft-core.ts). Plain data: a transport encodes them. */

export type NodeId = number;
/** No node: no vote cast, no leader known. */
export const NONE: NodeId = 0;

export interface Entry {
  term: number;
  index: number;
  /** null is the no-op a new leader appends so that entries of earlier terms can commit (section 5.4.2). */
  data: Uint8Array | null;
}

/** What must be on disk before any message of the same Ready is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

interface Envelope {
  from: NodeId;
  to: NodeId;
  term: number;
}

export interface VoteRequest extends Envelope {
  type: 'preVote' | 'vote';
  lastIndex: number;
  lastTerm: number;
  /** Set by a leader transfer: the voter's lease must not block it. */
  transfer: boolean;
}

export interface VoteResponse extends Envelope {
  type: 'preVoteResp' | 'voteResp';
  reject: boolean;
}

export interface AppendRequest extends Envelope {
  type: 'append';
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
}

export interface AppendResponse extends Envelope {
  type: 'appendResp';
  reject: boolean;
  /** Accepted: the follower's last index matching the leader. Rejected: the prevIndex that did not match. */
  index: number;
  /** On reject: the follower's largest index <= index whose term is <= the leader's prevTerm, and that term. */
  hintIndex: number;
  hintTerm: number;
}

export interface Heartbeat extends Envelope {
  type: 'heartbeat';
  commit: number;
}

export interface HeartbeatResponse extends Envelope {
  type: 'heartbeatResp';
}

/** Leader transfer: the target campaigns at once, skipping pre-vote. */
export interface TimeoutNow extends Envelope {
  type: 'timeoutNow';
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | TimeoutNow;
