import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Occurrence } from '../src/findings/build.js';
import { bruteForce, internetHost, NAT, natFetch, natFetches, sshBotnet } from '../src/detect/network/brute-force.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { each, spaced } from '../src/detect/network/flow-volume-cases.js';
import { StateStore } from '../src/detect/runner.js';
import { reload, runFlows } from './helpers/network-runs.js';

/**
 * Brute force beyond one attacking address (the many-host TARGET total) and NAT gateways' interfaces (each
 * connection logged twice, the subnet's egress on one interface): audit-net D1 and D3.
 */
const run = (lines: string[], state = new StateStore()): Occurrence[] => runFlows([bruteForce], lines, { state });

describe('brute force through a NAT gateway', () => {
  test('a NAT’s interface raises nothing for its runners’ fetches, whichever way the arriving record is written', () => {
    assert.equal(run(natFetches(8)).length, 0, 'v2, arriving record with its final destination');
    assert.equal(run(natFetches(8, { direction: true })).length, 0, 'v5 with pkt-dstaddr (the lake keeps the final destination)');
    assert.equal(run(natFetches(8, { shape: 'nat' })).length, 0, 'v2 without pkt-dstaddr: the arriving record is addressed to the NAT');
    // The audit's case: one runner, 10 fetches, once counted twice.
    assert.equal(run(natFetches(10, {}, [NAT.runners[0]])).length, 0);
  });

  test('what the pair tells: the translated records alone are the whole subnet on one address, and would raise', () => {
    const [alone] = run(natFetches(8, { shape: 'none' }));
    assert.equal(alone?.finding.service.resourceRole, 'ACTOR');
    assert.equal(alone?.finding.resource.instanceDetails?.networkInterfaces?.[0]?.networkInterfaceId, NAT.eni);
  });

  test('an interface seen forwarding is remembered across runs', () => {
    const state = new StateStore();
    assert.equal(run(natFetches(1, {}, [NAT.runners[0]]), state).length, 0);
    assert.equal(run(natFetches(8, { shape: 'none' }), reload(state)).length, 0);
  });

  test('a runner that brute-forces through the NAT is raised once, on its own instance', () => {
    const flows = each(spaced('2026-11-02T10:00:00Z', 30, 10), (time, i) => [
      ...connectionLines({ remote: '203.0.113.40', local: NAT.runners[0], opener: 'instance', port: 22, time, clientPort: 40_000 + i, instance: 'i-0runner000000001', eni: 'eni-0runner00000001', bytesUp: 2_400, bytesDown: 3_300 }),
      ...natFetch(NAT.runners[0], time, i).map((line) => line.replaceAll(NAT.forge, '203.0.113.40')),
    ]);
    const [found, ...more] = run(flows);
    assert.equal(more.length, 0);
    const f = found!.finding;
    assert.equal(f.resource.instanceDetails?.instanceId, 'i-0runner000000001');
    assert.deepEqual([f.severity, f.service.resourceRole, f.service.count], [8, 'ACTOR', 11], 'the 20th attempt raises, each of the 10 after it repeats');
  });

  test('two VPC hosts hammering one instance with alike logins in the same seconds do not make it a NAT', () => {
    const flows = each(spaced('2026-11-02T05:00:00Z', 25, 6), (time, i) =>
      ['10.0.3.15', '10.0.3.16'].flatMap((remote) => connectionLines({ remote, opener: 'remote', port: 22, time, clientPort: 40_000 + i, bytesUp: 2_400, bytesDown: 3_300 })),
    );
    const found = run(flows);
    assert.ok(found.length > 0);
    assert.ok(found.every((o) => o.finding.service.resourceRole === 'TARGET'));
  });
});

describe('distributed brute force (TARGET, many hosts)', () => {
  test('100 short logins from 10+ internet hosts within 10 minutes raise the Low TARGET finding, titled after the group', () => {
    const [found, ...more] = run(sshBotnet(60, 8));
    assert.equal(more.length, 0);
    const f = found!.finding;
    assert.deepEqual([f.type, f.severity, f.service.resourceRole, f.service.action.networkConnectionAction?.connectionDirection], ['UnauthorizedAccess:EC2/SSHBruteForce', 2, 'TARGET', 'INBOUND']);
    assert.equal(f.title, `A group of 60 internet hosts (the latest ${internetHost(59)}) is performing SSH brute force attacks against i-0abc123def4567890.`);
    assert.deepEqual(f.service.additionalInfo, { attempts: 100, distinctHosts: 60, windowMinutes: 10 });
    assert.equal(f.service.eventFirstSeen, '2026-11-02T03:00:00Z');
    // Each further attempt is a repeat of the one finding (the latest source shown): 480 attempts, raised at the 100th.
    assert.equal(f.service.count, 381);
  });

  test('members taking their turns one after the other are seen too', () => {
    const [found] = run(sshBotnet(60, 8, 10, true));
    assert.equal(found?.finding.service.additionalInfo.distinctHosts, 13, 'the latest 100 attempts: 12 addresses’ 8 and 4 of the 13th');
  });

  test('99 attempts, 9 hosts or 11 minutes stay quiet', () => {
    assert.equal(run(sshBotnet(33, 3)).length, 0, '99 attempts from 33 hosts');
    assert.equal(run(sshBotnet(9, 12)).length, 0, '108 attempts from 9 hosts');
    assert.equal(run(sshBotnet(50, 2, 11)).length, 0, '100 attempts over 11 minutes');
  });

  test('the total counts ACCEPTed short logins from public addresses only', () => {
    const botnet = sshBotnet(60, 8);
    assert.equal(run(botnet.filter((line) => !/ 22 3\d{4} /.test(line)).map((line) => line.replace(' ACCEPT ', ' REJECT '))).length, 0, 'rejected');
    assert.equal(run(botnet.map((line) => line.replace(/ 2400 /, ' 48000 '))).length, 0, 'working sessions (48 KB sent)');
    const vpc = botnet.map((line) => line.replace(/ 5\.10\.(\d+)\.\d+ /g, (_, h: string) => ` 10.0.9.${h} `));
    assert.equal(run(vpc).length, 0, 'VPC hosts');
  });
});
