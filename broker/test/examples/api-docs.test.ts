import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { BROKER_ROOT } from '../support/processes.ts';

const out = tempDir();
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('the API reference (npm run docs:api)', () => {
  it('builds from the TSDoc without warnings, with a page per client class', () => {
    const typedoc = path.resolve(BROKER_ROOT, '../node_modules/.bin/typedoc');
    const r = spawnSync(typedoc, ['--options', 'typedoc.json', '--out', out], { cwd: BROKER_ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const classes = fs.readdirSync(path.join(out, 'classes'));
    for (const c of ['Producer', 'TransactionProducer', 'PushConsumer', 'LitePullConsumer', 'PullConsumer', 'Admin']) expect(classes).toContain(`${c}.html`);
    expect(fs.readFileSync(path.join(out, 'classes', 'Producer.html'), 'utf8')).toContain('Request-reply');
  }, 120_000);
});
