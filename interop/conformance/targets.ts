// Starts the broker the suite runs against: Tern (namesrv + broker as two real `tern` processes) or Apache
// RocketMQ 5.3.3 (scripts/apache-rocketmq.sh, jars from Maven Central). Both get an empty store, loopback ports
// that are free right now, SQL92 filtering enabled and a fast transaction check-back, and both are ready only
// once the name server hands out a route for TBW102 (the broker has registered).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { acceptsConnections, freePort } from "../../broker/src/harness/free-port.ts";
import { WaitAbandoned, waitFor, waitForPort } from "../../broker/src/harness/wait-for.ts";
import { queryRoute } from "./remoting-client.ts";

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, "../..");
export const NODE = path.join(ROOT, "node_modules/.bin/node");

export type TargetName = "tern" | "apache";

export interface Target {
  name: TargetName;
  namesrv: string;
  brokerAddr: string;
  brokerName: string;
  cluster: string;
  /** Where each server's output goes (for failure reports). */
  logs: string[];
  stop(): Promise<void>;
}

/** Settings both brokers get; Tern warns about and ignores the keys it does not know yet. */
const SHARED_BROKER_CONF = {
  brokerClusterName: "DefaultCluster",
  brokerName: "broker-a",
  brokerId: "0",
  brokerRole: "ASYNC_MASTER",
  flushDiskType: "ASYNC_FLUSH",
  autoCreateTopicEnable: "true",
  autoCreateSubscriptionGroup: "true",
  enablePropertyFilter: "true",
  // Check-backs for transactions whose producer answered UNKNOWN: every 5 s instead of 30 s.
  transactionCheckInterval: "5000",
  transactionTimeOut: "3000",
};

export async function startTarget(name: TargetName, workDir: string): Promise<Target> {
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  return name === "tern" ? startTern(workDir) : startApache(workDir);
}

async function startTern(dir: string): Promise<Target> {
  const namesrvPort = await freePort();
  const brokerPort = await freeBrokerPort();
  const namesrv = `127.0.0.1:${namesrvPort}`;
  const conf = {
    ...SHARED_BROKER_CONF,
    brokerIP1: "127.0.0.1",
    bindAddress: "127.0.0.1",
    listenPort: String(brokerPort),
    namesrvAddr: namesrv,
    storePathRootDir: path.join(dir, "store"),
    mappedFileSizeCommitLog: String(64 * 1024 * 1024),
  };
  fs.writeFileSync(path.join(dir, "namesrv.conf"), `listenPort=${namesrvPort}\nbindAddress=127.0.0.1\n`);
  fs.writeFileSync(path.join(dir, "broker.conf"), Object.entries(conf).map(([k, v]) => `${k}=${v}\n`).join(""));
  const main = path.join(ROOT, "broker/src/cli/main.ts");
  const children: ChildProcess[] = [];
  const launch = (what: string, args: string[]) => {
    const log = fs.openSync(path.join(dir, `${what}.out`), "w");
    const child = spawn(NODE, ["--disable-warning=ExperimentalWarning", main, what, ...args], {
      cwd: dir, stdio: ["ignore", log, log], env: { ...process.env, TERN_LOG_LEVEL: process.env.TERN_LOG_LEVEL ?? "info" },
    });
    fs.closeSync(log);
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of children.reverse()) await stopChild(child);
  };
  try {
    launch("namesrv", ["-c", path.join(dir, "namesrv.conf")]);
    await waitForPort(namesrvPort, 30_000, () => exitedEarly(children));
    launch("broker", ["-c", path.join(dir, "broker.conf")]);
    await waitForRoute(namesrv, 60_000, () => exitedEarly(children));
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${tailOf(path.join(dir, "namesrv.out"))}\n${tailOf(path.join(dir, "broker.out"))}`);
  }
  return {
    name: "tern", namesrv, brokerAddr: `127.0.0.1:${brokerPort}`, brokerName: "broker-a", cluster: "DefaultCluster",
    logs: [path.join(dir, "namesrv.out"), path.join(dir, "broker.out")], stop,
  };
}

async function startApache(dir: string): Promise<Target> {
  const namesrvPort = await freePort();
  const brokerPort = await freeBrokerPort();
  const namesrv = `127.0.0.1:${namesrvPort}`;
  const script = path.join(ROOT, "scripts/apache-rocketmq.sh");
  const env = {
    ...process.env,
    APACHE_RMQ_NAMESRV_PORT: String(namesrvPort),
    APACHE_RMQ_BROKER_PORT: String(brokerPort),
    APACHE_RMQ_BROKER_CONF_EXTRA: `transactionCheckInterval=${SHARED_BROKER_CONF.transactionCheckInterval}\n`
      + `transactionTimeOut=${SHARED_BROKER_CONF.transactionTimeOut}\n`
      // RocketMQ 5.3.3 answers RECALL_MESSAGE with NO_PERMISSION unless this is on; Tern always serves recall.
      + 'recallMessageEnable=true\n',
  };
  const stop = async () => {
    await run(script, ["stop", "--dir", dir], { env, timeout: 60_000 }).catch(() => undefined);
  };
  try {
    await run(script, ["start", "--dir", dir], { env, timeout: 240_000 });
    await waitForRoute(namesrv, 60_000, () => undefined);
  } catch (err) {
    await stop();
    const e = err as Error & { stderr?: string };
    throw new Error(`apache rocketmq did not start: ${e.message}\n${e.stderr ?? ""}`);
  }
  return {
    name: "apache", namesrv, brokerAddr: `127.0.0.1:${brokerPort}`, brokerName: "broker-a", cluster: "DefaultCluster",
    logs: [path.join(dir, "namesrv.out"), path.join(dir, "broker.out"), path.join(dir, "home/logs/rocketmqlogs/broker.log")], stop,
  };
}

function exitedEarly(children: ChildProcess[]): string | undefined {
  const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
  return dead ? `a tern process exited during start (code ${dead.exitCode})` : undefined;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

export function tailOf(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return `(no ${file})`;
  }
}

/** Ready = the name server has a route for TBW102, i.e. the broker registered with its topics. */
async function waitForRoute(namesrv: string, timeoutMs: number, died: () => string | undefined): Promise<void> {
  await waitFor(`a route for TBW102 from ${namesrv}`, async (note) => {
    const why = died();
    if (why) throw new WaitAbandoned(why);
    const { code } = await queryRoute(namesrv, "TBW102");
    note(`route code ${code}`);
    return code === 0;
  }, timeoutMs, 200);
}

/** A broker port whose neighbours (port-2 VIP, port+1 HA) are free too. */
async function freeBrokerPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const neighbours = [port - 2, port, port + 1];
    if ((await Promise.all(neighbours.map(acceptsConnections))).every((open) => !open) && (await canListen(neighbours))) return port;
  }
  throw new Error("no free broker port found");
}

async function canListen(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const ok = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (!ok) return false;
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
