// Detection reads rows by time, and rows of the same second by their record's content: the same logs give
// the same order (and so the same findings) however an ingest happened to number the rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ctEvent, iamUser } from '../src/detect/case-builders.js';
import { apiEvents } from '../src/detect/lake-events.js';
import { dnsEvents, flowEvents } from '../src/detect/lake-network-events.js';
import { tableWatermark } from '../src/detect/lake-rows.js';
import { scratchDir, tempLake, type TestLake } from './helpers/lake.js';

const SECOND = '2024-05-06T10:00:00Z';
const LATER = '2024-05-06T10:00:01Z';
const alice = iamUser('alice');

/** Two files whose records share a second, and one record a second later. */
function writeLogs(dir: string): { first: string[]; second: string[] } {
  const file = (name: string, lines: string[]) => {
    const full = path.join(dir, name);
    writeFileSync(full, `${lines.join('\n')}\n`);
    return full;
  };
  const ct = (name: string, time: string) => JSON.stringify(ctEvent({ identity: alice, time, service: 'iam', name }));
  const dns = (name: string, time: string) =>
    JSON.stringify({ version: '1.100000', account_id: '123456789012', region: 'us-east-1', vpc_id: 'vpc-1', query_timestamp: time,
      query_name: `${name}.example.com.`, query_type: 'A', query_class: 'IN', rcode: 'NOERROR', answers: [], srcaddr: '10.0.0.5',
      srcport: '5353', transport: 'UDP', srcids: { instance: 'i-0abc' } });
  const epoch = (time: string) => Date.parse(time) / 1000;
  const flow = (port: number, time: string) =>
    `2 123456789012 eni-1 10.0.0.5 198.51.100.7 ${port} 443 6 10 840 ${epoch(time)} ${epoch(time) + 1} ACCEPT OK`;
  const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
  return {
    first: [
      file('a-cloudtrail.jsonl', [ct('ListUsers', SECOND), ct('ListRoles', LATER)]),
      file('a-dns.log', [dns('alpha', SECOND), dns('later', LATER)]),
      file('a-flow.log', [header, flow(40001, SECOND), flow(40009, LATER)]),
    ],
    second: [
      file('b-cloudtrail.jsonl', [ct('ListGroups', SECOND)]),
      file('b-dns.log', [dns('bravo', SECOND)]),
      file('b-flow.log', [header, flow(40002, SECOND)]),
    ],
  };
}

/** What each reader yields, in order: API names, query names, source ports. */
async function orderOfReads(lake: TestLake): Promise<{ api: string[]; dns: string[]; flow: number[] }> {
  const { connection } = lake.lake;
  const all = async <T, R>(events: AsyncGenerator<Iterable<T>>, pick: (event: T) => R): Promise<R[]> => {
    const out: R[] = [];
    for await (const chunk of events) for (const event of chunk) out.push(pick(event));
    return out;
  };
  return {
    api: await all(apiEvents(lake.lake, -1, await tableWatermark(connection, 'api_activity')), (e) => e.api),
    dns: await all(dnsEvents(lake.lake, -1, await tableWatermark(connection, 'dns_activity')), (e) => e.queryName),
    flow: await all(flowEvents(lake.lake, -1, await tableWatermark(connection, 'network_activity')), (e) => e.srcPort ?? 0),
  };
}

test('rows of the same second are read in the same order whichever file an ingest stored first', async () => {
  const scratch = scratchDir();
  const oneWay = await tempLake();
  const otherWay = await tempLake();
  try {
    const { first, second } = writeLogs(scratch.dir);
    // Separate ingests: each lake numbers its rows in the order its files came in.
    for (const file of [...first, ...second]) await oneWay.ingest([file]);
    for (const file of [...second, ...first]) await otherWay.ingest([file]);
    const rowOrder = async (lake: TestLake) => (await lake.rows('SELECT api_operation FROM api_activity ORDER BY rowid')).map((r) => r.api_operation);
    assert.notDeepEqual(await rowOrder(oneWay), await rowOrder(otherWay), 'the two lakes number their rows differently');

    const read = await orderOfReads(oneWay);
    assert.deepEqual(await orderOfReads(otherWay), read);
    // Time still comes first: the later second is read last.
    assert.equal(read.api.at(-1), 'ListRoles');
    assert.equal(read.dns.at(-1), 'later.example.com');
    assert.equal(read.flow.at(-1), 40009);
    assert.deepEqual([read.api.length, read.dns.length, read.flow.length], [3, 3, 3]);
  } finally {
    oneWay.close();
    otherWay.close();
    scratch.cleanup();
  }
});
