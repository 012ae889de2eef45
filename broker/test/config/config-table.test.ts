import { describe, expect, it } from 'vitest';
import { brokerConfigTable, defaultBrokerConfig, validateBrokerConfig } from '../../src/broker/broker-config.ts';
import { parseRaftPeers } from '../../src/raft/raft-peers.ts';
import {
  applyProperties, boolKey, checkConfig, defaultsOf, describeConfig, intKey, oneOfKey, pickKeys, stringKey,
} from '../../src/config/config-table.ts';
import { parseProperties } from '../../src/config/properties-file.ts';
import { namesrvConfigTable } from '../../src/namesrv/namesrv-config.ts';
import { messageStoreConfigTable, resolveMessageStoreConfig } from '../../src/store/message-store-config.ts';

const table = {
  name: stringKey({ default: 'n', doc: 'a name' }),
  port: intKey({ default: 80, min: 0, max: 65535, doc: 'a port' }),
  even: intKey({ default: 2, min: 0, check: (v) => (v % 2 === 0 ? undefined : 'must be even'), doc: 'an even number' }),
  on: boolKey({ default: () => true, doc: 'a switch' }),
  mode: oneOfKey(['A', 'B'], { default: 'A', doc: 'a mode' }),
};

describe('a config table', () => {
  it('gives fresh defaults, evaluating the ones that are functions', () => {
    const d = defaultsOf(table);
    expect(d).toEqual({ name: 'n', port: 80, even: 2, on: true, mode: 'A' });
    d.port = 1;
    expect(defaultsOf(table).port).toBe(80);
  });

  it('converts known keys, returns unknown ones, and names the key of a value that does not parse', () => {
    const { config, unknownKeys } = applyProperties(table, defaultsOf(table), parseProperties('port=8080\non=false\nmode=B\nlater=1\n'));
    expect(config).toEqual({ name: 'n', port: 8080, even: 2, on: false, mode: 'B' });
    expect(unknownKeys).toEqual(['later']);
    expect(() => applyProperties(table, defaultsOf(table), new Map([['port', '80a']]))).toThrow('config key "port" wants an integer, got "80a"');
    expect(() => applyProperties(table, defaultsOf(table), new Map([['on', 'yes']]))).toThrow('config key "on" wants true or false');
    expect(() => applyProperties(table, defaultsOf(table), new Map([['mode', 'C']]))).toThrow('config key "mode" wants one of A, B, got "C"');
  });

  it('checks bounds and each key\'s own rule, naming the key; or only the keys asked about', () => {
    const bad = { ...defaultsOf(table), port: 70000, even: -3 };
    expect(checkConfig(table, bad)).toEqual(['port must be within 0..65535', 'even must be at least 0']);
    expect(checkConfig(table, { ...bad, even: 3 }, ['even'])).toEqual(['even must be even']);
    expect(checkConfig(table, defaultsOf(table))).toEqual([]);
  });

  it('describes every key in declaration order with its value, default and doc', () => {
    const rows = describeConfig(table, { ...defaultsOf(table), port: 8080 });
    expect(rows.map((r) => r.key)).toEqual(['name', 'port', 'even', 'on', 'mode']);
    expect(rows[1]).toEqual({ key: 'port', value: 8080, default: 80, doc: 'a port' });
  });
});

