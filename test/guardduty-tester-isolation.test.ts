import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addListsFromSpecs } from '../src/cli/intel.js';
import { runDetections } from '../src/detect/engine.js';
import { scratchDir, tempLake } from './helpers/lake.js';

/**
 * Each network or DNS test of awslabs/amazon-guardduty-tester, as a team running it would feed its logs to Gumshoe:
 * the scenario's files alone in a fresh lake (no history, no background, no CloudTrail, bundled intel only),
 * one detection run. The shapes are hand-made (test/fixtures/guardduty-tester-shapes/README.md).
 */
const SHAPES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/guardduty-tester-shapes');

interface Scenario {
  slug: string;
  /** GuardDuty's type and severity (guardduty.md), and the role when the tester expects one finding per side. */
  expected: { type: string; severity: number; role?: 'ACTOR' | 'TARGET' }[];
  /** Log sets of the scenario (each run alone): Resolver query logs, default v2 flow logs, v5 with flow-direction. */
  formats: ('dns' | 'v2' | 'v5')[];
}

const dnsProbe = (slug: string, type: string, severity: number): Scenario => ({ slug, expected: [{ type, severity }], formats: ['dns'] });

const SCENARIOS: Scenario[] = [
  dnsProbe('c2-activity-b-dns', 'Backdoor:EC2/C&CActivity.B!DNS', 8),
  dnsProbe('bitcoin-tool-b-dns', 'CryptoCurrency:EC2/BitcoinTool.B!DNS', 8),
  dnsProbe('drop-point-dns', 'Trojan:EC2/DropPoint!DNS', 5),
  dnsProbe('blackhole-traffic-dns', 'Trojan:EC2/BlackholeTraffic!DNS', 5),
  dnsProbe('phishing-domain-request-dns', 'Trojan:EC2/PhishingDomainRequest!DNS', 8),
  dnsProbe('drive-by-source-traffic-dns', 'Trojan:EC2/DriveBySourceTraffic!DNS', 8),
  dnsProbe('dga-domain-request-c-dns', 'Trojan:EC2/DGADomainRequest.C!DNS', 8),
  dnsProbe('abused-domain-request-reputation', 'Impact:EC2/AbusedDomainRequest.Reputation', 5),
  dnsProbe('bitcoin-domain-request-reputation', 'Impact:EC2/BitcoinDomainRequest.Reputation', 8),
  dnsProbe('malicious-domain-request-reputation', 'Impact:EC2/MaliciousDomainRequest.Reputation', 8),
  dnsProbe('suspicious-domain-request-reputation', 'Impact:EC2/SuspiciousDomainRequest.Reputation', 2),
  dnsProbe('dns-data-exfiltration', 'Trojan:EC2/DNSDataExfiltration', 8),
  { slug: 'denial-of-service-udp', expected: [{ type: 'Backdoor:EC2/DenialOfService.Udp', severity: 8 }], formats: ['v2', 'v5'] },
  { slug: 'denial-of-service-udp-1kb', expected: [{ type: 'Backdoor:EC2/DenialOfService.Udp', severity: 8 }], formats: ['v2', 'v5'] },
  { slug: 'denial-of-service-dns', expected: [{ type: 'Backdoor:EC2/DenialOfService.Dns', severity: 8 }], formats: ['v2', 'v5'] },
  { slug: 'malicious-ip-caller-custom', expected: [{ type: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', severity: 5 }], formats: ['v2', 'v5'] },
  { slug: 'portscan', expected: [{ type: 'Recon:EC2/Portscan', severity: 5 }], formats: ['v2', 'v5'] },
  {
    slug: 'ssh-brute-force',
    expected: [{ type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 8, role: 'ACTOR' }, { type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 2, role: 'TARGET' }],
    formats: ['v2', 'v5'],
  },
  {
    slug: 'rdp-brute-force',
    expected: [{ type: 'UnauthorizedAccess:EC2/RDPBruteForce', severity: 8, role: 'ACTOR' }, { type: 'UnauthorizedAccess:EC2/RDPBruteForce', severity: 2, role: 'TARGET' }],
    formats: ['v2', 'v5'],
  },
];

/** Every finding of one log set run alone into a fresh lake, with the tester's custom threat list when the scenario has one. */
async function detectAlone(logs: string, slug = ''): Promise<{ type: string; severity: number; role: string | undefined }[]> {
  const lake = await tempLake();
  try {
    const customList = path.join(SHAPES, slug, 'tester_script_custom_threat.txt');
    if (slug && existsSync(customList)) await addListsFromSpecs(lake.lake.connection, [customList], 'threat');
    const ingested = await lake.ingest([logs]);
    assert.ok(ingested.stored > 0, `${logs}: nothing stored`);
    assert.equal(ingested.quarantined, 0, `${logs}: records quarantined`);
    const { findings } = await runDetections(lake.lake);
    return findings.map((f) => ({ type: f.type, severity: f.severity, role: f.service.resourceRole }));
  } finally {
    lake.close();
  }
}

describe('GuardDuty tester scenarios, each alone in a fresh lake', () => {
  for (const scenario of SCENARIOS) {
    for (const format of scenario.formats) {
      test(`${scenario.slug} (${format})`, async () => {
        const found = await detectAlone(path.join(SHAPES, scenario.slug, format), scenario.slug);
        for (const want of scenario.expected) {
          assert.ok(
            found.some((f) => f.type === want.type && f.severity === want.severity && (want.role === undefined || f.role === want.role)),
            `${scenario.slug}/${format}: expected ${want.type} (${want.severity}${want.role ? `, ${want.role}` : ''}), got ${JSON.stringify(found)}`,
          );
        }
        // Nothing else above Low: a tester run is one attack each, not a pile of side findings.
        const others = found.filter((f) => f.severity >= 4 && !scenario.expected.some((w) => w.type === f.type));
        assert.deepEqual(others, [], `${scenario.slug}/${format}: unexpected findings`);
      });
    }
  }
});

/**
 * Default-format (v2) records between two private addresses carry no direction; an interface's own address is
 * taken from its records with an internet peer. Where that shows nothing, or shows a forwarder, nothing is guessed.
 */
describe('v2 records between private addresses, without internet traffic to show whose they are', () => {
  const scratch = scratchDir('gumshoe-tester-v2-');
  after(() => scratch.cleanup());
  const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
  const t0 = Date.UTC(2026, 10, 2, 10, 0, 0) / 1000;
  const line = (eni: string, src: string, dst: string, sport: number, dport: number, packets: number, bytes: number, at: number) =>
    `2 111122223333 ${eni} ${src} ${dst} ${sport} ${dport} 6 ${packets} ${bytes} ${at} ${at + 5} ACCEPT OK`;
  /** A connect() scan of `ports` ports of 172.16.0.20 by 172.16.0.10, as the interfaces on its path log it. */
  const scan = (ports: number, interfaces = ['eni-0scanner', 'eni-0target']) =>
    Array.from({ length: ports }, (_, p) => {
      const sport = 40_000 + p;
      return interfaces.flatMap((eni) => [
        line(eni, '172.16.0.10', '172.16.0.20', sport, 1000 + p, 1, 60, t0 + 60),
        line(eni, '172.16.0.20', '172.16.0.10', 1000 + p, sport, 1, 40, t0 + 60),
      ]);
    }).flat();
  const logs = (lines: string[]) => scratch.write('flows.log', `${HEADER}\n${lines.join('\n')}\n`);

  test('a scan between two hosts that never reach the internet is raised on neither (the scanner cannot be told from its target)', async () => {
    assert.deepEqual(await detectAlone(logs(scan(200))), []);
  });

  test('an interface that forwards many hosts to the internet (a firewall appliance) learns no own address', async () => {
    // The scanner's traffic, and 19 other hosts' to the internet, pass through the appliance: each of them
    // shows up there with an internet peer, but none is the appliance's, which must not be named the scanner.
    const clients = ['172.16.0.10', ...Array.from({ length: 19 }, (_, h) => `172.16.1.${10 + h}`)];
    const forwarded = clients.map((client, h) => line('eni-0appliance', client, '52.46.150.20', 41_000 + h, 443, 24, 6_120, t0));
    const target = line('eni-0target', '172.16.0.20', '52.46.150.20', 42_000, 443, 24, 6_120, t0);
    const found = await detectAlone(logs([...forwarded, target, ...scan(200, ['eni-0appliance', 'eni-0target'])]));
    // The target's interface knows its own address: the scan is inbound there (not a scan by the target).
    assert.deepEqual(found.filter((f) => f.type === 'Recon:EC2/Portscan'), []);
  });

  test('a NAT gateway that forwards CI runners\' git fetches over SSH is not a brute-forcer, its own address learned or not', async () => {
    // v2 on the NAT's interface: each fetch arrives from the runner addressed to the NAT, then leaves translated.
    const nat = '172.16.0.140';
    const fetches = Array.from({ length: 30 }, (_, i) => {
      const at = t0 + 10 * i;
      const runner = `172.16.0.${50 + (i % 3)}`;
      return [
        line('eni-0nat', runner, nat, 45_000 + i, 22, 25, 6_200, at),
        line('eni-0nat', nat, '140.82.112.3', 50_000 + i, 22, 25, 6_200, at),
        line('eni-0nat', '140.82.112.3', nat, 22, 50_000 + i, 22, 9_800, at),
        line('eni-0nat', nat, runner, 22, 45_000 + i, 22, 9_800, at),
      ];
    }).flat();
    assert.deepEqual((await detectAlone(logs(fetches))).filter((f) => f.severity >= 4), []);
  });
});
