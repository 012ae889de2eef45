import type { NodeId } from './raft-messages.ts';

/**
 * The leader's view of one follower. In 'probe' it sends one append and waits for the answer (the
 * follower's log position is unknown); in 'replicate' it streams appends optimistically, at most
 * maxInflight unacknowledged ones, so a slow follower cannot make the leader queue without bound.
 */
export class Progress {
  readonly id: NodeId;
  match = 0;
  next: number;
  state: 'probe' | 'replicate' = 'probe';
  /** In probe: an append is out and unanswered. */
  probeSent = false;
  /** In replicate: last index of each unacknowledged append, oldest first. */
  private inflight: number[] = [];
  /** Heard from within the current election timeout (check-quorum). */
  recentActive = false;
  private readonly maxInflight: number;

  constructor(id: NodeId, next: number, maxInflight: number) {
    this.id = id;
    this.next = next;
    this.maxInflight = maxInflight;
  }

  canSend(): boolean {
    return this.state === 'probe' ? !this.probeSent : this.inflight.length < this.maxInflight;
  }

  /** match when the previous heartbeat answer came in: no movement since means an append was lost. */
  private matchAtHeartbeat = -1;

  /** A heartbeat answered while the follower lags: true when nothing was acknowledged since the last one. */
  stalledSinceLastHeartbeat(): boolean {
    const stalled = this.match === this.matchAtHeartbeat;
    this.matchAtHeartbeat = this.match;
    return stalled;
  }

  /** An append ending at lastIndex went out (lastIndex = next - 1 for an empty probe). */
  sent(lastIndex: number, entryCount: number): void {
    if (this.state === 'probe') {
      this.probeSent = true;
    } else if (entryCount > 0) {
      this.inflight.push(lastIndex);
      this.next = lastIndex + 1;
    }
  }

  /** The follower holds everything up to index; returns false for a stale acknowledgement. */
  acknowledge(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    while (this.inflight.length > 0 && this.inflight[0]! <= index) this.inflight.shift();
    return true;
  }

  becomeProbe(): void {
    this.state = 'probe';
    this.probeSent = false;
    this.inflight = [];
    this.next = this.match + 1;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.inflight = [];
    this.next = this.match + 1;
  }

  /**
   * The follower rejected an append at rejected; next is where the leader's log says to retry
   * (from the follower's hint). Returns false when the rejection answers an append already superseded.
   */
  rejected(rejected: number, next: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
    } else if (rejected !== this.next - 1) {
      return false;
    }
    this.becomeProbe();
    this.next = Math.max(this.match + 1, Math.min(next, rejected));
    return true;
  }
}
