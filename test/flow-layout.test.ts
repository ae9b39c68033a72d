import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { scratchDir, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-flow-layout-');
after(() => scratch.cleanup());

test('flow records without a region field take the region from the S3 key AWS delivered them under', async () => {
  const line = '2 111122223333 eni-0a1b2c3d 10.0.1.5 52.94.133.131 49152 443 6 12 4096 1704067200 1704067260 ACCEPT OK';
  const delivered = path.join(scratch.dir, 'AWSLogs/111122223333/vpcflowlogs/eu-central-1/2024/01/01');
  mkdirSync(delivered, { recursive: true });
  writeFileSync(path.join(delivered, '111122223333_vpcflowlogs_eu-central-1_fl-0abc_20240101T0000Z_1a2b3c4d.log'), `${line}\n`);
  const loose = path.join(scratch.dir, 'exported.log');
  writeFileSync(loose, `${line.replace('49152', '49153')}\n`);
  const lake = await tempLake();
  try {
    const summary = await lake.ingest([scratch.dir]);
    assert.equal(summary.stored, 2);
    const rows = await lake.rows('SELECT src_endpoint_port AS port, cloud_region AS region, cloud_account_uid AS account FROM network_activity ORDER BY 1');
    assert.deepEqual(rows, [
      { port: 49152, region: 'eu-central-1', account: '111122223333' },
      { port: 49153, region: null, account: '111122223333' },
    ]);
  } finally {
    lake.close();
  }
});

test('the same line of a reduced format delivered for two accounts and regions is three records, for one account twice a duplicate', async () => {
  // No account-id, region or interface-id: only the S3 key tells whose traffic this is (private ranges overlap).
  const text = 'version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 10.0.0.1 10.0.0.2 443 55555 6 10 1000 1704153600 1704153660 ACCEPT OK\n';
  const keyed = scratchDir('gumshoe-flow-accounts-');
  const place = (account: string, region: string, copy = 'a') => {
    const dir = path.join(keyed.dir, `AWSLogs/${account}/vpcflowlogs/${region}/2024/01/02`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${account}_vpcflowlogs_${region}_fl-1_20240102T0000Z_${copy}.log`), text);
  };
  place('111111111111', 'us-east-1');
  place('111111111111', 'us-east-1', 'b');
  place('222222222222', 'us-east-1');
  place('111111111111', 'eu-west-1');
  const lake = await tempLake();
  try {
    const summary = await lake.ingest([keyed.dir]);
    assert.deepEqual([summary.read, summary.stored, summary.duplicates], [4, 3, 1]);
    const rows = await lake.rows('SELECT cloud_account_uid AS account, cloud_region AS region FROM network_activity ORDER BY 1, 2');
    assert.deepEqual(rows, [
      { account: '111111111111', region: 'eu-west-1' },
      { account: '111111111111', region: 'us-east-1' },
      { account: '222222222222', region: 'us-east-1' },
    ]);
  } finally {
    lake.close();
    keyed.cleanup();
  }
});

test('lines the fast pattern does not recognise are judged one by one; repeats in a batch and known lines are stored once', async () => {
  const v2 = (port: string, start = '1704067200', separator = ' ') =>
    ['2', '111122223333', 'eni-0a1b2c3d', '10.0.1.5', '52.94.133.131', port, '443', '6', '12', '4096', start, '1704067260', 'ACCEPT', 'OK'].join(separator);
  const lines = [
    v2('49152'), // plain: straight in
    v2('49152'), // the same line again in the same batch: a duplicate
    v2('49153', '20000000000'), // an 11-digit epoch (year 2603) is valid, judged by the SELECT
    v2('49154', '1704067200', '\t'), // tab-separated: parsed on whitespace
    v2('049155'), // a leading zero is not the number's own spelling: quarantined
    v2('49156').replace('ACCEPT', 'ACCEPTED'), // not an action
  ];
  const dir = path.join(scratch.dir, 'judged');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'a.log'), `${lines.join('\n')}\n`);
  const lake = await tempLake();
  try {
    const first = await lake.ingest([dir]);
    assert.deepEqual([first.read, first.stored, first.duplicates, first.quarantined], [6, 3, 1, 2]);
    const stored = await lake.rows('SELECT src_endpoint_port AS port, source_line::INTEGER AS line FROM network_activity ORDER BY 1');
    assert.deepEqual(stored, [{ port: 49152, line: 1 }, { port: 49153, line: 3 }, { port: 49154, line: 4 }]);
    const quarantined = await lake.rows('SELECT source_line::INTEGER AS line, reason FROM quarantine ORDER BY 1');
    assert.deepEqual(quarantined.map((q) => q.line), [5, 6]);
    assert.match(String(quarantined[0]!.reason), /field srcport: not a port number \(0–65535\): 049155/);
    // The same lines in another file: every valid one is already in the lake.
    writeFileSync(path.join(dir, 'b.log'), `${lines.slice(0, 4).join('\n')}\n`);
    const again = await lake.ingest([dir]);
    assert.deepEqual([again.read, again.stored, again.duplicates], [4, 0, 4]);
    assert.equal(Number((await lake.rows('SELECT count(*) AS n FROM network_activity'))[0]!.n), 3);
  } finally {
    lake.close();
  }
});
