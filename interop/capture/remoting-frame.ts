// Just enough of the RocketMQ remoting framing (protocol digest §1) to cut a byte stream into frames and
// read their headers, for the capture tooling. Frame = int32 length (excluding itself), int32
// (serializeType << 24 | headerLength), header, body; all big-endian.

export interface RemotingHeader {
  code: number;
  language: string | number;
  version: number;
  opaque: number;
  flag: number;
  remark?: string | null;
  extFields?: Record<string, string | null>;
  [other: string]: unknown;
}

export interface DecodedFrame {
  header: RemotingHeader;
  serializeType: "JSON" | "ROCKETMQ";
  bodyLength: number;
}

const MAX_FRAME = 16 * 1024 * 1024;

/** Accumulates stream chunks and hands back every complete frame (length prefix included). */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32BE(0);
      if (length < 4 || length > MAX_FRAME) throw new Error(`frame length ${length} out of range`);
      if (this.pending.length < 4 + length) break;
      frames.push(Buffer.from(this.pending.subarray(0, 4 + length)));
      this.pending = this.pending.subarray(4 + length);
    }
    return frames;
  }
}

/** Reads the header of one complete frame (as returned by FrameSplitter). */
export function decodeHeader(frame: Buffer): DecodedFrame {
  const length = frame.readInt32BE(0);
  if (length !== frame.length - 4) throw new Error(`length field ${length} != ${frame.length - 4}`);
  const lengthAndType = frame.readInt32BE(4);
  const type = (lengthAndType >>> 24) & 0xff;
  const headerLength = lengthAndType & 0xffffff;
  if (8 + headerLength > frame.length) throw new Error(`header length ${headerLength} exceeds frame`);
  const headerBytes = frame.subarray(8, 8 + headerLength);
  const bodyLength = frame.length - 8 - headerLength;
  if (type === 0) {
    return { header: JSON.parse(headerBytes.toString("utf8")) as RemotingHeader, serializeType: "JSON", bodyLength };
  }
  if (type === 1) return { header: decodeBinaryHeader(headerBytes), serializeType: "ROCKETMQ", bodyLength };
  throw new Error(`unknown serialize type ${type}`);
}

const LANGUAGES = ["JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP",
  "OMS", "RUST", "NODE_JS"];

function decodeBinaryHeader(bytes: Buffer): RemotingHeader {
  let at = 0;
  const code = bytes.readInt16BE(at); at += 2;
  const languageCode = bytes.readInt8(at); at += 1;
  const version = bytes.readInt16BE(at); at += 2;
  const opaque = bytes.readInt32BE(at); at += 4;
  const flag = bytes.readInt32BE(at); at += 4;
  const remarkLength = bytes.readInt32BE(at); at += 4;
  const remark = remarkLength > 0 ? bytes.toString("utf8", at, at + remarkLength) : null;
  at += Math.max(remarkLength, 0);
  const extLength = bytes.readInt32BE(at); at += 4;
  const extEnd = at + extLength;
  if (extEnd > bytes.length) throw new Error(`ext fields length ${extLength} exceeds header`);
  const extFields: Record<string, string | null> = {};
  while (at < extEnd) {
    const keyLength = bytes.readInt16BE(at); at += 2;
    const key = bytes.toString("utf8", at, at + keyLength); at += keyLength;
    const valueLength = bytes.readInt32BE(at); at += 4;
    extFields[key] = valueLength > 0 ? bytes.toString("utf8", at, at + valueLength) : null;
    at += Math.max(valueLength, 0);
  }
  return {
    code,
    language: LANGUAGES[languageCode] ?? languageCode,
    version,
    opaque,
    flag,
    remark,
    ...(extLength > 0 ? { extFields } : {}),
  };
}
