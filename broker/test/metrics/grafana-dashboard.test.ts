import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/index.ts';
import { exportedFamilies, scrapeMetrics } from '../../src/harness/prometheus-text.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

const DASHBOARD = path.resolve(import.meta.dirname, '../../../charts/tern-operator/dashboards/tern-brokers.json');

interface Panel { type: string; title: string; targets?: { expr: string }[] }
interface Dashboard { panels: Panel[]; templating: { list: { query?: string | { query: string } }[] } }

/** PromQL words that are not series: functions are recognised by their '(', these by name. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Series names an expression reads: strings, label matchers, ranges and grouping clauses removed, functions skipped. */
function seriesNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.push(m[1]!);
  }
  return names;
}

/** The series a scrape can hold: each family, and a histogram's _bucket, _sum and _count. */
function exportedSeries(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    out.add(m[1]!);
    if (m[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) out.add(`${m[1]}${suffix}`);
  }
  return out;
}

let cluster: LocalCluster;
const PROM = { metricsExporterType: 'PROM', metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: 0 } as const;
beforeAll(async () => {
  cluster = await startLocalCluster(PROM, PROM);
  const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'dashboard-producer' });
  await producer.start();
  await producer.send({ topic: 'dashboard-topic', body: Buffer.from('x') });
  await producer.shutdown();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('the Grafana dashboard in charts/', () => {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const exprs = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' ? [v.query.query.replace(/^label_values\((\w+),.*$/, '$1')] : [])),
  ];

  it('has the sections it promises, each with panels', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Cluster', 'Topics', 'Consumer groups', 'Storage', 'Replication']);
    expect(exprs.length).toBeGreaterThan(20);
  });

  it('reads out the names of an expression as PromQL does', () => {
    expect(seriesNames('topk(20, sum by (topic) (rate(rocketmq_messages_in_total{cluster=~"$cluster"}[$__rate_interval])))')).toEqual(['rocketmq_messages_in_total']);
    expect(seriesNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket[5m]))) / on (x) group_left b or c offset 5m')).toEqual(['a_bucket', 'b', 'c']);
  });

  it('names only series a live broker exports', async () => {
    const text = await scrapeMetrics(cluster.broker.metricsPort!);
    expect(exportedFamilies(text).size).toBeGreaterThan(20);
    const exported = exportedSeries(text);
    const missing = exprs.flatMap((e) => seriesNames(e).filter((n) => !exported.has(n)).map((n) => `${n} in ${e}`));
    expect(missing).toEqual([]);
  });
});
