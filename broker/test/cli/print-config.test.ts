import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerConfigTable } from '../../src/broker/broker-config.ts';
import { namesrvConfigTable } from '../../src/namesrv/namesrv-config.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { spawnTern } from '../support/processes.ts';

/** Runs a print; stdout alone, so that the log lines on stderr do not mix into the table. */
async function printed(args: string[]): Promise<{ code: number | null; stdout: string; all: string }> {
  const p = spawnTern(args);
  let stdout = '';
  p.child.stdout!.on('data', (d) => { stdout += d; });
  const code = await p.exited;
  return { code, stdout, all: p.output() };
}

/** KEY -> [VALUE, DEFAULT]; columns are found from the header, since values may be empty or hold spaces. */
function rowsOf(table: string): Map<string, [string, string]> {
  const [header, , ...lines] = table.trimEnd().split('\n');
  const valueAt = header!.indexOf('VALUE');
  const defaultAt = header!.indexOf('DEFAULT');
  const docAt = header!.indexOf('DESCRIPTION');
  const rows = new Map<string, [string, string]>();
  for (const line of lines) {
    const key = line.slice(0, valueAt).trim();
    expect(rows.has(key), `${key} printed twice`).toBe(false);
    rows.set(key, [line.slice(valueAt, defaultAt).trim(), line.slice(defaultAt, docAt).trim()]);
  }
  return rows;
}

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let confs = 0;

function writeConf(lines: string[]): string {
  const file = path.join(dir, `test-${++confs}.conf`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('tern broker / namesrv --print-config', () => {
  it('prints every broker key once: file values beside their defaults, command-line overrides last, and exits 0', async () => {
    const store = path.join(dir, 'never-created');
    const conf = writeConf(['brokerName=broker-p', 'listenPort=12345', 'flushDiskType=SYNC_FLUSH', 'namesrvAddr=10.0.0.1:9876',
      `storePathRootDir=${store}`, 'someFutureKey=1']);
    const r = await printed(['broker', '-c', conf, '-n', '127.0.0.1:19876', '--print-config']);
    expect(r.code, r.all).toBe(0);
    const rows = rowsOf(r.stdout);
    expect([...rows.keys()].sort()).toEqual(Object.keys(brokerConfigTable).sort());
    expect(rows.get('listenPort')).toEqual(['12345', '10911']);
    expect(rows.get('flushDiskType')).toEqual(['SYNC_FLUSH', 'ASYNC_FLUSH']);
    expect(rows.get('brokerName')![0]).toBe('broker-p');
    expect(rows.get('namesrvAddr')![0]).toBe('127.0.0.1:19876');
    expect(rows.get('maxMessageSize')).toEqual(['4194304', '4194304']);
    expect(r.all).toMatch(/unknown config key 'someFutureKey'/);
    expect(rows.get('storePathRootDir')![0]).toBe(store);
    expect(r.all).not.toMatch(/serving at/);
    expect(fs.existsSync(store)).toBe(false); // no store opened

    // RocketMQ's mqbroker -p: the same listing.
    const alias = await printed(['broker', '-c', conf, '-n', '127.0.0.1:19876', '-p']);
    expect(alias.code).toBe(0);
    expect(alias.stdout).toBe(r.stdout);
  });

  it('prints every namesrv key once, with -p still the port', async () => {
    const conf = writeConf(['scanNotActiveBrokerInterval=5000']);
    const r = await printed(['namesrv', '-c', conf, '-p', '19999', '--print-config']);
    expect(r.code, r.all).toBe(0);
    const rows = rowsOf(r.stdout);
    expect([...rows.keys()].sort()).toEqual(Object.keys(namesrvConfigTable).sort());
    expect(rows.get('listenPort')).toEqual(['19999', '9876']);
    expect(rows.get('scanNotActiveBrokerInterval')).toEqual(['5000', '10000']);
    expect(r.all).not.toMatch(/listening on/);
    // The operator's name server pods turn /metrics on from the command line (they have no config file).
    const metrics = rowsOf((await printed(['namesrv', '--metricsExporterType', 'PROM', '--metricsPromExporterPort', '9000', '--print-config'])).stdout);
    expect(metrics.get('metricsExporterType')).toEqual(['PROM', 'DISABLE']);
    expect(metrics.get('metricsPromExporterPort')).toEqual(['9000', '5557']);
  });

  it('refuses a bad value instead of printing, naming the key', async () => {
    const unparsable = await printed(['broker', '-c', writeConf(['brokerName=broker-p', 'brokerPermission=rw']), '--print-config']);
    expect(unparsable.code).toBe(1);
    expect(unparsable.stdout).toBe('');
    expect(unparsable.all).toMatch(/config key "brokerPermission" wants an integer, got "rw"/);

    const tooSmall = await printed(['broker', '-c', writeConf(['brokerName=broker-p', 'mappedFileSizeCommitLog=4095']), '-p']);
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.all).toMatch(/mappedFileSizeCommitLog must be at least 4096/);
    expect(tooSmall.all).not.toMatch(/\n\s+at /);

    const badPort = await printed(['namesrv', '-p', '70000', '--print-config']);
    expect(badPort.code).toBe(1);
    expect(badPort.all).toMatch(/listenPort must be within 0\.\.65535/);
  });
});
