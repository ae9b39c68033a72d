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
