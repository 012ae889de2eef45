import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, isOneway, isResponse, SerializeType } from '../../src/remoting/index.ts';

// Frames captured between the official Java client 5.3.3 and Apache RocketMQ 5.3.3 (see the folder's README).
const dir = path.join(import.meta.dirname, '../fixtures/java-client');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();

describe('frames captured from the official Java client and broker', () => {
  it('has fixtures of both header types', () => {
    expect(fixtures.filter((f) => f.endsWith('.json.bin')).length).toBeGreaterThanOrEqual(10);
    expect(fixtures.filter((f) => f.endsWith('.binary.bin')).length).toBeGreaterThanOrEqual(10);
  });

  for (const name of fixtures) {
    it(`${name} decodes and re-encodes byte for byte`, () => {
      const bytes = fs.readFileSync(path.join(dir, name));
      const cmd = decodeFrame(bytes);
      expect(cmd.serializeType).toBe(name.endsWith('.binary.bin') ? SerializeType.ROCKETMQ : SerializeType.JSON);
      expect(isResponse(cmd)).toBe(name.includes('-response'));
      expect(isOneway(cmd)).toBe(name.includes('-oneway'));
      expect(cmd.language).toBe('JAVA');
      expect(cmd.version).toBe(479);
      expect(encodeFrame(cmd).equals(bytes)).toBe(true);
    });
  }
});
