import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import { DEFAULT_SETTINGS, type Detection, type NetworkCase } from '../src/detect/detection.js';
import { connectionOf } from '../src/detect/network/connection.js';
import { dohProvider, firstSeen, portScan } from '../src/detect/network/first-seen.js';
import { connectionLines, everyMinute } from '../src/detect/network/flow-case-builders.js';
import { flowThreatIntel } from '../src/detect/network/flow-threat-intel.js';
import { portProbe } from '../src/detect/network/port-probe.js';
import { scans } from '../src/detect/network/scans.js';
import { tor } from '../src/detect/network/tor.js';
import { flowFromLine, flowLine } from '../src/detect/network-records.js';
import { DetectionRunner, StateStore } from '../src/detect/runner.js';
import { staticIntel } from '../src/intel/static.js';
import { THREAT_CATEGORIES, threatCategory } from '../src/intel/threat-categories.js';
import { MANAGED_FEEDS } from '../src/intel/feeds.js';
import { loadIntel } from '../src/intel/load.js';
import { CUSTOM, type ListDeclaration, readList, saveList } from '../src/intel/store.js';
import { scratchDir, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-flow-intel-');
after(() => scratch.cleanup());

const run = (detection: Detection, c: Omit<NetworkCase, 'name' | 'expect'>) => runCase([detection], { name: 'test', expect: [], ...c });
const byType = (occurrences: ReturnType<typeof run>, type: string) => occurrences.filter((o) => o.finding.type === type);

describe('threat categories', () => {
  test('free-text threat names map to the vocabulary; unknown and missing names are Malicious', () => {
    const cases: [string | undefined, string][] = [
      ['CommandAndControl', 'CommandAndControl'], ['BotnetCnC', 'CommandAndControl'], ['SpywareCnC', 'CommandAndControl'], ['Cobalt Strike C2', 'CommandAndControl'],
      ['Bitcoin_Related', 'Cryptocurrency'], ['XMR mining pool', 'Cryptocurrency'], ['Sinkhole', 'Blackhole'], ['Drop', 'DropPoint'],
      ['Dropper', 'Malicious'], ['Phishing kit host', 'Phishing'], ['DriveBySrc', 'DriveBy'], ['DGA', 'DGA'], ['Scanning subnet', 'Scanner'],
      ['Brute_Forcer', 'Scanner'], ['Compromised', 'Malicious'], ['', 'Malicious'], [undefined, 'Malicious'], ['scanner', 'Scanner'],
    ];
    for (const [name, category] of cases) assert.equal(threatCategory(name), category, String(name));
  });

  test('managed feeds are stored with a category name', () => {
    for (const feed of MANAGED_FEEDS.filter((f) => f.threatName)) assert.ok(THREAT_CATEGORIES.includes(feed.threatName!), feed.name);
    assert.equal(MANAGED_FEEDS.find((f) => f.name === 'Feodo')?.threatName, 'CommandAndControl');
    assert.equal(MANAGED_FEEDS.find((f) => f.name === 'EmergingThreats')?.threatName, 'Malicious');
  });
});

describe('connectionOf', () => {
  const time = '2026-11-02T10:00:00Z';
  test('request and reply records of one connection give the same ends and direction', () => {
    const [request, reply] = connectionLines({ remote: '198.51.100.7', opener: 'instance', port: 443, clientPort: 51000, time }).map((l) => connectionOf(flowFromLine(l)));
    for (const c of [request!, reply!]) {
      assert.equal(c.direction, 'OUTBOUND');
      assert.deepEqual([c.localIp, c.localPort, c.remoteIp, c.remotePort], ['10.0.1.25', 51000, '198.51.100.7', 443]);
    }
    assert.deepEqual([request!.request, reply!.request], [true, false]);
  });

  test('without TCP flags or the direction field, the server is the well-known, then the non-ephemeral, then the lower port', () => {
    const at = (src: string, dst: string, srcPort: number, dstPort: number) =>
      connectionOf(flowFromLine(flowLine({ src, dst, srcPort, dstPort, time, tcpFlags: 0 }))).direction;
    assert.equal(at('10.0.1.25', '198.51.100.7', 443, 51000), 'INBOUND', 'reply of a served HTTPS request');
    assert.equal(at('10.0.1.25', '198.51.100.7', 51000, 443), 'OUTBOUND');
    assert.equal(at('10.0.1.25', '198.51.100.7', 8080, 40000), 'INBOUND', 'reply from 8080 to an ephemeral client port');
    assert.equal(at('10.0.1.25', '198.51.100.7', 40000, 4444), 'OUTBOUND');
    assert.equal(at('10.0.1.25', '198.51.100.7', 1200, 3000), 'INBOUND', 'the lower port serves');
    assert.equal(at('198.51.100.7', '10.0.1.25', 5060, 5060), 'INBOUND', 'equal ports: the record direction stands');
  });

  test('TCP flags decide unless a well-known port faces an ephemeral one', () => {
    const at = (src: string, dst: string, srcPort: number, dstPort: number, tcpFlags: number) =>
      connectionOf(flowFromLine(flowLine({ src, dst, srcPort, dstPort, time, tcpFlags }))).direction;
    assert.equal(at('10.0.1.25', '198.51.100.7', 45000, 50050, 2), 'OUTBOUND', 'SYN to a team server on a high port');
    assert.equal(at('198.51.100.7', '10.0.1.25', 53, 8080, 2), 'INBOUND', 'a scan from source port 53');
    assert.equal(at('10.0.1.25', '198.51.100.7', 8080, 53, 18), 'INBOUND', 'its SYN-ACK');
    assert.equal(at('198.51.100.7', '10.0.1.25', 51000, 443, 19), 'INBOUND', 'port 443 facing an ephemeral port outweighs odd flags');
  });
});

describe('flow threat intel', () => {
  const feodo = { ip: '198.51.100.23', listName: 'Feodo', custom: false, threatName: 'CommandAndControl' };

  test('C&C: ACTOR, outbound, the remote server port, evidence of the list; blocked attempts say so', () => {
    const [finding] = run(flowThreatIntel, {
      flows: [
        ...connectionLines({ remote: feodo.ip, opener: 'instance', port: 443, time: '2026-11-02T10:00:00Z' }),
        ...connectionLines({ remote: feodo.ip, opener: 'instance', port: 443, time: '2026-11-02T10:05:00Z', action: 'REJECT' }),
      ],
      intel: { threatIps: [feodo] },
    }).map((o) => o.finding);
    assert.equal(finding!.type, 'Backdoor:EC2/C&CActivity.B');
    assert.equal(finding!.severity, 8);
    assert.equal(finding!.service.resourceRole, 'ACTOR');
    assert.equal(finding!.service.count, 2, 'one per connection, not per record');
    const action = finding!.service.action.networkConnectionAction!;
    assert.equal(action.connectionDirection, 'OUTBOUND');
    assert.equal(action.blocked, true, 'the latest attempt was rejected');
    assert.deepEqual(action.remotePortDetails, { port: 443, portName: 'HTTPS' });
    assert.equal(action.remoteIpDetails?.ipAddressV4, feodo.ip);
    assert.deepEqual(finding!.service.evidence?.threatIntelligenceDetails, [{ threatListName: 'Feodo', threatNames: ['CommandAndControl'], threatFileSha256: undefined }]);
  });

  test('custom lists: TARGET for accepted inbound, one finding per list', () => {
    const occurrences = run(flowThreatIntel, {
      flows: connectionLines({ remote: '203.0.113.201', opener: 'remote', port: 22, time: '2026-11-02T10:00:00Z' }),
      intel: { threatIps: [{ ip: '203.0.113.201', listName: 'a' }, { ip: '203.0.113.0/24', listName: 'b' }] },
    });
    assert.deepEqual(occurrences.map((o) => [o.finding.type, o.finding.service.resourceRole, o.finding.service.additionalInfo.threatListName]).sort(), [
      ['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', 'TARGET', 'a'],
      ['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', 'TARGET', 'b'],
    ]);
    assert.equal(occurrences[0]!.finding.service.action.networkConnectionAction?.connectionDirection, 'INBOUND');
    assert.deepEqual(occurrences[0]!.finding.service.action.networkConnectionAction?.localPortDetails, { port: 22, portName: 'SSH' });
  });

  test('lists only apply to publicly routable remotes: a listed private peer raises nothing, a listed public one does', () => {
    const intel = { threatIps: [{ ip: '10.0.0.0/8', listName: 'soc-iocs' }, { ip: '203.0.113.200', listName: 'soc-iocs' }] };
    const connect = (remote: string) => connectionLines({ remote, opener: 'instance', port: 443, time: '2026-11-02T10:00:00Z' });
    assert.deepEqual(run(flowThreatIntel, { flows: connect('10.20.30.40'), intel }), []);
    assert.deepEqual(run(flowThreatIntel, { flows: connect('203.0.113.200'), intel }).map((o) => o.finding.type), ['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom']);
  });
});

describe('threat intel the user declares managed (intel add --managed)', () => {
  const managedList = [
    'ip, category, score, first_seen, last_seen, ports (|)',
    '198.51.100.31, 1, 127, 2024-01-01, 2024-03-01,',
    '198.51.100.32, 32, 90, 2024-01-01, 2024-03-01, 3333',
    '198.51.100.33, 4, 80, 2024-01-01, 2024-03-01,',
    '198.51.100.34, 23, 60, 2024-01-01, 2024-03-01,',
  ].join('\n');

  async function flowTypes(declared: ListDeclaration): Promise<string[]> {
    const lake = await tempLake();
    try {
      const file = path.join(scratch.dir, 'et-iqrisk.csv');
      writeFileSync(file, managedList);
      await saveList(lake.lake.connection, await readList(file), 'et-iqrisk', 'threat', declared);
      const intel = await loadIntel(lake.lake.connection);
      const runner = new DetectionRunner([flowThreatIntel], intel, DEFAULT_SETTINGS, new StateStore(), { intel, detectorId: '0'.repeat(32), partition: 'aws' });
      const remotes = ['198.51.100.31', '198.51.100.32', '198.51.100.33', '198.51.100.34'];
      for (const [i, remote] of remotes.entries()) {
        for (const line of connectionLines({ remote, opener: 'instance', port: 443, time: `2026-11-02T10:0${i}:00Z` })) runner.processFlow(flowFromLine(line));
      }
      return runner.finish().map((o) => `${o.finding.type} ${o.finding.service.additionalInfo.threatListName}`).sort();
    } finally {
      lake.close();
    }
  }

  test('its Proofpoint categories raise C&C, BitcoinTool.B, DropPoint and BlackholeTraffic; the same list uploaded gives .Custom', async () => {
    assert.deepEqual(await flowTypes({ feed: 'user-managed' }), [
      'Backdoor:EC2/C&CActivity.B et-iqrisk',
      'CryptoCurrency:EC2/BitcoinTool.B et-iqrisk',
      'Trojan:EC2/BlackholeTraffic et-iqrisk',
      'Trojan:EC2/DropPoint et-iqrisk',
    ]);
    assert.deepEqual(await flowTypes(CUSTOM), ['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom et-iqrisk']);
  });
});

describe('flows to an IPv6 address carrying an IPv4 one', () => {
  test('C&C reached through NAT64 (64:ff9b::/96) is the listed IPv4 C&C; reported as the IPv6 address logged, with the IPv4 geo', () => {
    const [finding] = run(flowThreatIntel, {
      flows: connectionLines({ remote: '64:ff9b::808:808', local: '2600:1f18:aaaa:bbbb::25', opener: 'instance', port: 443, time: '2026-11-02T10:00:00Z' }),
      intel: { threatIps: [{ ip: '8.8.8.8', listName: 'Feodo', custom: false, threatName: 'CommandAndControl' }] },
    });
    assert.equal(finding?.finding.type, 'Backdoor:EC2/C&CActivity.B');
    const remote = finding!.finding.service.action.networkConnectionAction!.remoteIpDetails!;
    assert.equal(remote.ipAddressV6, '64:ff9b::808:808');
    assert.equal(remote.ipAddressV4, undefined);
    assert.equal(remote.organization?.asn, '15169');
  });
});

describe('port probes', () => {
  const scanners = Array.from({ length: 12 }, (_, i) => `192.0.2.${40 + i}`);
  const intel = { threatIps: scanners.map((ip) => ({ ip, listName: 'ProofPoint', custom: false, threatName: 'Scanner' })) };
  const probe = (remote: string, port: number, time: string) => connectionLines({ remote, opener: 'remote', port, time, bytesUp: 60, bytesDown: 44 });

  test('Low on SSH, High on Elasticsearch; one finding per instance whose details keep the latest ten probes', () => {
    const low = run(portProbe, { flows: probe(scanners[0]!, 22, '2026-11-02T10:00:00Z'), intel });
    assert.equal(low[0]!.finding.severity, 2);
    const flows = [...scanners.slice(0, 11).flatMap((ip, i) => probe(ip, 9200 + (i % 2) * 100, `2026-11-02T10:${String(i).padStart(2, '0')}:00Z`))];
    const [high] = run(portProbe, { flows, intel });
    assert.equal(high!.finding.severity, 8);
    assert.equal(high!.finding.service.count, 11);
    assert.equal(high!.finding.service.resourceRole, 'TARGET');
    const details = high!.finding.service.action.portProbeAction!.portProbeDetails;
    assert.equal(details.length, 10);
    assert.equal(details[0]!.remoteIpDetails?.ipAddressV4, scanners[10], 'newest first');
    assert.deepEqual(details[0]!.localPortDetails, { port: 9200, portName: 'Elasticsearch' });
    assert.deepEqual(details[0]!.localIpDetails, { ipAddressV4: '10.0.1.25' });
  });

  test('probes by scanners on different lists: the evidence names every list, threatListName the latest probe\'s', () => {
    const [finding] = run(portProbe, {
      flows: [...probe('203.0.113.21', 22, '2026-11-02T10:00:00Z'), ...probe('203.0.113.22', 3389, '2026-11-02T10:05:00Z'), ...probe('203.0.113.21', 8080, '2026-11-02T10:06:00Z')],
      intel: { threatIps: [{ ip: '203.0.113.21', listName: 'scanners-a', threatName: 'Scanner' }, { ip: '203.0.113.22', listName: 'scanners-b', threatName: 'Brute_Forcer' }] },
    });
    assert.equal(finding!.finding.service.count, 3);
    assert.equal(finding!.finding.service.additionalInfo.threatListName, 'scanners-a');
    assert.deepEqual(finding!.finding.service.evidence!.threatIntelligenceDetails.map((d) => [d.threatListName, d.threatNames]), [
      ['scanners-a', ['Scanner']],
      ['scanners-b', ['Brute_Forcer']],
    ]);
  });

  test('EMR ports are named in the details', () => {
    const [emr] = run(portProbe, { flows: probe(scanners[0]!, 8088, '2026-11-02T10:00:00Z'), intel });
    assert.equal(emr!.finding.type, 'Recon:EC2/PortProbeEMRUnprotectedPort');
    assert.equal(emr!.finding.severity, 8);
    assert.deepEqual(emr!.finding.service.action.portProbeAction!.portProbeDetails[0]!.localPortDetails, { port: 8088, portName: 'YARN ResourceManager' });
  });

  test('on a server that is no EMR node, the port has the name every other finding gives it', () => {
    const notebook = portProbe.cases().find((c) => c.name.startsWith('port 8888 on a tagged non-EMR'))!;
    const [finding] = runCase([portProbe], notebook);
    assert.deepEqual(finding!.finding.service.action.portProbeAction!.portProbeDetails[0]!.localPortDetails, { port: 8888, portName: 'HTTP' });
  });
});

describe('Tor', () => {
  test('a relay finding names its ORPort and peer counts', () => {
    const relays = Array.from({ length: 10 }, (_, i) => `185.220.101.${i + 1}`);
    const flows = everyMinute('2026-11-02T14:00:00Z', 5, (time, i) => [
      ...connectionLines({ remote: relays[i]!, opener: 'remote', port: 9001, time }),
      ...connectionLines({ remote: relays[i + 5]!, opener: 'instance', port: 9001, time }),
    ]);
    const relay = byType(run(tor, { flows, intel: { torRelays: relays } }), 'UnauthorizedAccess:EC2/TorRelay');
    assert.equal(relay.length, 1);
    assert.deepEqual(relay[0]!.finding.service.additionalInfo, { orPort: 9001, inboundRelays: 5, outboundRelays: 5 });
    assert.match(relay[0]!.finding.description, /5 Tor relays on port 9001/);
  });
});

describe('first-seen', () => {
  const day1 = everyMinute('2026-11-02T06:00:00Z', 5, (time) => connectionLines({ remote: '151.101.1.132', opener: 'instance', port: 443, time }));

  test('a log4j callback is High with its context; other ports are Medium with the port as `unusual`', () => {
    const occurrences = run(firstSeen, {
      flows: [
        ...day1,
        ...connectionLines({ remote: '198.51.100.99', opener: 'instance', port: 1389, time: '2026-11-03T13:37:00Z', bytesUp: 400 }),
        ...connectionLines({ remote: '198.51.100.98', opener: 'instance', port: 5060, protocol: 'udp', time: '2026-11-03T13:38:00Z', bytesUp: 1_912 }),
      ],
      settings: { learningDays: 1 },
    });
    const [log4j, sip] = byType(occurrences, 'Behavior:EC2/NetworkPortUnusual').sort((a, b) => b.finding.severity - a.finding.severity);
    assert.equal(log4j!.finding.severity, 8);
    assert.equal(log4j!.finding.service.additionalInfo.context, 'Possible log4j callback');
    assert.equal(log4j!.finding.service.additionalInfo.unusual, '1389');
    assert.equal(sip!.finding.severity, 5);
    assert.deepEqual(sip!.finding.service.additionalInfo, {
      unusual: '5060',
      localPort: String(sip!.finding.service.action.networkConnectionAction!.localPortDetails!.port),
      outBytes: '1912',
      inBytes: '4800',
    });
    assert.equal(sip!.finding.service.action.networkConnectionAction?.protocol, 'UDP');
  });

  test('NetworkPortUnusual has the bytes both ways whichever record of the connection comes first', () => {
    const [request, reply] = connectionLines({ remote: '198.51.100.98', opener: 'instance', port: 5060, time: '2026-11-03T13:38:00Z', bytesUp: 1_912, bytesDown: 4_621 });
    const unusual = (lines: string[]) => {
      const found = byType(run(firstSeen, { flows: [...day1, ...lines], settings: { learningDays: 1 } }), 'Behavior:EC2/NetworkPortUnusual');
      assert.equal(found.length, 1);
      return found[0]!.finding.service;
    };
    for (const order of [[request!, reply!], [reply!, request!]]) {
      const service = unusual(order);
      assert.equal(service.additionalInfo.outBytes, '1912');
      assert.equal(service.additionalInfo.inBytes, '4621');
      assert.equal(service.count, 1, 'the reply is the same connection, not a second occurrence');
      assert.equal(service.action.networkConnectionAction?.localPortDetails?.port, 50_000 + (Date.parse('2026-11-03T13:38:00Z') / 1000) % 10_000);
    }
    // A reply whose request is missing (dropped by the log's capture window) is still raised, at the end of the run.
    assert.deepEqual([unusual([reply!]).additionalInfo.outBytes, unusual([reply!]).additionalInfo.inBytes], ['0', '4621']);
  });

  test('history and the learning period carry over between runs through detection state', () => {
    const intel = staticIntel({});
    const settings = { ...DEFAULT_SETTINGS, learningDays: 1 };
    const runWith = (state: StateStore, lines: string[]) => {
      const runner = new DetectionRunner([firstSeen], intel, settings, state, { intel, detectorId: '0'.repeat(32), partition: 'aws' });
      for (const line of lines) runner.processFlow(flowFromLine(line));
      return runner.finish().map((o) => o.finding.type);
    };
    const later = connectionLines({ remote: '203.0.113.50', opener: 'instance', port: 4444, time: '2026-11-03T13:37:00Z' });
    const state = new StateStore();
    assert.deepEqual(runWith(state, day1), []);
    assert.deepEqual(runWith(state, later), ['Behavior:EC2/NetworkPortUnusual']);
    assert.deepEqual(runWith(new StateStore(), later), [], 'an instance first seen now is still learning');
  });

  test('a port scan is one Portscan: its probes neither raise nor teach a port, and the probed 53 is no resolver', () => {
    const later = connectionLines({ remote: '198.51.100.7', opener: 'instance', port: 31, time: '2026-11-03T13:00:00Z', bytesUp: 2_000 });
    const occurrences = runCase([firstSeen, scans], { name: 'scan', expect: [], flows: [...day1, ...portScan(), ...later], settings: { learningDays: 1 } });
    assert.deepEqual(occurrences.map((o) => [o.finding.type, o.finding.service.additionalInfo.unusual]), [
      ['Recon:EC2/Portscan', undefined],
      ['Behavior:EC2/NetworkPortUnusual', '31'],
    ]);
  });

  test('NetworkPortUnusual is one finding per remote host: a scan with data on 40 ports counts up, another host is another finding', () => {
    const other = connectionLines({ remote: '198.51.100.7', opener: 'instance', port: 8081, time: '2026-11-03T13:00:00Z', bytesUp: 2_000 });
    const found = byType(run(firstSeen, { flows: [...day1, ...portScan(900, 2_400), ...other], settings: { learningDays: 1 } }), 'Behavior:EC2/NetworkPortUnusual');
    assert.deepEqual(
      found.map((o) => [o.finding.service.action.networkConnectionAction?.remoteIpDetails?.ipAddressV4, o.finding.service.count, o.finding.service.additionalInfo.unusual]),
      [['45.79.40.40', 39, '69'], ['198.51.100.7', 1, '8081']],
      'port 53 of the scanned host goes to UnusualDNSResolver',
    );
  });

  test('DoH servers are known by address, IPv4 and IPv6, exact or by range', () => {
    assert.equal(dohProvider('1.1.1.1'), 'Cloudflare');
    assert.equal(dohProvider('8.8.4.4'), 'Google');
    assert.equal(dohProvider('45.90.28.77'), 'NextDNS');
    assert.equal(dohProvider('2620:fe::fe'), 'Quad9');
    assert.equal(dohProvider('2620:00fe:0:0:0:0:0:00fe'), 'Quad9', 'any IPv6 spelling');
    assert.equal(dohProvider('104.16.132.229'), undefined);
    assert.equal(dohProvider('not-an-ip'), undefined);
  });
});