describe('the broker, store and namesrv tables', () => {
  it('compose: the broker holds every store key with the store\'s own declaration', () => {
    for (const [name, key] of Object.entries(messageStoreConfigTable)) expect(brokerConfigTable[name as keyof typeof brokerConfigTable]).toBe(key);
    const store = pickKeys(messageStoreConfigTable, { ...defaultBrokerConfig(), maxMessageSize: 1024 });
    expect(Object.keys(store).sort()).toEqual(Object.keys(messageStoreConfigTable).sort());
    expect(store.maxMessageSize).toBe(1024);
  });

  it('declare every key with a doc line', () => {
    for (const t of [brokerConfigTable, namesrvConfigTable]) {
      for (const row of describeConfig(t, defaultsOf(t))) expect(row.doc, row.key).toMatch(/\S/);
    }
  });

  it('keep RocketMQ\'s defaults for the keys people tune most', () => {
    const b = defaultBrokerConfig();
    expect([b.listenPort, b.mappedFileSizeCommitLog, b.mappedFileSizeConsumeQueue, b.maxMessageSize, b.fileReservedTime, b.deleteWhen])
      .toEqual([10911, 1024 * 1024 * 1024, 6_000_000, 4 * 1024 * 1024, 72, '04']);
    expect(defaultsOf(namesrvConfigTable).listenPort).toBe(9876);
  });

  it('hold one CommitLog segment minimum, one OS page, for the broker and the store alike', () => {
    const broker = { ...defaultBrokerConfig(), brokerName: 'broker-a' };
    expect(validateBrokerConfig({ ...broker, mappedFileSizeCommitLog: 4096 })).toEqual([]);
    expect(validateBrokerConfig({ ...broker, mappedFileSizeCommitLog: 4095 })).toEqual(['mappedFileSizeCommitLog must be at least 4096']);
    expect(resolveMessageStoreConfig({ mappedFileSizeCommitLog: 4096 }).mappedFileSizeCommitLog).toBe(4096);
    expect(() => resolveMessageStoreConfig({ mappedFileSizeCommitLog: 4095 })).toThrow('mappedFileSizeCommitLog must be at least 4096');
  });

  it('refuse a ConsumeQueue file size that is not whole 20-byte units, in the broker and the store alike', () => {
    const broker = { ...defaultBrokerConfig(), brokerName: 'broker-a' };
    expect(validateBrokerConfig({ ...broker, mappedFileSizeConsumeQueue: 210 })).toEqual(['mappedFileSizeConsumeQueue must be a multiple of 20 (the ConsumeQueue unit)']);
    expect(() => resolveMessageStoreConfig({ mappedFileSizeConsumeQueue: 210 })).toThrow('mappedFileSizeConsumeQueue must be a multiple of 20');
    expect(() => resolveMessageStoreConfig({ mappedFileSizeConsumeQueue: 0 })).toThrow('mappedFileSizeConsumeQueue must be at least 20');
  });

  it('check what no single key can say: the role against the broker id', () => {
    const broker = { ...defaultBrokerConfig(), brokerName: 'broker-a' };
    expect(validateBrokerConfig({ ...broker, brokerRole: 'SLAVE' })).toEqual(['brokerRole=SLAVE needs brokerId > 0 (0 is the master)']);
    expect(validateBrokerConfig({ ...broker, brokerId: 1 })).toEqual(['brokerRole=ASYNC_MASTER needs brokerId=0']);
  });

  it('refuse a switch Tern does not honour yet instead of ignoring it', () => {
    const broker = { ...defaultBrokerConfig(), brokerName: 'broker-a' };
    expect(validateBrokerConfig({ ...broker, traceTopicEnable: true })).toEqual([
      'traceTopicEnable is not supported yet: Tern keeps no trace topic; leave it false',
    ]);
  });

  it('accept Raft (DLedger) mode with a valid membership, whatever brokerRole and brokerId say, and refuse it without one', () => {
    const broker = { ...defaultBrokerConfig(), brokerName: 'broker-a' };
    expect([broker.enableDLegerCommitLog, broker.dLegerGroup, broker.dLegerPeers, broker.dLegerSelfId]).toEqual([false, '', '', '']);
    const raft = { ...broker, enableDLegerCommitLog: true, dLegerGroup: 'broker-a', dLegerPeers: 'n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913', dLegerSelfId: 'n1' };
    expect(validateBrokerConfig(raft)).toEqual([]);
    expect(validateBrokerConfig({ ...raft, brokerRole: 'SLAVE', brokerId: 0 })).toEqual([]);
    expect(validateBrokerConfig({ ...broker, enableDLegerCommitLog: true })).toEqual([
      'dLegerPeers must list the group\'s members when enableDLegerCommitLog=true',
      'dLegerSelfId must be set when enableDLegerCommitLog=true',
    ]);
  });

  it('check dLegerPeers and dLegerSelfId as RocketMQ writes them, naming the key', () => {
    const broker = { ...defaultBrokerConfig(), brokerName: 'broker-a' };
    const peers = 'n0-demo-broker-0-0.demo-broker-0.mq.svc:40911;n1-demo-broker-0-1.demo-broker-0.mq.svc:40911';
    expect(parseRaftPeers(peers)).toEqual([
      { id: 1, name: 'n0', host: 'demo-broker-0-0.demo-broker-0.mq.svc', port: 40911 },
      { id: 2, name: 'n1', host: 'demo-broker-0-1.demo-broker-0.mq.svc', port: 40911 },
    ]);
    expect(parseRaftPeers('n0-a:1;')).toEqual([{ id: 1, name: 'n0', host: 'a', port: 1 }]);
    expect(validateBrokerConfig({ ...broker, dLegerPeers: peers, dLegerSelfId: 'n1' })).toEqual([]);
    expect(validateBrokerConfig({ ...broker, dLegerPeers: 'n0-a:40911,n1-b:40911' })).toEqual([
      'dLegerPeers has "n0-a:40911,n1-b:40911", expected n<k>-host:port (e.g. n0-broker-a-0:40911)',
    ]);
    expect(validateBrokerConfig({ ...broker, dLegerPeers: 'n0-a:40911;n1-b' })[0]).toMatch(/^dLegerPeers has "n1-b", expected n<k>-host:port/);
    expect(validateBrokerConfig({ ...broker, dLegerPeers: 'n0-a:70000' })[0]).toMatch(/^dLegerPeers has "n0-a:70000"/);
    expect(validateBrokerConfig({ ...broker, dLegerPeers: 'x0-a:1' })[0]).toMatch(/^dLegerPeers has "x0-a:1", expected n<k>-host:port/);
    expect(validateBrokerConfig({ ...broker, dLegerPeers: 'n0-a:1;n0-b:2' })).toEqual(['dLegerPeers repeats the id n0 in "n0-b:2"']);
    expect(validateBrokerConfig({ ...broker, dLegerPeers: peers, dLegerSelfId: 'n2' })).toEqual([
      'dLegerSelfId "n2" is not among the ids of dLegerPeers (n0, n1)',
    ]);
  });

  it('fill the CommitLog directory from the root when it is empty', () => {
    expect(resolveMessageStoreConfig({ storePathRootDir: '/data/s' }).storePathCommitLog).toBe('/data/s/commitlog');
    expect(resolveMessageStoreConfig({ storePathRootDir: '/data/s', storePathCommitLog: '' }).storePathCommitLog).toBe('/data/s/commitlog');
    expect(resolveMessageStoreConfig({ storePathRootDir: '/data/s', storePathCommitLog: '/fast/cl' }).storePathCommitLog).toBe('/fast/cl');
  });
});
