import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runDetections } from '../src/detect/engine.js';
import { firstSeen } from '../src/detect/network/first-seen.js';
import { flowThreatIntel } from '../src/detect/network/flow-threat-intel.js';
import { portProbe } from '../src/detect/network/port-probe.js';
import { tor } from '../src/detect/network/tor.js';
import { staticIntel } from '../src/intel/static.js';
import { dataset, tempLake, type TestLake } from './helpers/lake.js';

/**
 * The real flow and DNS fixtures (AWS documentation examples, Elastic's integration tests) hold ordinary
 * traffic: parsed into a lake and run through the threat-intel, Tor, port-probe and first-seen detections,
 * they raise nothing, with Tor and threat lists loaded that hold none of their addresses.
 */
describe('real flow and DNS fixtures through the flow TI, Tor, port-probe and first-seen detections', () => {
  let lake: TestLake;
  before(async () => {
    lake = await tempLake();
    await lake.ingest([
      dataset('aws_docs_format_examples', 'vpcflow'),
      dataset('aws_docs_format_examples', 'route53_resolver'),
      dataset('elastic_integration_fixtures', 'vpcflow'),
      dataset('elastic_integration_fixtures', 'route53_resolver'),
    ]);
  });
  after(() => lake.close());

  test('raise no finding', async () => {
    const intel = staticIntel({
      threatIps: [
        { ip: '198.51.100.23', listName: 'Feodo', custom: false, threatName: 'CommandAndControl' },
        { ip: '192.0.2.44', listName: 'ProofPoint', custom: false, threatName: 'Scanner' },
        { ip: '203.0.113.200', listName: 'incident-2026-114' },
      ],
      torRelays: ['185.220.101.4', '128.31.0.39'],
      torExits: ['185.220.101.33'],
    });
    const summary = await runDetections(lake.lake, { intel, detections: [flowThreatIntel, tor, portProbe, firstSeen] });
    assert.ok(summary.flows >= 30, `flows read: ${summary.flows}`);
    assert.deepEqual(summary.findings.map((f) => f.type), []);
  });
});
