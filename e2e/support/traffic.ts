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

/**
 * Keys of the acknowledged messages in an ack log inside the client pod ("<msgId> <key>" per line). The log is
 * created before the producer starts, so a missing or unreadable one is an error, never "nothing acknowledged".
 */
export async function ackedKeys(client: ClientPod, ackLog: string): Promise<string[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const text = await kubectl(['-n', client.namespace, 'exec', client.pod, '--', 'cat', ackLog], { timeoutMs: 60_000 });
      return text.split('\n').filter(Boolean).map((l) => l.split(' ')[1]!);
    } catch (err) {
      lastError = err; // kubectl exec itself can fail once under load; the file not being there fails every time
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  throw new Error(`cannot read the ack log ${ackLog} in ${client.pod}: ${(lastError as Error).message}`);
}

/** FAILED from the summary table `RUN MESSAGES FAILED ...` of a --sync run. */
function failedCount(run: Run): number {
  const row = /^\s*sync\s+(\d+)\s+(\d+)\s/m.exec(run.stdout);
  return row ? Number(row[2]) : 0;
}

export async function produce(client: ClientPod, name: string, args: string[], opts: { wrap?: (argv: string[]) => string[] } = {}): Promise<ProduceResult> {
  const ackLog = `/data/${name}.acks`;
  const argv = ['tern', 'produce', '-n', client.namesrv, '-t', client.topic, '--ack-log', ackLog, '--key-prefix', name, ...args];
  await kubectl(['-n', client.namespace, 'exec', client.pod, '--', 'sh', '-c', `: > ${ackLog}`]);
  const bg = execInBackground(client.namespace, client.pod, opts.wrap ? opts.wrap(argv) : argv);
  const run = await bg.done;
  const acked = await ackedKeys(client, ackLog);
  return { acked, failed: failedCount(run), run };
}

/**
 * One `tern produce --sync --rate R` in the client pod from start() until stop(), so traffic spans the whole of a
 * restart or a roll however long it takes: a running producer keeps its routes while the name server restarts,
 * where a new one could not start. stop() sends it SIGINT (it finishes in-flight sends, logs their acks): it then
 * exits 130, or 3 when some of its messages were not acknowledged. A producer that ends by itself (it could not
 * reach a name server at start) is started again. An ack log that cannot be read ends the traffic with an error.
 */
export class Traffic {
  readonly acked: string[] = [];
  failed = 0;
  restarts = 0;
  /** Stored but not SEND_OK (SLAVE_NOT_AVAILABLE while a SYNC_MASTER's slave restarts): not acknowledged. */
  notAcknowledged = 0;
  /** notAcknowledged by the status the broker answered. */
  readonly notAcknowledgedBy = new Map<string, number>();
  private stopping = false;
  /** The round whose producer runs now (its pid file is what stop() signals). */
  private current = 0;
  private readonly loop: Promise<void>;
  private error: unknown;
  private readonly client: ClientPod;
  private readonly name: string;
  private readonly rate: number;

  constructor(client: ClientPod, name: string, rate = 100) {
    this.client = client;
    this.name = name;
    this.rate = rate;
    this.loop = this.run().catch((err: unknown) => { this.error = err; });
  }

  private pidFile(round: number): string {
    return `/data/${this.name}-${round}.pid`;
  }

  private async run(): Promise<void> {
    for (let round = 0; !this.stopping; round++) {
      this.current = round;
      const name = `${this.name}-${round}`;
      // sh records the pid, then exec makes the producer that process: stop() can signal it by pid
      const r = await produce(this.client, name, ['--sync', '--rate', String(this.rate), '--count', '100000000', '--timeout', '5000'], {
        wrap: (argv) => ['sh', '-c', `echo $$ > ${this.pidFile(round)} && exec "$@"`, 'sh', ...argv],
      });
      this.acked.push(...r.acked);
      this.failed += r.failed;
      for (const m of r.run.stderr.matchAll(/tern: (\d+) message\(s\) stored but answered (\w+)/g)) {
        this.notAcknowledged += Number(m[1]);
        this.notAcknowledgedBy.set(m[2]!, (this.notAcknowledgedBy.get(m[2]!) ?? 0) + Number(m[1]));
      }
      const interrupted = r.run.code === 130 || (r.run.code === 3 && /interrupted/.test(r.run.stderr));
      if (!interrupted || !this.stopping) {
        this.restarts++;
        progress(`${name}: exit ${r.run.code} after ${r.acked.length} acks: ${(r.run.stderr.trim().split('\n').pop() ?? '').slice(0, 160)}`);
        if (!this.stopping) await new Promise((res) => setTimeout(res, 1000));
      }
    }
  }

  /** One line for the progress output: acknowledged, not acknowledged by status, failed, producer restarts. */
  describe(): string {
    const by = [...this.notAcknowledgedBy].map(([status, n]) => `${status} ${n}`).join(', ');
    return `${this.acked.length} acknowledged, ${this.notAcknowledged} stored but not SEND_OK${by ? ` (${by})` : ''}, `
      + `${this.failed} sends failed, ${this.restarts} producer restarts`;
  }

  /** SIGINT to the running producer; waits for it to finish and returns the totals. */
  async stop(): Promise<{ acked: string[]; failed: number }> {
    this.stopping = true;
    let finished = false;
    void this.loop.then(() => { finished = true; });
    // again every 8 s: a producer that was just (re)starting may not have written its pid file yet
    while (!finished) {
      const pidFile = this.pidFile(this.current);
      await kubectl(['-n', this.client.namespace, 'exec', this.client.pod, '--', 'sh', '-c', `[ -f ${pidFile} ] && kill -INT "$(cat ${pidFile})" || true`]).catch(() => {});
      await Promise.race([this.loop, new Promise((r) => setTimeout(r, 8000))]);
    }
    if (this.error) throw this.error;
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
