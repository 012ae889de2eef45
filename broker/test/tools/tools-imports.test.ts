import * as fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const TOOLS = path.resolve(import.meta.dirname, '../../src/tools');

describe('src/tools imports', () => {
  it('never reaches into cli/ (tools use the store, the client and leaf modules)', () => {
    const files = fs.readdirSync(TOOLS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(2);
    const offenders = files.filter((f) => /from '[^']*\/cli\//.test(fs.readFileSync(path.join(TOOLS, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
