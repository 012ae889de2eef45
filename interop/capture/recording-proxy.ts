// A recording TCP proxy for RocketMQ remoting traffic: it forwards bytes unchanged between a client and a
// server and writes every complete frame it sees, in either direction, to its own file plus a line of
// metadata in frames.jsonl. Used to capture what the official Java client and Apache servers put on the wire.
//
//   node interop/capture/recording-proxy.ts --out DIR --route NAME=LISTEN_HOST:PORT=UPSTREAM_HOST:PORT [...]
//
// It deliberately does not reuse broker/src/remoting: captured fixtures must not depend on the code they test.
import { mkdirSync, writeFileSync, appendFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeHeader, FrameSplitter, type RemotingHeader } from "./remoting-frame.ts";

interface Route {
  name: string;
  listenHost: string;
  listenPort: number;
  upstreamHost: string;
  upstreamPort: number;
}

/** One line of frames.jsonl. `requestCode` is the code of the request a response answers (by opaque). */
export interface FrameRecord {
  seq: number;
  file: string;
  route: string;
  conn: number;
  direction: "to-server" | "to-client";
  kind: "request" | "oneway" | "response";
  serializeType: "JSON" | "ROCKETMQ";
  code: number;
  requestCode: number | null;
  opaque: number;
  bodyLength: number;
  header: RemotingHeader;
}

function parseRoute(spec: string): Route {
  const match = /^([\w-]+)=([\d.]+):(\d+)=([\d.]+):(\d+)$/.exec(spec);
  if (!match) throw new Error(`bad --route ${spec}; expected NAME=HOST:PORT=UPSTREAM_HOST:PORT`);
  const [, name, listenHost, listenPort, upstreamHost, upstreamPort] = match;
  return {
    name: name!,
    listenHost: listenHost!,
    listenPort: Number(listenPort),
    upstreamHost: upstreamHost!,
    upstreamPort: Number(upstreamPort),
  };
}

class Recorder {
  private seq = 0;
  private readonly outDir: string;

  constructor(outDir: string) {
    this.outDir = outDir;
    mkdirSync(join(outDir, "frames"), { recursive: true });
    writeFileSync(join(outDir, "frames.jsonl"), "");
  }

  record(route: string, conn: number, direction: FrameRecord["direction"], frame: Buffer,
    requestCodes: Map<number, number>, peerRequestCodes: Map<number, number>): void {
    const { header, serializeType, bodyLength } = decodeHeader(frame);
    const isResponse = (header.flag & 1) === 1;
    const kind: FrameRecord["kind"] = isResponse ? "response" : (header.flag & 2) === 2 ? "oneway" : "request";
    let requestCode: number | null = null;
    if (isResponse) {
      // A response travels opposite to its request, so look it up among the peer direction's requests.
      requestCode = peerRequestCodes.get(header.opaque) ?? null;
      peerRequestCodes.delete(header.opaque);
    } else if (kind === "request") {
      requestCodes.set(header.opaque, header.code);
    }
    const seq = ++this.seq;
    const codeLabel = isResponse ? `${requestCode ?? "unknown"}-rc${header.code}` : `${header.code}`;
    const file = `frames/${String(seq).padStart(5, "0")}-${route}-c${conn}-${direction}-${kind}-${codeLabel}.bin`;
    writeFileSync(join(this.outDir, file), frame);
    const record: FrameRecord = {
      seq, file, route, conn, direction, kind, serializeType,
      code: header.code, requestCode, opaque: header.opaque, bodyLength, header,
    };
    appendFileSync(join(this.outDir, "frames.jsonl"), JSON.stringify(record) + "\n");
  }
}

function startRoute(route: Route, recorder: Recorder, nextConn: () => number): void {
  const server = createServer((client: Socket) => {
    const conn = nextConn();
    const upstream = connect({ host: route.upstreamHost, port: route.upstreamPort });
    // Opaque → request code, per direction of travel of the request.
    const toServerRequests = new Map<number, number>();
    const toClientRequests = new Map<number, number>();
    const splitters = {
      "to-server": new FrameSplitter(),
      "to-client": new FrameSplitter(),
    };
    const pipe = (from: Socket, to: Socket, direction: FrameRecord["direction"]) => {
      const own = direction === "to-server" ? toServerRequests : toClientRequests;
      const peer = direction === "to-server" ? toClientRequests : toServerRequests;
      from.on("data", (chunk: Buffer) => {
        to.write(chunk);
        try {
          for (const frame of splitters[direction].push(chunk)) {
            recorder.record(route.name, conn, direction, frame, own, peer);
          }
        } catch (err) {
          console.error(`[${route.name} c${conn}] cannot decode ${direction} traffic, closing: ${String(err)}`);
          client.destroy();
          upstream.destroy();
        }
      });
      from.on("end", () => to.end());
      from.on("error", () => to.destroy());
      from.on("close", () => to.destroy());
    };
    pipe(client, upstream, "to-server");
    pipe(upstream, client, "to-client");
  });
  server.on("error", (err) => {
    console.error(`[${route.name}] ${String(err)}`);
    process.exit(1);
  });
  server.listen(route.listenPort, route.listenHost, () => {
    console.log(`LISTENING ${route.name} ${route.listenHost}:${route.listenPort} -> ` +
      `${route.upstreamHost}:${route.upstreamPort}`);
  });
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      route: { type: "string", multiple: true },
    },
  });
  if (!values.out || !values.route?.length) {
    console.error("usage: recording-proxy.ts --out DIR --route NAME=HOST:PORT=UPSTREAM_HOST:PORT [--route ...]");
    process.exit(2);
  }
  const recorder = new Recorder(values.out);
  let conn = 0;
  for (const spec of values.route) startRoute(parseRoute(spec), recorder, () => ++conn);
  process.on("SIGTERM", () => process.exit(0));
  process.on("SIGINT", () => process.exit(0));
}

main();
