import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dnsDataExfiltration } from '../src/detect/dns/data-exfiltration.js';
import { querySeries } from '../src/detect/dns/dns-cases.js';
import { seededRandom } from '../src/detect/dns/name-samples.js';
import { bruteForce } from '../src/detect/network/brute-force.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { StateStore } from '../src/detect/runner.js';
import type { Occurrence } from '../src/findings/build.js';
import { reload, runFlows, runQueries } from './helpers/network-runs.js';

/**
 * Flow and DNS log files do not always arrive in time order: the file of 10:00 can come after the one of
 * 10:05, in the next `gumshoe detect` run. A window that meets the late, older records after newer ones must
 * still report the attack from its first record, as one run over all the files does.
 */

type Seen = { type: string; count: number; first: string; last: string };

/** What the findings table holds after the runs: count summed, first and last seen widened (engine.ts mergeWithStored). */
function merged(runs: Occurrence[][]): Map<string, Seen> {
  const found = new Map<string, Seen>();
  for (const occurrences of runs) {
    for (const { finding } of occurrences) {
      const { count, eventFirstSeen: first, eventLastSeen: last } = finding.service;
      const before = found.get(finding.id);
      found.set(finding.id, before
        ? { type: finding.type, count: before.count + count, first: first < before.first ? first : before.first, last: last > before.last ? last : before.last }
        : { type: finding.type, count, first, last });
    }
  }
  return found;
}

/** Deliveries in the order given, each a detect run on the state the one before left. */
function lateRuns<T>(deliveries: T[][], run: (records: T[], state: StateStore) => Occurrence[]): Map<string, Seen> {
  let state = new StateStore();
  const runs: Occurrence[][] = [];
  for (const records of deliveries) {
    runs.push(run(records, state));
    state = reload(state);
  }
  return merged(runs);
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** `count` distinct random base32 payloads of 52 characters, the same every run. */
function payloads(count: number): string[] {
  const random = seededRandom(41);
  return Array.from({ length: count }, () => Array.from({ length: 52 }, () => BASE32[Math.floor(random() * 32)]).join(''));
}

describe('log files delivered late (an older file in the run after a newer one)', () => {
  test('a DNS tunnel whose first five minutes arrive after the next five is reported from its first query', () => {
    // 60 encoded queries, one every 10 seconds from 01:30:00: over 50 within 10 minutes.
    const queries = querySeries(payloads(60).map((p) => `${p}.exfil-sync.net`), '2026-11-05T01:30:00Z', 10, { rcode: 'NXDOMAIN' });
    const firstFile = queries.slice(0, 30);
    const secondFile = queries.slice(30);
    const once = merged([runQueries([dnsDataExfiltration], queries)]);
    const late = lateRuns([secondFile, firstFile], (records, state) => runQueries([dnsDataExfiltration], records, { state }));

    const [batch] = [...once.values()];
    assert.equal(batch?.first, '2026-11-05T01:30:00Z');
    const [split] = [...late.values()];
    assert.ok(split, 'the tunnel is reported when its older half arrives');
    assert.equal(split.first, batch.first, 'first seen is the window’s first query, not the first one delivered');
    assert.equal(split.last, batch.last, 'last seen is the newest query, delivered before the ones that raised it');
  });

  test('an SSH brute force whose first attempts arrive in the next run is one attack from its first attempt', () => {
    // 24 inbound logins from one address, one every 12 seconds from 17:24:00 (20 within 10 minutes raise it).
    const lines = Array.from({ length: 24 }, (_, i) =>
      connectionLines({ remote: '203.0.113.77', opener: 'remote', port: 22, clientPort: 40_000 + i, time: new Date(Date.parse('2026-11-24T17:24:00Z') + i * 12_000).toISOString(), bytesUp: 2_400, bytesDown: 3_100 }),
    );
    const once = merged([runFlows([bruteForce], lines.flat())]);
    const late = lateRuns([lines.slice(12).flat(), lines.slice(0, 12).flat()], (records, state) => runFlows([bruteForce], records, { state }));

    const [batch] = [...once.values()];
    assert.equal(batch?.first, '2026-11-24T17:24:00Z');
    const [split] = [...late.values()];
    assert.ok(split, 'the attack is raised when its older attempts arrive');
    assert.equal(split.first, batch.first);
    assert.equal(split.last, batch.last, 'last seen is the newest attempt, delivered before the ones that raised it');
    assert.equal(late.size, 1);
  });

  test('an attempt delivered later than the whole window after the newest is not counted into it', () => {
    // 19 attempts at 18:00–18:03:36, then one from 17:40 delivered afterwards: never 20 within 10 minutes.
    const at = (i: number, time: number) =>
      connectionLines({ remote: '203.0.113.78', opener: 'remote', port: 22, clientPort: 41_000 + i, time: new Date(time).toISOString(), bytesUp: 2_400, bytesDown: 3_100 });
    const recent = Array.from({ length: 19 }, (_, i) => at(i, Date.parse('2026-11-24T18:00:00Z') + i * 12_000)).flat();
    const stale = at(99, Date.parse('2026-11-24T17:40:00Z'));
    assert.equal(merged([runFlows([bruteForce], [...stale, ...recent])]).size, 0);
    assert.equal(lateRuns([recent, stale], (records, state) => runFlows([bruteForce], records, { state })).size, 0);
  });
});
