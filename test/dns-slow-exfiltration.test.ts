import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Occurrence } from '../src/findings/build.js';
import { dnsDataExfiltration, SLOW, slowTunnel } from '../src/detect/dns/data-exfiltration.js';
import { StateStore } from '../src/detect/runner.js';
import { reload, runQueries, stateSize } from './helpers/network-runs.js';

/** DNSDataExfiltration's long window : slow tunnels by per-domain volume over hours, in bounded state. */
const run = (records: Record<string, unknown>[], state = new StateStore()): Occurrence[] => runQueries([dnsDataExfiltration], records, { state });

describe('slow DNS tunnels', () => {
  test('the audit’s tunnel (a query every 20 s) is raised within its first hours, first seen at its first payload', () => {
    const [found, ...more] = run(slowTunnel(600, 20));
    assert.equal(more.length, 0);
    const f = found!.finding;
    assert.equal(f.type, 'Trojan:EC2/DNSDataExfiltration');
    assert.equal(f.severity, 8);
    assert.equal(f.service.eventFirstSeen, '2026-11-05T01:30:00Z');
    assert.equal(f.service.additionalInfo.tunnelDomain, 'cdn-telemetry-sync.net');
    // Raised about the 300th payload (the sketch estimates beyond 32), then each further one is a repeat.
    assert.ok(f.service.count > 200 && f.service.count < 400, `count ${f.service.count}`);
  });

  test('a day at one query every 3 minutes stays under the long window’s threshold (a documented miss)', () => {
    assert.equal(run(slowTunnel(480, 180)).length, 0);
  });

  test('the long window carries across runs', () => {
    const state = new StateStore();
    const tunnel = slowTunnel(600, 20);
    assert.equal(run(tunnel.slice(0, 200), state).length, 0);
    const [found] = run(tunnel.slice(200), reload(state));
    assert.equal(found?.finding.service.eventFirstSeen, '2026-11-05T01:30:00Z');
  });

  test('state stays bounded however many payloads: a day at 3 a minute keeps at most two sketches', () => {
    const state = new StateStore();
    run(slowTunnel(4_320, 20), state);
    const tunnels = [...state.entries()].filter((e) => e.key === 'tunnels');
    const periods = tunnels.flatMap((e) => JSON.parse(JSON.stringify(e.value)).entries as [string, { p?: { v: number[] }[] }][]).flatMap(([, tunnel]) => tunnel.p ?? []);
    assert.equal(periods.length, 2);
    assert.ok(periods.every((period) => period.v.length <= SLOW.sketch));
    assert.ok(stateSize(state) < 5_000, `state ${stateSize(state)} bytes`);
  });
});
