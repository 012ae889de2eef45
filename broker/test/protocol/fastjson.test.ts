import { describe, expect, it } from 'vitest';
import { decodeJson, encodeFastJson, ObjectKeyMap, parseFastJson } from '../../src/protocol/index.ts';

describe('fastjson forms', () => {
  it('writes maps keyed by MessageQueue as fastjson does, fields sorted', () => {
    const body = encodeFastJson({
      topicPutTps: 0,
      offsetTable: new ObjectKeyMap([[{ topic: 'T', brokerName: 'b', queueId: 0 }, { maxOffset: 5, minOffset: 0, lastUpdateTimestamp: 1 }]]),
    }).toString();
    expect(body).toBe('{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":1,"maxOffset":5,"minOffset":0}},"topicPutTps":0}');
    const back = parseFastJson<{ offsetTable: Record<string, { maxOffset: number }> }>(body);
    expect(JSON.parse(Object.keys(back.offsetTable)[0]!)).toEqual({ brokerName: 'b', queueId: 0, topic: 'T' });
  });

  it('reads bare numeric keys, single quotes and nested values', () => {
    expect(decodeJson(Buffer.from(`{brokerAddrs:{0:'10.0.0.1:10911',1:"10.0.0.2:10911"},list:[1,{a:null}],s:'it''s'}`.replace("''", "\\'")), 'x'))
      .toEqual({ brokerAddrs: { 0: '10.0.0.1:10911', 1: '10.0.0.2:10911' }, list: [1, { a: null }], s: "it's" });
    expect(() => decodeJson(Buffer.from('{"a":'), 'thing')).toThrow(/thing: body is not JSON/);
  });
});
