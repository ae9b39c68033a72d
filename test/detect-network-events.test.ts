import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assumedRole, ctEvent } from '../src/detect/case-builders.js';
import { runDetections } from '../src/detect/engine.js';
import { dnsEvents, dnsWatermark, flowEvents, flowWatermark, parseAnswers, parsedAnswers } from '../src/detect/lake-network-events.js';
import { rowRange } from '../src/detect/lake-rows.js';
import { slicedChunks, timeSlices } from '../src/detect/time-slices.js';
import { ShortRead } from '../src/lake/db.js';
import type { FlowDetection } from '../src/detect/detection.js';
import { flowSides, isPrivateIp } from '../src/detect/network-event.js';
import { CASE_ACCOUNT, dnsFromRecord, dnsQuery, FLOW_CASE_HEADER, flowFromLine, flowLine } from '../src/detect/network-records.js';
import { rootCredentialUsage } from '../src/detect/cloudtrail/root-credential-usage.js';
import { staticIntel } from '../src/intel/static.js';
import { scratchDir, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-net-');
after(() => scratch.cleanup());

function write(relative: string, content: string): string {
  const file = path.join(scratch.dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const flows = [
  flowLine({ src: '198.51.100.7', dst: '10.0.1.25', srcPort: 51000, dstPort: 22, time: '2026-11-02T10:00:00Z', action: 'REJECT', direction: 'ingress' }),
  flowLine({ src: '10.0.1.25', dst: '93.184.216.34', srcPort: 40000, dstPort: 443, time: '2026-11-02T10:01:00Z', bytes: 123456, packets: 90 }),
  flowLine({ src: '10.0.1.30', dst: '10.0.1.25', srcPort: 5432, dstPort: 41000, protocol: 'udp', time: '2026-11-02T10:02:00Z', instance: null, eni: 'eni-0fedcba9876543210' }),
  // Addresses are read as numbers only when printing the number gives the same text back. (Text that is not an
  // address, such as 010.0.1.25 or 10.0.1.256, is quarantined at ingest: see bad-input.test.ts.)
  flowLine({ src: '2600:1f18:abcd::7', dst: '0.0.0.0', time: '2026-11-02T10:03:00Z' }),
  flowLine({ src: '10.0.1.25', dst: '255.255.255.255', time: '2026-11-02T10:04:00Z' }),
  flowLine({ src: '-', dst: '10.0.1.255', time: '2026-11-02T10:05:00Z', account: '210987654321' }),
  // 198.51.178.37 takes 10.0.1.25's slot in the reader's cache of printed addresses; 10.0.1.25 must come back as itself.
  flowLine({ src: '198.51.178.37', dst: '10.0.1.25', time: '2026-11-02T10:06:00Z' }),
  flowLine({ src: '10.0.1.25', dst: '198.51.178.37', time: '2026-11-02T10:07:00Z' }),
];
const queries = [
  dnsQuery({ name: 'example.com', time: '2026-11-02T10:00:05Z', answers: [['A', '93.184.216.34']] }),
  dnsQuery({ name: 'NXDOMAIN-test.example.org.', time: '2026-11-02T10:00:06Z', rcode: 'NXDOMAIN', instance: null, firewallAction: 'BLOCK' }),
];

describe('flow and DNS events read from the lake', () => {
  test('match the events built from the same raw lines, field for field', async () => {
    const lake = await tempLake();
    try {
      await lake.ingest([
        write(`AWSLogs/${CASE_ACCOUNT}/vpcflowlogs/us-east-1/2026/11/02/flows.log`, `${FLOW_CASE_HEADER}\n${flows.join('\n')}\n`),
        write(`AWSLogs/${CASE_ACCOUNT}/vpcdnsquerylogs/vpc-1/2026/11/02/dns.log`, `${queries.map((q) => JSON.stringify(q)).join('\n')}\n`),
      ]);
      const connection = lake.lake.connection;
      const fromLake = [];
      for await (const chunk of flowEvents(lake.lake, -1, await flowWatermark(connection))) fromLake.push(...chunk);
      assert.deepEqual(
        fromLake.map(({ fileId, line, ...rest }) => rest),
        flows.map((line) => flowFromLine(line)).map(({ fileId, line, ...rest }) => rest),
      );
      const dnsFromLake = [];
      for await (const chunk of dnsEvents(lake.lake, -1, await dnsWatermark(connection))) dnsFromLake.push(...chunk);
      assert.deepEqual(
        dnsFromLake.map(({ fileId, line, ...rest }) => rest),
        queries.map((q) => dnsFromRecord(q)).map(({ fileId, line, ...rest }) => rest),
      );
    } finally {
      lake.close();
    }
  });

  test('read in time slices, on two connections in turn, come in the same order as read at once', async () => {
    const lake = await tempLake();
    try {
      // Several records share an instant, which a slice never splits.
      const times = ['10:00:00', '10:00:00', '10:00:00', '10:07:00', '10:01:00', '10:02:00', '10:02:00', '10:03:00', '10:09:00', '10:04:00'];
      const timed = times.map((t, i) => flowLine({ src: `198.51.100.${i}`, dst: '10.0.1.25', dstPort: 22 + i, time: `2026-11-02T${t}Z` }));
      await lake.ingest([
        write(`AWSLogs/${CASE_ACCOUNT}/vpcflowlogs/us-east-1/2026/11/02/timed.log`, `${FLOW_CASE_HEADER}\n${timed.join('\n')}\n`),
        write(`AWSLogs/${CASE_ACCOUNT}/vpcdnsquerylogs/vpc-1/2026/11/02/dns.log`, `${times.map((t, i) => JSON.stringify(dnsQuery({ name: `host${i}.example.com`, time: `2026-11-02T${t}Z` }))).join('\n')}\n`),
      ]);
      const connection = lake.lake.connection;
      const read = async <T>(events: AsyncGenerator<Iterable<T>>) => {
        const all: T[] = [];
        for await (const chunk of events) all.push(...chunk);
        return all;
      };
      const flowMark = await flowWatermark(connection);
      const slices = await timeSlices(connection, 'network_activity', rowRange(-1, flowMark), { rows: 2 });
      const whole = await read(flowEvents(lake.lake, -1, flowMark));
      assert.equal(whole.length, 10);
      assert.deepEqual(await read(flowEvents(lake.lake, -1, flowMark, { sliceRows: 2 })), whole);
      assert.deepEqual(await read(flowEvents(lake.lake, -1, flowMark, { sliceRows: 1 })), whole);
      const dnsMark = await dnsWatermark(connection);
      // Wide rows are cut by their bytes too: ten queries of 10 MB each make more than one slice.
      assert.equal((await timeSlices(connection, 'dns_activity', rowRange(-1, dnsMark), { rows: 1000 })).length, 1);
      assert.ok((await timeSlices(connection, 'dns_activity', rowRange(-1, dnsMark), { rows: 1000, rowBytes: '10000000' })).length > 1);
      const dnsWhole = await read(dnsEvents(lake.lake, -1, dnsMark));
      assert.equal(dnsWhole.length, 10);
      assert.deepEqual(await read(dnsEvents(lake.lake, -1, dnsMark, { sliceRows: 2 })), dnsWhole);
      // Every row is in exactly one slice, and one instant is never split (10:00 has three, more than asked).
      const counts = [];
      for (const slice of slices) counts.push(Number((await connection.runAndReadAll(`SELECT count(*) FROM network_activity WHERE ${slice.condition}`)).getRows()[0]![0]));
      assert.deepEqual(counts, [3, 1, 2, 2, 2]);
      assert.deepEqual(slices.map((slice) => slice.rows), counts);
    } finally {
      lake.close();
    }
  });

  test('flow records with no time are not examined, and the run says how many', async () => {
    const lake = await tempLake();
    try {
      // A custom format with neither start nor end: valid records, which no detection can place in time.
      const undated = ['5 eni-0a1b2c3d4e5f60718 203.0.113.9 10.0.1.25 40000 23 6 1 40 REJECT OK', '5 eni-0a1b2c3d4e5f60718 203.0.113.8 10.0.1.25 40000 25 6 1 40 REJECT OK'];
      await lake.ingest([
        write(`AWSLogs/${CASE_ACCOUNT}/vpcflowlogs/us-east-1/2026/11/02/dated.log`, `${FLOW_CASE_HEADER}\n${flows[0]}\n`),
        write(`AWSLogs/${CASE_ACCOUNT}/vpcflowlogs/us-east-1/2026/11/02/undated.log`, `version interface-id srcaddr dstaddr srcport dstport protocol packets bytes action log-status\n${undated.join('\n')}\n`),
      ]);
      const summary = await runDetections(lake.lake, { intel: staticIntel() });
      assert.equal(summary.flows, 1);
      assert.deepEqual(summary.warnings, ['2 flow record(s) have no time (their log format has neither start nor end) and were not examined']);
      const connection = lake.lake.connection;
      await assert.rejects(timeSlices(connection, 'network_activity', rowRange(-1, await flowWatermark(connection)), { rows: 1 }), /2 rows of network_activity in a time-sliced read have no time/);
    } finally {
      lake.close();
    }
  });

  test('a slice whose stream stops early is an error, not the end of the rows', async () => {
    const lake = await tempLake();
    try {
      // DuckDB ends a streamed result at an error inside it; only the slice's row count tells.
      const failing = () => `SELECT CASE WHEN i = 150000 THEN error('boom') ELSE i END FROM range(300000) t(i)`;
      let read = 0;
      await assert.rejects(async () => {
        for await (const chunk of slicedChunks(lake.lake, 'network_activity', [{ condition: 'true', rows: 300000 }], failing)) read += chunk.rowCount;
      }, ShortRead);
      assert.ok(read < 300000);
      // Slices read in turn on two connections, each checked against its own count.
      let whole = 0;
      for await (const chunk of slicedChunks(lake.lake, 'network_activity', [3000, 2000, 1].map((rows) => ({ condition: String(rows), rows })), (rows) => `SELECT 1 FROM range(${rows})`)) whole += chunk.rowCount;
      assert.equal(whole, 5001);
    } finally {
      lake.close();
    }
  });

  test('DNS answers read by the compact scan are what JSON.parse reads, whatever the text', () => {
    const answer = (data: string, type = 'A') => ({ Rdata: data, Type: type, Class: 'IN' });
    const texts = [
      '[]',
      JSON.stringify([answer('93.184.216.34')]),
      JSON.stringify([answer('cdn.example.net.', 'CNAME'), answer('198.51.100.7'), answer('198.51.100.8')]),
      JSON.stringify([answer('v=spf1 include:"_spf.example.com" ~all', 'TXT')]),
      JSON.stringify([answer('caf\u00e9 \u2603 ok', 'TXT')]),
      JSON.stringify([answer('tab\there', 'TXT')]),
      '[{"Rdata":"a\u0001b","Type":"TXT","Class":"IN"}]',
      '[{"Rdata":"\\u0031.2.3.4","Type":"A","Class":"IN"}]',
      '[ {"Rdata":"1.2.3.4","Type":"A","Class":"IN"} ]',
      '[{"Type":"A","Rdata":"1.2.3.4","Class":"IN"}]',
      '[{"Rdata":"1.2.3.4","Type":"A","Class":"IN","TTL":60}]',
      '[{"Rdata":"1.2.3.4","Type":1,"Class":"IN"}]',
      '[{"Rdata":5,"Type":"A","Class":"IN"}]',
      '[{"Type":"A","Class":"IN"}]',
      '[{"Rdata":"1.2.3.4","Type":"A","Class":"IN"},]',
      '[{"Rdata":"1.2.3.4","Type":"A","Class":"IN"}{"Rdata":"5.6.7.8","Type":"A","Class":"IN"}]',
      '[{"Rdata":"1.2.3.4","Type":"A","Class":"IN"',
      '[{"Rdata":"1.2.3.4","Type":"A","Class":"IN"x,{"Rdata":"5.6.7.8","Type":"A","Class":"IN"}]',
      '[{"Rdata":"1.2.3.4","Type":"A","Class":"IN","Rdata":"5.6.7.8"}]',
      '{"Rdata":"1.2.3.4","Type":"A","Class":"IN"}',
      '[{"Rdata":"","Type":"","Class":""}]',
      '["1.2.3.4"]',
      'not json',
    ];
    for (const text of texts) assert.deepEqual(parseAnswers(text), parsedAnswers(text), text);
    assert.deepEqual(parseAnswers(texts[2]!), [
      { type: 'CNAME', data: 'cdn.example.net.' },
      { type: 'A', data: '198.51.100.7' },
      { type: 'A', data: '198.51.100.8' },
    ]);
    assert.deepEqual(parseAnswers(null), []);
  });

  test('private addresses: RFC 1918, CGNAT, link-local, loopback, IPv6 unique-local', () => {
    const cases: [string, boolean][] = [
      ['10.1.2.3', true], ['127.0.0.1', true], ['192.168.0.1', true], ['192.169.0.1', false], ['172.16.0.1', true],
      ['172.31.255.255', true], ['172.32.0.1', false], ['169.254.169.254', true], ['100.64.0.1', true], ['100.128.0.1', false],
      ['8.8.8.8', false], ['fd00:ec2::254', true], ['fe80::1', true], ['2600:1f18::1', false], ['::1', true],
    ];
    for (const [ip, expected] of cases) assert.equal(isPrivateIp(ip), expected, ip);
  });

  test('flow sides: the direction field, else the private end is local', () => {
    const [inbound, outbound, internal] = flows.map((line) => flowSides(flowFromLine(line)));
    assert.deepEqual(inbound, { localIp: '10.0.1.25', localPort: 22, remoteIp: '198.51.100.7', remotePort: 51000, direction: 'INBOUND' });
    assert.equal(outbound!.direction, 'OUTBOUND');
    assert.equal(outbound!.remoteIp, '93.184.216.34');
    // Both ends private: the end with the lower port (the service) is taken as the interface's own.
    assert.equal(internal!.direction, 'OUTBOUND');
    assert.equal(internal!.localPort, 5432);
    assert.equal(internal!.remotePort, 41000);
  });
});

describe('instances of flow records', () => {
  test('are resolved from CloudTrail RunInstances when the flow names only an interface', async () => {
    const lake = await tempLake();
    try {
      const launch = ctEvent({
        service: 'ec2',
        name: 'RunInstances',
        identity: assumedRole('ci-deploy', 'build-42'),
        time: '2026-11-02T09:00:00Z',
        request: { instanceType: 'm6i.large' },
        response: {
          instancesSet: {
            items: [{
              instanceId: 'i-0feedbeef12345678', imageId: 'ami-0123456789abcdef0', instanceType: 'm6i.large',
              instanceState: { code: 0, name: 'pending' }, launchTime: 1793610000000, placement: { availabilityZone: 'us-east-1a' },
              networkInterfaceSet: { items: [{ networkInterfaceId: 'eni-0fedcba9876543210', privateIpAddress: '10.0.1.25', subnetId: 'subnet-1', vpcId: 'vpc-1', groupSet: { items: [{ groupId: 'sg-1', groupName: 'web' }] } }] },
              tagSet: { items: [{ key: 'Name', value: 'web-1' }] },
            }],
          },
        },
      });
      await lake.ingest([
        write('inventory/trail.json', JSON.stringify(launch)),
        write(`AWSLogs/${CASE_ACCOUNT}/vpcflowlogs/us-east-1/2026/11/02/eni.log`, `${FLOW_CASE_HEADER}\n${flowLine({ src: '198.51.100.7', dst: '10.0.1.25', dstPort: 23, time: '2026-11-02T10:00:00Z', action: 'REJECT', instance: null, eni: 'eni-0fedcba9876543210' })}\n`),
      ]);
      const rejected: FlowDetection = {
        id: 'test-rejected',
        source: 'vpcflow',
        types: [{ ...rootCredentialUsage.types[0]!, type: 'Test:EC2/Rejected', dataSource: 'VPCFlowLogs', resourceType: 'Instance' }],
        onFlow(flow, context) {
          if (flow.action === 'REJECT') {
            context.emit({ type: 'Test:EC2/Rejected', event: flow, action: { actionType: 'NETWORK_CONNECTION' } });
          }
        },
        cases: () => [],
      };
      const summary = await runDetections(lake.lake, { intel: staticIntel({}), detections: [rejected] });
      assert.equal(summary.flows, 1);
      const [finding] = summary.findings;
      assert.equal(finding!.resource.resourceType, 'Instance');
      assert.equal(finding!.resource.instanceDetails?.instanceId, 'i-0feedbeef12345678');
      assert.equal(finding!.resource.instanceDetails?.instanceType, 'm6i.large');
      assert.deepEqual(finding!.resource.instanceDetails?.tags, [{ key: 'Name', value: 'web-1' }]);
      assert.equal(finding!.resource.instanceDetails?.networkInterfaces?.[0]?.securityGroups?.[0]?.groupName, 'web');
    } finally {
      lake.close();
    }
  });
});
