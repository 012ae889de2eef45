import type { Entry, Message } from './raft-messages.ts';

/**
 * The binary frames Raft peers exchange (raft-transport.ts): u32 length of what follows, version u8,
 * type u8, from u32, to u32, term u64, then the type's fields. Append entries carry term u64, flags u8
 * (bit 0: no-op, data null), length u32 and the raw data; their index follows from prevIndex.
 * Decoding is strict: any frame that does not parse exactly is an error for its connection.
 */
export const RAFT_WIRE_VERSION = 1;
const HEADER = 4 + 1 + 1 + 4 + 4 + 8;
const ENTRY_HEADER = 8 + 1 + 4;

const TYPES = ['preVote', 'vote', 'preVoteResp', 'voteResp', 'append', 'appendResp', 'heartbeat', 'heartbeatResp', 'timeoutNow'] as const;
const CODE = new Map<Message['type'], number>(TYPES.map((t, i) => [t, i + 1]));

export class RaftWireError extends Error {}

function bodySize(m: Message): number {
  switch (m.type) {
    case 'preVote':
    case 'vote':
      return 8 + 8 + 1;
    case 'preVoteResp':
    case 'voteResp':
      return 1;
    case 'append':
      return 8 + 8 + 8 + 4 + m.entries.reduce((n, e) => n + ENTRY_HEADER + (e.data?.length ?? 0), 0);
    case 'appendResp':
      return 1 + 8 + 8 + 8;
    case 'heartbeat':
      return 8;
    case 'heartbeatResp':
    case 'timeoutNow':
      return 0;
  }
}

export function encodeRaftMessage(m: Message): Buffer {
  const b = Buffer.allocUnsafe(HEADER + bodySize(m));
  let at = 0;
  const u8 = (v: number): void => { at = b.writeUInt8(v, at); };
  const u32 = (v: number): void => { at = b.writeUInt32BE(v, at); };
  const u64 = (v: number): void => { at = b.writeBigUInt64BE(BigInt(v), at); };
  u32(b.length - 4);
  u8(RAFT_WIRE_VERSION);
  u8(CODE.get(m.type)!);
  u32(m.from);
  u32(m.to);
  u64(m.term);
  switch (m.type) {
    case 'preVote':
    case 'vote':
      u64(m.lastIndex); u64(m.lastTerm); u8(m.transfer ? 1 : 0);
      break;
    case 'preVoteResp':
    case 'voteResp':
      u8(m.reject ? 1 : 0);
      break;
    case 'append':
      u64(m.prevIndex); u64(m.prevTerm); u64(m.commit); u32(m.entries.length);
      m.entries.forEach((e, i) => {
        if (e.index !== m.prevIndex + 1 + i) throw new Error(`raft append entries not contiguous after ${m.prevIndex}: ${e.index}`);
        u64(e.term); u8(e.data === null ? 1 : 0); u32(e.data?.length ?? 0);
        if (e.data) { b.set(e.data, at); at += e.data.length; }
      });
      break;
    case 'appendResp':
      u8(m.reject ? 1 : 0); u64(m.index); u64(m.hintIndex); u64(m.hintTerm);
      break;
    case 'heartbeat':
      u64(m.commit);
      break;
    default:
      break;
  }
  return b;
}

/** Decodes one frame body (after its length field). */
export function decodeRaftFrame(b: Buffer): Message {
  let at = 0;
  const need = (n: number): void => {
    if (at + n > b.length) throw new RaftWireError(`frame of ${b.length} bytes ends inside a field at ${at}`);
  };
  const u8 = (): number => { need(1); return b.readUInt8(at++); };
  const bool = (): boolean => {
    const v = u8();
    if (v > 1) throw new RaftWireError(`flag byte ${v} at ${at - 1}`);
    return v === 1;
  };
  const u32 = (): number => { need(4); const v = b.readUInt32BE(at); at += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = b.readBigUInt64BE(at);
    at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RaftWireError(`u64 ${v} out of range`);
    return Number(v);
  };
  const version = u8();
  if (version !== RAFT_WIRE_VERSION) throw new RaftWireError(`unknown raft wire version ${version}`);
  const code = u8();
  const type = TYPES[code - 1];
  if (type === undefined) throw new RaftWireError(`unknown raft message type ${code}`);
  const env = { from: u32(), to: u32(), term: u64() };
  let m: Message;
  switch (type) {
    case 'preVote':
    case 'vote':
      m = { type, ...env, lastIndex: u64(), lastTerm: u64(), transfer: bool() };
      break;
    case 'preVoteResp':
    case 'voteResp':
      m = { type, ...env, reject: bool() };
      break;
    case 'append': {
      const prevIndex = u64();
      const prevTerm = u64();
      const commit = u64();
      const count = u32();
      if (count * ENTRY_HEADER > b.length - at) throw new RaftWireError(`append claims ${count} entries in ${b.length - at} bytes`);
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) {
        const term = u64();
        const noop = bool();
        const length = u32();
        if (noop && length !== 0) throw new RaftWireError(`no-op entry with ${length} bytes of data`);
        need(length);
        entries.push({ term, index: prevIndex + 1 + i, data: noop ? null : b.subarray(at, at + length) });
        at += length;
      }
      m = { type, ...env, prevIndex, prevTerm, commit, entries };
      break;
    }
    case 'appendResp':
      m = { type, ...env, reject: bool(), index: u64(), hintIndex: u64(), hintTerm: u64() };
      break;
    case 'heartbeat':
      m = { type, ...env, commit: u64() };
      break;
    case 'heartbeatResp':
    case 'timeoutNow':
      m = { type, ...env };
      break;
  }
  if (at !== b.length) throw new RaftWireError(`${b.length - at} bytes left over after a ${type} frame`);
  return m;
}

/** Cuts a byte stream into frames; a length beyond maxFrameBytes or a bad frame throws RaftWireError. */
export class RaftFrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Buffer): Message[] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const out: Message[] = [];
    for (;;) {
      if (this.bufferedBytes < 4) break;
      if (this.buffered[0]!.length < 4) this.join();
      const length = this.buffered[0]!.readUInt32BE(0);
      if (length < HEADER - 4 || length > this.maxFrameBytes) throw new RaftWireError(`frame length ${length} outside [${HEADER - 4}, ${this.maxFrameBytes}]`);
      if (this.bufferedBytes < 4 + length) break;
      if (this.buffered[0]!.length < 4 + length) this.join();
      const head = this.buffered[0]!;
      out.push(decodeRaftFrame(head.subarray(4, 4 + length)));
      const rest = head.subarray(4 + length);
      this.bufferedBytes -= 4 + length;
      if (rest.length > 0) this.buffered[0] = rest;
      else this.buffered.shift();
    }
    return out;
  }

  private join(): void {
    this.buffered = [Buffer.concat(this.buffered)];
  }

  /** Bytes of an unfinished frame. */
  pending(): number {
    return this.bufferedBytes;
  }
}
