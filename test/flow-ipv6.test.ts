import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flowSides, isNeverLocalIpv6, isPrivateIp } from '../src/detect/network-event.js';
import { CASE_IPV6, flowFromLine, flowLine } from '../src/detect/network-records.js';
import { viewOf } from '../src/detect/network/flow-windows.js';

/** How the volumetric and first-seen flow detections classify IPv6 ends (dual-stack VPCs). */
describe('IPv6 addresses in flow detections', () => {
  test('internal IPv6: ULA, link-local, site-local, multicast, loopback, unspecified; IPv4-mapped and NAT64 as their IPv4 address', () => {
    const cases: [string, boolean][] = [
      ['fd00:ec2::253', true], ['fd00:ec2::254', true], ['fc00::1', true], ['FD12:3456::1', true], ['fe80::1ff:fe23:4567:890a', true],
      ['febf::1', true], ['fec0::1', true], ['ff02::1', true], ['ff02::1:2', true], ['ff02::fb', true], ['::1', true], ['::', true],
      ['::ffff:10.0.0.5', true], ['::ffff:a00:5', true], ['::ffff:192.168.1.1', true], ['64:ff9b::10.1.2.3', true],
      ['::ffff:198.51.100.7', false], ['64:ff9b::c633:6407', false], ['2600:1f18::1', false], ['2001:db8:bad:1::7', false],
      // The first group decides, not its text's first letters: fc::1 is 00fc::1, fe::1 is 00fe::1.
      ['fc::1', false], ['fd::1', false], ['fe::1', false], ['fe8::1', false], ['fec::1', false], ['2001:4860:4860::8888', false],
      ['not-an-address', false], ['', false],
    ];
    for (const [ip, expected] of cases) assert.equal(isPrivateIp(ip), expected, ip);
  });

  test('ends never an interface’s own: multicast, AWS services on fd00:ec2::, NAT64 and IPv4-mapped', () => {
    for (const ip of ['ff02::1', 'fd00:ec2::253', 'FD00:EC2::254', '64:ff9b::c633:6407', '::ffff:198.51.100.7']) assert.ok(isNeverLocalIpv6(ip), ip);
    for (const ip of ['2600:1f18::1', 'fd00:ec3::1', 'fe80::1', '10.0.0.5', '2001:db8::1']) assert.ok(!isNeverLocalIpv6(ip), ip);
  });

  test('without flow-direction, the AWS resolver and a NAT64 peer are the remote end, whatever the ports', () => {
    const v2 = (line: string) => flowFromLine(line.replace(/ (ingress|egress)$/, ' -'));
    const query = flowSides(v2(flowLine({ src: CASE_IPV6, dst: 'fd00:ec2::253', srcPort: 41_000, dstPort: 53, protocol: 'udp', time: '2026-11-02T10:00:00Z' })));
    assert.equal(query.localIp, CASE_IPV6);
    assert.equal(query.remoteIp, 'fd00:ec2::253');
    const answer = flowSides(v2(flowLine({ src: 'fd00:ec2::253', dst: CASE_IPV6, srcPort: 53, dstPort: 41_000, protocol: 'udp', time: '2026-11-02T10:00:00Z' })));
    assert.equal(answer.localIp, CASE_IPV6);
    // NAT64: the lower port would make the IPv4 web server the interface's own end.
    const viaNat64 = flowSides(v2(flowLine({ src: CASE_IPV6, dst: '64:ff9b::c633:6407', srcPort: 45_000, dstPort: 443, time: '2026-11-02T10:00:00Z' })));
    assert.equal(viaNat64.localIp, CASE_IPV6);
    assert.equal(viaNat64.direction, 'OUTBOUND');
  });

  test('judged remote ends: IPv6 needs flow-direction or a NAT64 peer; per-source keys are the /64 (IPv6) or the IPv4 address carried', () => {
    const view = (o: Partial<Parameters<typeof flowLine>[0]>) =>
      viewOf(flowFromLine(flowLine({ src: '2001:db8:bad:1:aaaa:bbbb:cccc:dddd', dst: CASE_IPV6, srcPort: 50_000, dstPort: 22, time: '2026-11-02T10:00:00Z', ...o })));
    const v5 = view({ direction: 'ingress' });
    assert.deepEqual([v5.judged, v5.remotePublic, v5.remoteGroup], [true, true, '2001:db8:bad:1::/64']);
    // Two global ends and no flow-direction: which one is the instance's is a guess, so neither is judged.
    const v2 = view({});
    assert.deepEqual([v2.judged, v2.remotePublic], [false, false]);
    const internal = view({ src: 'fd12:3456:789a:1::9', direction: 'ingress' });
    assert.deepEqual([internal.judged, internal.remotePublic, internal.remoteGroup], [true, false, 'fd12:3456:789a:1::/64']);
    const nat64 = view({ src: CASE_IPV6, dst: '64:ff9b::c633:6407', srcPort: 45_000, dstPort: 443 });
    assert.deepEqual([nat64.judged, nat64.remotePublic, nat64.remoteGroup], [true, true, '198.51.100.7']);
    const mapped = view({ src: '::ffff:10.0.7.44', direction: 'ingress' });
    assert.deepEqual([mapped.judged, mapped.remotePublic, mapped.remoteGroup], [true, false, '10.0.7.44']);
    const multicast = view({ src: 'fe80::1', dst: 'ff02::1:2', srcPort: 546, dstPort: 547, protocol: 'udp', direction: 'egress' });
    assert.deepEqual([multicast.judged, multicast.remotePublic], [false, false]);
    const ipv4 = viewOf(flowFromLine(flowLine({ src: '203.0.113.5', dst: '10.0.1.25', srcPort: 50_000, dstPort: 22, time: '2026-11-02T10:00:00Z' })));
    assert.deepEqual([ipv4.judged, ipv4.remotePublic, ipv4.remoteGroup], [true, true, '203.0.113.5']);
  });
});
