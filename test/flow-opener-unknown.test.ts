import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import type { Detection, NetworkCase } from '../src/detect/detection.js';
import { connectionOf } from '../src/detect/network/connection.js';
import { flowThreatIntel } from '../src/detect/network/flow-threat-intel.js';
import { portProbe } from '../src/detect/network/port-probe.js';
import { type FlowOptions, flowFromLine, flowLine } from '../src/detect/network-records.js';

/**
 * Records that do not show who opened their connection: no TCP flags and two ports of one class, or no
 * ports at all (ICMP) or equal ones (NTP 123↔123). Both records of such an exchange look like requests.
 */
const SCANNER = '45.155.205.10';
const C2 = '194.87.1.10';
const INSTANCE = '10.0.1.25';
const intel = {
  threatIps: [
    { ip: SCANNER, listName: 'ProofPoint', custom: false, threatName: 'Scanner' },
    { ip: C2, listName: 'Feodo', custom: false, threatName: 'CommandAndControl' },
  ],
};
const time = '2026-11-02T10:00:00Z';
const line = (o: Omit<FlowOptions, 'time'>) => flowLine({ time, tcpFlags: 0, ...o });
/** A request and its reply, written the way a format without tcp-flags (v2) or with flow-direction (v5) logs them. */
const exchange = (client: string, server: string, clientPort: number, serverPort: number, protocol: 'tcp' | 'udp' | 'icmp', v5: boolean) => [
  line({ src: client, dst: server, srcPort: clientPort, dstPort: serverPort, protocol, ...(v5 ? { direction: client === INSTANCE ? 'egress' : 'ingress' } : {}) }),
  line({ src: server, dst: client, srcPort: serverPort, dstPort: clientPort, protocol, ...(v5 ? { direction: server === INSTANCE ? 'egress' : 'ingress' } : {}) }),
];
const run = (detection: Detection, flows: string[]) => runCase([detection], { name: 'test', expect: [], intel, flows } as NetworkCase);
const summary = (detection: Detection, flows: string[]) =>
  run(detection, flows).map((o) => [o.finding.type, o.finding.service.resourceRole, o.finding.service.action.networkConnectionAction?.connectionDirection ?? 'PROBE']);

describe('connectionOf: does the record show who opened the connection?', () => {
  test('ports of different classes and TCP flags show it; two ephemeral ports, ICMP and 123↔123 do not', () => {
    const known = (o: Omit<FlowOptions, 'time'>) => connectionOf(flowFromLine(line(o))).openerKnown;
    assert.equal(known({ src: INSTANCE, dst: C2, srcPort: 45000, dstPort: 443 }), true);
    assert.equal(known({ src: INSTANCE, dst: C2, srcPort: 45000, dstPort: 50050, tcpFlags: 2 }), true);
    assert.equal(known({ src: INSTANCE, dst: C2, srcPort: 45000, dstPort: 50050 }), false);
    assert.equal(known({ src: INSTANCE, dst: C2, srcPort: 0, dstPort: 0, protocol: 'icmp' }), false);
    assert.equal(known({ src: INSTANCE, dst: C2, srcPort: 123, dstPort: 123, protocol: 'udp' }), false);
  });
});

describe('port probes need a remote opener', () => {
  for (const v5 of [true, false]) {
    test(`an ntpd reply from a listed NTP server (123↔123) is not a probe of port 123 (${v5 ? 'v5' : 'v2'})`, () => {
      assert.deepEqual(summary(portProbe, exchange(INSTANCE, SCANNER, 123, 123, 'udp', v5)), []);
    });
  }

  test('an accepted ping from a scanner, and the instance pinging a scanner, are not port probes', () => {
    assert.deepEqual(summary(portProbe, [...exchange(SCANNER, INSTANCE, 0, 0, 'icmp', true), ...exchange(INSTANCE, SCANNER, 0, 0, 'icmp', true)]), []);
  });

  test('a scanner reaching HDFS 50070 from an ephemeral port, logged without TCP flags, is a probe (the scanner is the client)', () => {
    const occurrences = run(portProbe, exchange(SCANNER, INSTANCE, 40000, 50070, 'tcp', false));
    assert.deepEqual(occurrences.map((o) => o.finding.type), ['Recon:EC2/PortProbeEMRUnprotectedPort']);
    assert.equal(occurrences[0]!.finding.service.action.portProbeAction?.portProbeDetails[0]?.localPortDetails.port, 50070);
  });
});

describe('flow threat intel: a listed C&C server is the server when the record does not say', () => {
  test('a REJECTed v2 attempt to a Cobalt Strike team server on 50050 from port 45000 is the instance’s (ACTOR, OUTBOUND)', () => {
    const [request] = exchange(INSTANCE, C2, 45000, 50050, 'tcp', false);
    const rejected = request!.replace(' ACCEPT ', ' REJECT ');
    assert.deepEqual(summary(flowThreatIntel, [rejected]), [['Backdoor:EC2/C&CActivity.B', 'ACTOR', 'OUTBOUND']]);
  });

  test('an accepted v2 beacon to 50050 and its reply make one ACTOR occurrence', () => {
    assert.deepEqual(summary(flowThreatIntel, exchange(INSTANCE, C2, 45000, 50050, 'tcp', false)), [['Backdoor:EC2/C&CActivity.B', 'ACTOR', 'OUTBOUND']]);
  });

  test('the instance pinging a C&C server and the echo reply make one ACTOR occurrence, not an ACTOR and a TARGET one', () => {
    assert.deepEqual(summary(flowThreatIntel, exchange(INSTANCE, C2, 0, 0, 'icmp', true)), [['Backdoor:EC2/C&CActivity.B', 'ACTOR', 'OUTBOUND']]);
  });
});
