import { LanguageCode, languageName, type LanguageName } from './codes.ts';
import { SerializeType, type RemotingCommand, type SerializeTypeValue } from './remoting-command.ts';

/** Same limit as the Java decoder (com.rocketmq.remoting.frameMaxLength). */
export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

/** A frame that cannot be parsed; the connection that sent it is closed with this reason. */
export class FrameError extends Error {}

// ---------------------------------------------------------------------------------------------
// Encoding

function encodeJsonHeader(cmd: RemotingCommand): Buffer {
  // Field order matches what fastjson emits for the Java bean (alphabetical); receivers ignore order,
  // but byte-identical output keeps captured fixtures comparable.
  const header: Record<string, unknown> = { code: cmd.code };
  if (cmd.extFields) header.extFields = cmd.extFields;
  header.flag = cmd.flag;
  header.language = cmd.language;
  header.opaque = cmd.opaque;
  if (cmd.remark !== undefined && cmd.remark !== null) header.remark = cmd.remark;
  header.serializeTypeCurrentRPC = 'JSON';
  header.version = cmd.version;
  return Buffer.from(JSON.stringify(header), 'utf8');
}

function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  const remark = cmd.remark ? Buffer.from(cmd.remark, 'utf8') : undefined;
  const entries: [Buffer, Buffer][] = [];
  let extLength = 0;
  if (cmd.extFields) {
    for (const key of Object.keys(cmd.extFields)) {
      const value = cmd.extFields[key];
      if (value === undefined || value === null) continue;
      const k = Buffer.from(key, 'utf8');
      const v = Buffer.from(value, 'utf8');
      entries.push([k, v]);
      extLength += 2 + k.length + 4 + v.length;
    }
  }
  const out = Buffer.allocUnsafe(21 + (remark?.length ?? 0) + extLength);
  let pos = out.writeInt16BE(cmd.code << 16 >> 16, 0);
  pos = out.writeInt8(LanguageCode[cmd.language] ?? LanguageCode.OTHER, pos);
  pos = out.writeInt16BE(cmd.version << 16 >> 16, pos);
  pos = out.writeInt32BE(cmd.opaque | 0, pos);
  pos = out.writeInt32BE(cmd.flag | 0, pos);
  pos = out.writeInt32BE(remark?.length ?? 0, pos);
  if (remark) pos += remark.copy(out, pos);
  pos = out.writeInt32BE(extLength, pos);
  for (const [k, v] of entries) {
    pos = out.writeInt16BE(k.length, pos);
    pos += k.copy(out, pos);
    pos = out.writeInt32BE(v.length, pos);
    pos += v.copy(out, pos);
  }
  return out;
}

