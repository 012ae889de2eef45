// A minimal RocketMQ remoting client for the conformance runner: enough to ask a name server whether a route
// exists, and to replay captured frames and read the answers. It reuses the capture tooling's frame reader and
// adds an encoder, so that the suite never depends on Tern's own codec to judge Tern.
import net from "node:net";
import { decodeHeader, FrameSplitter, type RemotingHeader } from "../capture/remoting-frame.ts";

export interface Frame {
  header: RemotingHeader;
  serializeType: "JSON" | "ROCKETMQ";
  body: Buffer;
  bytes: Buffer;
}

export const FLAG_RESPONSE = 1;
export const FLAG_ONEWAY = 2;
const LANGUAGES = ["JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"];

export function parseFrame(bytes: Buffer): Frame {
  const decoded = decodeHeader(bytes);
  return { header: decoded.header, serializeType: decoded.serializeType, body: bytes.subarray(bytes.length - decoded.bodyLength), bytes };
}

/** Encodes a frame with a JSON (type 0) or ROCKETMQ binary (type 1) header, as protocol digest §1 describes. */
export function encodeFrame(header: RemotingHeader, body: Buffer, serializeType: "JSON" | "ROCKETMQ"): Buffer {
  let headerBytes: Buffer;
  if (serializeType === "JSON") {
    headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  } else {
    const remark = header.remark ? Buffer.from(header.remark, "utf8") : Buffer.alloc(0);
    const ext: Buffer[] = [];
    for (const [key, value] of Object.entries(header.extFields ?? {})) {
      if (value === null || value === undefined) continue;
      const k = Buffer.from(key, "utf8");
      const v = Buffer.from(value, "utf8");
      const entry = Buffer.alloc(2 + k.length + 4 + v.length);
      entry.writeInt16BE(k.length, 0);
      k.copy(entry, 2);
      entry.writeInt32BE(v.length, 2 + k.length);
      v.copy(entry, 6 + k.length);
      ext.push(entry);
    }
    const extArea = Buffer.concat(ext);
    const fixed = Buffer.alloc(2 + 1 + 2 + 4 + 4 + 4);
    const language = typeof header.language === "number" ? header.language : Math.max(0, LANGUAGES.indexOf(String(header.language)));
    fixed.writeInt16BE(header.code, 0);
    fixed.writeInt8(language, 2);
    fixed.writeInt16BE(header.version, 3);
    fixed.writeInt32BE(header.opaque, 5);
    fixed.writeInt32BE(header.flag, 9);
    fixed.writeInt32BE(remark.length, 13);
    const extLength = Buffer.alloc(4);
    extLength.writeInt32BE(extArea.length, 0);
    headerBytes = Buffer.concat([fixed, remark, extLength, extArea]);
  }
  const prefix = Buffer.alloc(8);
  prefix.writeInt32BE(4 + headerBytes.length + body.length, 0);
  prefix.writeInt32BE(((serializeType === "JSON" ? 0 : 1) << 24) | headerBytes.length, 4);
  return Buffer.concat([prefix, headerBytes, body]);
}

/** One TCP connection; requests are matched to responses by opaque. Requests from the server are collected. */
export class RemotingConnection {
  private readonly socket: net.Socket;
  private readonly waiting = new Map<number, (frame: Frame) => void>();
  private readonly splitter = new FrameSplitter();
  private nextOpaque = 1000;
  readonly serverRequests: Frame[] = [];
  readonly unmatchedResponses: Frame[] = [];
  private failure: Error | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      for (const bytes of this.splitter.push(chunk)) {
        const frame = parseFrame(bytes);
        if ((frame.header.flag & FLAG_RESPONSE) === 0) {
          this.serverRequests.push(frame);
          continue;
        }
        const resolve = this.waiting.get(frame.header.opaque);
        if (resolve) {
          this.waiting.delete(frame.header.opaque);
          resolve(frame);
        } else {
          this.unmatchedResponses.push(frame);
        }
      }
    });
    socket.on("error", (err) => { this.failure = err; });
  }

  static connect(address: string, timeoutMs = 3000): Promise<RemotingConnection> {
    const [host, port] = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connect to ${address} timed out`)); }, timeoutMs);
      socket.once("connect", () => { clearTimeout(timer); resolve(new RemotingConnection(socket)); });
      socket.once("error", (err) => { clearTimeout(timer); reject(err); });
    });
  }

  allocateOpaque(): number {
    return this.nextOpaque++;
  }

  /** Sends a complete frame and waits for the response with the same opaque. */
  send(frameBytes: Buffer, timeoutMs = 5000): Promise<Frame> {
    const opaque = parseFrame(frameBytes).header.opaque;
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const timer = setTimeout(() => {
        this.waiting.delete(opaque);
        reject(new Error(`no response to opaque ${opaque} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(opaque, (frame) => { clearTimeout(timer); resolve(frame); });
      this.socket.write(frameBytes);
    });
  }

  /** Sends a frame that expects no answer (oneway). */
  sendOneway(frameBytes: Buffer): void {
    this.socket.write(frameBytes);
  }

  request(code: number, extFields: Record<string, string>, body = Buffer.alloc(0), timeoutMs = 5000): Promise<Frame> {
    const header: RemotingHeader = { code, language: "JAVA", version: 479, opaque: this.allocateOpaque(), flag: 0, extFields };
    return this.send(encodeFrame(header, body, "JSON"), timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(":");
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/** Asks a name server for a topic route; resolves with the response code and parsed body (if any). */
export async function queryRoute(namesrv: string, topic: string): Promise<{ code: number; route?: { brokerDatas?: { brokerAddrs: Record<string, string> }[] } }> {
  const connection = await RemotingConnection.connect(namesrv);
  try {
    const response = await connection.request(105, { topic });
    if (response.header.code !== 0) return { code: response.header.code };
    return { code: 0, route: JSON.parse(response.body.toString("utf8")) };
  } finally {
    connection.close();
  }
}
