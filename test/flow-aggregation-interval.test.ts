import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { denialOfService } from '../src/detect/network/denial-of-service.js';
import { rejectedSurge } from '../src/detect/network/rejected-surge.js';
import { each, spaced } from '../src/detect/network/flow-volume-cases.js';
import { CASE_PRIVATE_IP, flowLine } from '../src/detect/network-records.js';
import { StateStore } from '../src/detect/runner.js';
import { reload, runFlows } from './helpers/network-runs.js';

/**
 * Flow logs aggregate over 1 minute or 10 minutes (AWS's default). The same traffic must give the same
 * findings either way: a record counts at its rate over the minutes it spans, not all in its first.
 */
const TEN_MINUTES = 600;
/** A UDP sender to one public host, `perMinute` 180-byte packets, as records of `seconds` each, for `minutes`. */
const udpSender = (start: string, minutes: number, perMinute: number, seconds: number) =>
  each(spaced(start, (minutes * 60) / seconds, seconds), (time) => [
    flowLine({ src: CASE_PRIVATE_IP, dst: '198.51.100.90', srcPort: 40_000, dstPort: 8125, protocol: 'udp', packets: (perMinute * seconds) / 60, bytes: (perMinute * seconds * 180) / 60, time, seconds: seconds - 3 }),
  ]);
const dos = (lines: string[], state = new StateStore()) => runFlows([denialOfService], lines, { state }).map((o) => [o.finding.type, o.finding.service.count]);

describe('denial of service and the aggregation interval', () => {
  test('a steady 15,000 packets a minute (250 per second) is under the floor in 10-minute records as in 1-minute ones', () => {
    assert.deepEqual(dos(udpSender('2026-11-02T00:00:00Z', 24 * 60, 15_000, 60)), []);
    assert.deepEqual(dos(udpSender('2026-11-02T00:00:00Z', 24 * 60, 15_000, TEN_MINUTES)), []);
  });

  test('a flood of 40,000 packets a minute in 10-minute records is raised, once per window length, across runs', () => {
    const flood = udpSender('2026-11-02T10:00:00Z', 30, 40_000, TEN_MINUTES);
    const later = udpSender('2026-11-02T11:00:00Z', 10, 10, TEN_MINUTES);
    assert.deepEqual(dos([...flood, ...later]), [['Backdoor:EC2/DenialOfService.Udp', 6]]);
    // Each 10-minute record in its own run: the minutes it reaches wait in state for the next.
    let state = new StateStore();
    const perRun = [...flood, ...later].flatMap((line) => {
      const found = dos([line], state);
      state = reload(state);
      return found;
    });
    // Each run reports what it raised; the lake adds the counts up.
    assert.deepEqual(perRun.map(([type]) => type), perRun.map(() => 'Backdoor:EC2/DenialOfService.Udp'));
    assert.equal(perRun.reduce((sum, [, n]) => sum + Number(n), 0), 6);
  });
});

describe('rejected surges and the aggregation interval', () => {
  /** The instance's first record, at midnight: its learning hour is over by 02:00. */
  const watched = flowLine({ src: CASE_PRIVATE_IP, dst: '52.94.236.248', srcPort: 44_000, dstPort: 443, time: '2026-11-02T00:00:00Z', direction: 'egress' });
  /** A client retrying blocked 8443, `perMinute` rejected packets, as records of `seconds` each, for an hour. */
  const retrying = (perMinute: number, seconds: number) =>
    each(spaced('2026-11-02T02:00:00Z', 3_600 / seconds, seconds), (time) => [
      flowLine({ src: '203.0.113.9', dst: CASE_PRIVATE_IP, srcPort: 51_000, dstPort: 8443, packets: (perMinute * seconds) / 60, bytes: (perMinute * seconds * 44) / 60, time, seconds: seconds - 3, action: 'REJECT', direction: 'ingress' }),
    ]);
  const surges = (lines: string[]) => runFlows([rejectedSurge], [watched, ...lines]).map((o) => o.finding.service.additionalInfo?.surge);

  test('15 packets a minute is under the source floor in 10-minute records as in 1-minute ones', () => {
    assert.deepEqual(surges(retrying(15, 60)), []);
    assert.deepEqual(surges(retrying(15, TEN_MINUTES)), []);
  });

  test('30 packets a minute is a surge either way', () => {
    assert.deepEqual(surges(retrying(30, 60)), ['source']);
    assert.deepEqual(surges(retrying(30, TEN_MINUTES)), ['source']);
  });
});

describe('denial of service: the minutes a record reaches', () => {
  test('a flood in the last 10-minute record of the data is judged over all its minutes', () => {
    assert.deepEqual(dos(udpSender('2026-11-02T10:00:00Z', 10, 80_000, TEN_MINUTES)), [['Backdoor:EC2/DenialOfService.Udp', 2]]);
  });

  test('a new service sending 30,000 small packets a minute for ever is raised for its first hour, then learned', () => {
    // Every 5 minutes from 00:03 (120,000 packets in 4 minutes) to 01:03, in 10-minute records as in 1-minute ones.
    const count = (seconds: number) => dos(udpSender('2026-11-02T00:00:00Z', 6 * 60, 30_000, seconds)).map(([, n]) => n);
    assert.deepEqual(count(60), [13]);
    assert.deepEqual(count(TEN_MINUTES), [13]);
  });
});
