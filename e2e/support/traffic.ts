/**
 * Messages through a client pod that runs the Tern image: `tern produce --ack-log` in rounds while the cluster
 * changes under it, and `tern consume` to check that every acknowledged message arrives.
 */
import { execInBackground, kubectl, progress, type Run } from './kube.ts';

export interface ClientPod {
  namespace: string;
  pod: string;
  namesrv: string;
  topic: string;
}

export interface ProduceResult {
  acked: string[];
  failed: number;
  run: Run;
}

/** Keys of the acknowledged messages in an ack log inside the client pod ("<msgId> <key>" per line). */
export async function ackedKeys(client: ClientPod, ackLog: string): Promise<string[]> {
  const text = await kubectl(['-n', client.namespace, 'exec', client.pod, '--', 'cat', ackLog], { timeoutMs: 60_000 });
  return text.split('\n').filter(Boolean).map((l) => l.split(' ')[1]!);
}

/** FAILED from the summary table `RUN MESSAGES FAILED ...` of a --sync run. */
function failedCount(run: Run): number {
  const row = /^\s*sync\s+(\d+)\s+(\d+)\s/m.exec(run.stdout);
  return row ? Number(row[2]) : 0;
}

export async function produce(client: ClientPod, name: string, args: string[]): Promise<ProduceResult> {
  const ackLog = `/data/${name}.acks`;
  const bg = execInBackground(client.namespace, client.pod, [
    'tern', 'produce', '-n', client.namesrv, '-t', client.topic, '--ack-log', ackLog, '--key-prefix', name, ...args,
  ]);
  const run = await bg.done;
  const acked = await ackedKeys(client, ackLog).catch(() => []);
  return { acked, failed: failedCount(run), run };
}

/**
 * Producers in rounds of `roundSeconds` at `rate` msg/s until stop() is called, so traffic spans the whole of a
 * restart or a roll however long it takes. A round that cannot start (no name server for a moment) is retried.
 */
export class Traffic {
  readonly acked: string[] = [];
  failed = 0;
  rounds = 0;
  failedRounds = 0;
  private stopping = false;
  private readonly loop: Promise<void>;
  private readonly client: ClientPod;
  private readonly name: string;
  private readonly rate: number;
  private readonly roundSeconds: number;

  constructor(client: ClientPod, name: string, rate = 100, roundSeconds = 15) {
    this.client = client;
    this.name = name;
    this.rate = rate;
    this.roundSeconds = roundSeconds;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const round = `${this.name}-r${this.rounds++}`;
      const r = await produce(this.client, round, ['--sync', '--rate', String(this.rate), '--count', String(this.rate * this.roundSeconds), '--timeout', '5000']);
      this.acked.push(...r.acked);
      this.failed += r.failed;
      if (r.run.code !== 0 && r.run.code !== 3) {
        this.failedRounds++;
        progress(`${round}: exit ${r.run.code}, ${r.acked.length} acked: ${(r.run.stderr.trim().split('\n').pop() ?? '').slice(0, 160)}`);
        await new Promise((res) => setTimeout(res, 1000));
      } else if (r.failed > 0) {
        progress(`${round}: ${r.acked.length} acked, ${r.failed} not sent: ${(r.run.stderr.trim().split('\n')[0] ?? '').slice(0, 160)}`);
      }
    }
  }

  /** Lets the current round finish (at most roundSeconds) and returns the totals. */
  async stop(): Promise<{ acked: string[]; failed: number }> {
    this.stopping = true;
    await this.loop;
    return { acked: this.acked, failed: this.failed };
  }
}

export interface Delivery {
  consumed: number;
  distinct: number;
  missing: string[];
}

/**
 * Reads the whole topic with a new consumer group from the first offset and reports which of `expected` never
 * arrived. A fresh group per check, so one check's offsets never hide another's messages.
 */
export async function consumeAll(client: ClientPod, group: string, expected: string[], idleSeconds = 15): Promise<Delivery> {
  const bg = execInBackground(client.namespace, client.pod, [
    'tern', 'consume', '-n', client.namesrv, '-t', client.topic, '-g', group, '--from', 'first', '--idle-exit', String(idleSeconds), '--print', 'keys',
  ]);
  const r = await bg.done;
  if (r.code !== 0) throw new Error(`tern consume exited ${r.code}: ${r.stderr.trim().slice(-400)}`);
  const keys = r.stdout.split('\n').filter(Boolean);
  const got = new Set(keys);
  return { consumed: keys.length, distinct: got.size, missing: expected.filter((k) => !got.has(k)) };
}