/** The whole frame: length (excluding itself), header length | serialize type << 24, header, body. */
export function encodeFrame(cmd: RemotingCommand): Buffer {
  const header = cmd.serializeType === SerializeType.ROCKETMQ ? encodeBinaryHeader(cmd) : encodeJsonHeader(cmd);
  const bodyLength = cmd.body?.length ?? 0;
  const frame = Buffer.allocUnsafe(8 + header.length + bodyLength);
  frame.writeInt32BE(4 + header.length + bodyLength, 0);
  frame.writeInt32BE(((cmd.serializeType & 0xff) << 24) | (header.length & 0x00ffffff), 4);
  header.copy(frame, 8);
  if (cmd.body && bodyLength > 0) cmd.body.copy(frame, 8 + header.length);
  return frame;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function decodeJsonHeader(bytes: Buffer): Omit<RemotingCommand, 'body' | 'serializeType'> {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new FrameError(`JSON header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FrameError('JSON header is not an object');
  const h = raw as Record<string, unknown>;
  const code = Number(h.code);
  if (!Number.isInteger(code)) throw new FrameError('JSON header has no integer "code"');
  let extFields: Record<string, string> | undefined;
  if (h.extFields !== undefined && h.extFields !== null) {
    if (typeof h.extFields !== 'object' || Array.isArray(h.extFields)) throw new FrameError('JSON header "extFields" is not an object');
    extFields = {};
    for (const [k, v] of Object.entries(h.extFields as Record<string, unknown>)) {
      if (v !== null && v !== undefined) extFields[k] = typeof v === 'string' ? v : String(v);
    }
  }
  const language = typeof h.language === 'string' && h.language in LanguageCode ? (h.language as LanguageName) : 'OTHER';
  return {
    code,
    language,
    version: Number(h.version) || 0,
    opaque: Number(h.opaque) | 0,
    flag: Number(h.flag) | 0,
    remark: typeof h.remark === 'string' ? h.remark : undefined,
    extFields,
  };
}

function decodeBinaryHeader(bytes: Buffer): Omit<RemotingCommand, 'body' | 'serializeType'> {
  if (bytes.length < 21) throw new FrameError(`binary header of ${bytes.length} bytes is shorter than its 21-byte fixed part`);
  const code = bytes.readInt16BE(0);
  const language = languageName(bytes.readInt8(2));
  const version = bytes.readInt16BE(3);
  const opaque = bytes.readInt32BE(5);
  const flag = bytes.readInt32BE(9);
  const remarkLength = bytes.readInt32BE(13);
  let pos = 17;
  if (remarkLength < 0 || pos + remarkLength + 4 > bytes.length) throw new FrameError(`binary header remark length ${remarkLength} overruns the header`);
  const remark = remarkLength > 0 ? bytes.toString('utf8', pos, pos + remarkLength) : undefined;
  pos += remarkLength;
  const extLength = bytes.readInt32BE(pos);
  pos += 4;
  if (extLength < 0 || pos + extLength > bytes.length) throw new FrameError(`binary header extFields length ${extLength} overruns the header`);
  const end = pos + extLength;
  let extFields: Record<string, string> | undefined;
  if (extLength > 0) {
    extFields = {};
    while (pos < end) {
      if (pos + 2 > end) throw new FrameError('binary header extFields entry is truncated');
      const keyLength = bytes.readInt16BE(pos);
      pos += 2;
      if (keyLength < 0 || pos + keyLength + 4 > end) throw new FrameError('binary header extFields key overruns the area');
      const key = bytes.toString('utf8', pos, pos + keyLength);
      pos += keyLength;
      const valueLength = bytes.readInt32BE(pos);
      pos += 4;
      if (valueLength < 0 || pos + valueLength > end) throw new FrameError(`binary header value of "${key}" overruns the area`);
      if (valueLength > 0) extFields[key] = bytes.toString('utf8', pos, pos + valueLength);
      pos += valueLength;
    }
  }
  return { code, language, version, opaque, flag, remark, extFields };
}

/** Decodes one complete frame that starts with its 4-byte length. */
export function decodeFrame(frame: Buffer): RemotingCommand {
  if (frame.length < 8) throw new FrameError(`frame of ${frame.length} bytes is too short`);
  const length = frame.readInt32BE(0);
  if (length !== frame.length - 4) throw new FrameError(`frame length field ${length} does not match ${frame.length - 4} bytes`);
  const lenAndType = frame.readInt32BE(4);
  const serializeType = (lenAndType >>> 24) & 0xff;
  const headerLength = lenAndType & 0x00ffffff;
  if (headerLength > length - 4) throw new FrameError(`header length ${headerLength} exceeds frame length ${length}`);
  const headerBytes = frame.subarray(8, 8 + headerLength);
  let header: Omit<RemotingCommand, 'body' | 'serializeType'>;
  if (serializeType === SerializeType.JSON) header = decodeJsonHeader(headerBytes);
  else if (serializeType === SerializeType.ROCKETMQ) header = decodeBinaryHeader(headerBytes);
  else throw new FrameError(`unknown serialize type ${serializeType}`);
  const bodyLength = length - 4 - headerLength;
  const body = bodyLength > 0 ? frame.subarray(8 + headerLength) : undefined;
  return { ...header, body, serializeType: serializeType as SerializeTypeValue };
}

/**
 * Splits a byte stream into frames. Rejects a declared length outside [4, maxFrameLength] before buffering it,
 * so a hostile length cannot make us hold megabytes waiting for a frame that never comes.
 */
export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxFrameLength: number;

  constructor(maxFrameLength = DEFAULT_MAX_FRAME_LENGTH) {
    this.maxFrameLength = maxFrameLength;
  }

  /** Bytes held for a frame not complete yet. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds bytes in; returns the complete frames they finish, each starting with its length field. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const length = this.peekLength();
      if (length < 4 || length > this.maxFrameLength) {
        throw new FrameError(`declared frame length ${length} is outside [4, ${this.maxFrameLength}]`);
      }
      if (this.buffered < length + 4) break;
      frames.push(this.take(length + 4));
    }
    return frames;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const merged = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.chunks.push(merged);
    return merged.readInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      // Frames are handed to handlers that may keep slices (message bodies) past this call, so no reuse here.
      const frame = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return frame;
    }
    const merged = Buffer.concat(this.chunks, this.buffered);
    this.chunks.length = 0;
    const frame = merged.subarray(0, n);
    if (merged.length > n) this.chunks.push(merged.subarray(n));
    this.buffered -= n;
    return frame;
  }
}
