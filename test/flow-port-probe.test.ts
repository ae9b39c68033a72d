import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCase, typesRaised } from '../src/detect/cases.js';
import type { NetworkCase } from '../src/detect/detection.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { portProbe } from '../src/detect/network/port-probe.js';

const SCANNERS = ['45.155.205.10', '45.155.205.11', '89.248.165.20'];
const intel = { threatIps: SCANNERS.map((ip) => ({ ip, listName: 'ProofPoint', custom: false, threatName: 'Scanner' })) };
const run = (flows: string[]) => {
  const networkCase: NetworkCase = { name: 'test', expect: [], intel, flows };
  return runCase([portProbe], networkCase);
};
const NAT_ENI = 'eni-0nat00000000001c';
const types = (flows: string[]) => typesRaised(run(flows));
/** The request records of accepted probes, with no answer: what a NAT gateway's interface or a host firewall leaves. */
const unanswered = (port: number, i: number, options: { local?: string; instance?: string | null; eni?: string } = {}) =>
  connectionLines({ remote: SCANNERS[i % 3]!, opener: 'remote', port, time: `2026-11-02T10:0${i}:00Z`, bytesUp: 44, ...options }).slice(0, 1);

test('scanners reaching a NAT gateway’s interface (ACCEPTed inbound, never answered) are no port probes', () => {
  assert.deepEqual(types([22, 3389, 9200].flatMap((port, i) => unanswered(port, i, { local: '10.0.0.100', instance: null, eni: NAT_ENI }))), []);
});

test('probes a host firewall drops after the security group let them in are no port probes', () => {
  assert.deepEqual(types([22, 6379].flatMap((port, i) => unanswered(port, i))), []);
});

test('the answered probe of the same port is one (High on 9200)', () => {
  const occurrences = run(connectionLines({ remote: SCANNERS[0]!, opener: 'remote', port: 9200, time: '2026-11-02T10:00:00Z', bytesUp: 44, bytesDown: 60 }));
  assert.deepEqual(occurrences.map((o) => [o.finding.type, o.finding.severity, o.finding.service.resourceRole, o.finding.service.action.actionType]), [['Recon:EC2/PortProbeUnprotectedPort', 8, 'TARGET', 'PORT_PROBE']]);
});

test('a v2 record of the instance calling a host on a generic custom list (ports 45000 → 50050) is no probe of port 45000', () => {
  const v2 = (line: string) => line.split(' ').slice(0, 17).join(' ') + ' - -';
  const networkCase: NetworkCase = {
    name: 'test',
    expect: [],
    intel: { threatIps: [{ ip: '194.87.1.10', listName: 'soc-iocs' }] },
    flows: connectionLines({ remote: '194.87.1.10', opener: 'instance', port: 50050, clientPort: 45000, time: '2026-11-02T10:00:00Z', withDirection: false }).map(v2),
  };
  assert.deepEqual(runCase([portProbe], networkCase), []);
});
