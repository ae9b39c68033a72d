import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { each, spaced } from '../src/detect/network/flow-volume-cases.js';
import { trafficVolume } from '../src/detect/network/traffic-volume.js';
import { CASE_PRIVATE_IP, flowLine } from '../src/detect/network-records.js';
import type { IntelLookup } from '../src/intel/lookup.js';
import { staticIntel } from '../src/intel/static.js';
import { runFlows } from './helpers/network-runs.js';

/**
 * A database instance backs up 40 GB to S3 every night and otherwise talks to a few hosts. Its S3 volume
 * is judged against its S3 history; it does not make every new host's 50 GB look ordinary.
 */
const GB = 1e9;
const s3: IntelLookup = { ...staticIntel({}), awsRange: (ip) => (ip.startsWith('52.216.') ? { region: 'eu-west-1', service: 'S3' } : undefined) };
/** `total` bytes to `dst` in 10-minute records from `start`. */
const upload = (dst: string, start: string, total: number, records: number) =>
  each(spaced(start, records, 600), (time) => [
    flowLine({ src: CASE_PRIVATE_IP, dst, srcPort: 44_100, dstPort: 443, packets: Math.ceil(total / records / 1_400), bytes: Math.round(total / records), time, seconds: 597, tcpFlags: 0 }),
  ]);
const night = (d: number) => `2026-11-${String(d).padStart(2, '0')}`;
/** Per day: the backup to a different S3 address each night, and six partner and package hosts of 20–120 MB. */
const ordinaryDay = (d: number) => [
  ...upload(`52.216.${d}.${d * 3}`, `${night(d)}T01:00:00Z`, 40 * GB, 12),
  ...Array.from({ length: 6 }, (_, h) => upload(`${[151, 104, 198][h % 3]}.${h + 20}.${h}.${h + 1}`, `${night(d)}T${String(8 + h).padStart(2, '0')}:00:00Z`, (h + 1) * 20e6, 1)).flat(),
];

describe('traffic volume next to a nightly S3 backup', () => {
  const days = Array.from({ length: 10 }, (_, i) => ordinaryDay(i + 1)).flat();

  test('the backup alone raises nothing', () => {
    assert.equal(runFlows([trafficVolume], days, { intel: s3 }).length, 0);
  });

  test('50 GB to a new internet host at night is unusual, though the instance ships 40 GB to S3 nightly', () => {
    const exfiltration = upload('185.220.10.10', '2026-11-10T02:00:00Z', 50 * GB, 18);
    const found = runFlows([trafficVolume], [...days, ...exfiltration], { intel: s3 });
    assert.deepEqual(found.map((o) => o.finding.service.additionalInfo.remoteHost), ['185.220.10.10']);
  });
});
