import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent } from '../src/detect/case-builders.js';
import { dnsDataExfiltration } from '../src/detect/dns/data-exfiltration.js';
import { querySeries } from '../src/detect/dns/dns-cases.js';
import { metadataDnsRebind } from '../src/detect/dns/metadata-rebind.js';
import { seededRandom } from '../src/detect/dns/name-samples.js';
import { DEFAULT_SETTINGS, type CloudTrailRecord, type Detection } from '../src/detect/detection.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { INVENTORY_STATE_ID } from '../src/detect/instance-inventory.js';
import { bruteForce } from '../src/detect/network/brute-force.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { each, spaced } from '../src/detect/network/flow-volume-cases.js';
import { CASE_ACCOUNT, CASE_PRIVATE_IP, dnsFromRecord, dnsQuery, flowFromLine } from '../src/detect/network-records.js';
import { DetectionRunner, StateStore } from '../src/detect/runner.js';
import type { Occurrence } from '../src/findings/build.js';
import { toAsff } from '../src/findings/export/asff.js';
import { toOcsf } from '../src/findings/export/ocsf.js';
import { staticIntel } from '../src/intel/static.js';

/**
 * Which host a flow or DNS finding is about (the instance inventory built from CloudTrail, else the
 * interface or address the record names), the region it is in, the instance state it reports, and the
 * span of activity a threshold finding covers.
 */
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const LAUNCH_ENI = 'eni-0f1e2d3c4b5a69788';
const SECOND_ENI = 'eni-0bbbbbbbbbbbbbbbb';
const ops = assumedRole('ops', 'ops');
const IMDS: [string, string][] = [['A', '169.254.169.254']];

/** RunInstances in eu-west-1 as CloudTrail logs it: one interface with its addresses (the first primary), pending. */
function runInstance(instanceId: string, eni: string, addresses: string[], time: string, more: Record<string, unknown> = {}): CloudTrailRecord {
  return ctEvent({
    service: 'ec2', name: 'RunInstances', identity: ops, time, region: 'eu-west-1',
    response: {
      instancesSet: {
        items: [{
          instanceId, imageId: 'ami-0123456789abcdef0', instanceType: 't3.medium', instanceState: { code: 0, name: 'pending' },
          placement: { availabilityZone: 'eu-west-1b' }, privateIpAddress: addresses[0],
          networkInterfaceSet: {
            items: [{
              networkInterfaceId: eni, privateIpAddress: addresses[0], subnetId: 'subnet-1', vpcId: 'vpc-1',
              privateIpAddressesSet: { item: addresses.map((privateIpAddress, i) => ({ privateIpAddress, primary: i === 0 })) },
              ...more,
            }],
          },
        }],
      },
    },
  });
}
const launch = runInstance(INSTANCE, LAUNCH_ENI, [CASE_PRIVATE_IP, '10.0.1.26'], '2026-01-10T08:00:00Z');
/** A second interface as a real create returns it: no attachment yet. */
const createInterface = ctEvent({
  service: 'ec2', name: 'CreateNetworkInterface', identity: ops, time: '2026-01-10T08:05:00Z', region: 'eu-west-1',
  request: { subnetId: 'subnet-2' },
  response: {
    networkInterface: {
      networkInterfaceId: SECOND_ENI, subnetId: 'subnet-2', vpcId: 'vpc-1', status: 'pending', privateIpAddress: '10.0.2.50',
      privateIpAddressesSet: { item: [{ privateIpAddress: '10.0.2.50', primary: true }, { privateIpAddress: '10.0.2.51', primary: false }] },
    },
  },
});
const attachInterface = ctEvent({
  service: 'ec2', name: 'AttachNetworkInterface', identity: ops, time: '2026-01-10T08:06:00Z', region: 'eu-west-1',
  request: { networkInterfaceId: SECOND_ENI, instanceId: INSTANCE, deviceIndex: 1 },
  response: { attachmentId: 'eni-attach-0bbbbbbbbbbbbbbbb' },
});
const STATE_CODES: Record<string, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };
/** Stop, Start or TerminateInstances of one instance, moving it from `previous` to `current`. */
function stateCall(name: string, instanceId: string, time: string, previous: string, current: string): CloudTrailRecord {
  const state = (stateName: string) => ({ code: STATE_CODES[stateName], name: stateName });
  return ctEvent({
    service: 'ec2', name, identity: ops, time, region: 'eu-west-1',
    request: { instancesSet: { items: [{ instanceId }] } },
    response: { instancesSet: { items: [{ instanceId, currentState: state(current), previousState: state(previous) }] } },
  });
}
const stop = stateCall('StopInstances', INSTANCE, '2026-01-10T18:00:00Z', 'running', 'stopping');

interface Input {
  trail?: CloudTrailRecord[];
  dns?: Record<string, unknown>[];
  flows?: string[];
  /** Flow files outside the S3 layout name no region. */
  flowRegion?: string | null;
}

function newRunner(detections: Detection[], state: StateStore): DetectionRunner {
  const intel = staticIntel({});
  return new DetectionRunner(detections, intel, DEFAULT_SETTINGS, state, { intel, detectorId: '0'.repeat(32), partition: 'aws' });
}

/** One detect run over the input, on `state` (carried between runs as the engine does). */
function run(detections: Detection[], input: Input, state = new StateStore()): Occurrence[] {
  const runner = newRunner(detections, state);
  (input.trail ?? []).forEach((record, i) => runner.process(apiEventFromRecord(record, null, i + 1)));
  const flows = (input.flows ?? []).map((line, i) => ({ ...flowFromLine(line, i + 1), region: input.flowRegion === undefined ? 'us-east-1' : input.flowRegion }));
  for (const flow of flows.sort((a, b) => a.time - b.time)) runner.processFlow(flow);
  for (const query of (input.dns ?? []).map((record, i) => dnsFromRecord(record, i + 1))) runner.processDns(query);
  return runner.finish();
}

/** What the engine does between runs: state written as JSON and read back, changed by `edit` if given. */
function reload(state: StateStore, edit: (detectionId: string, value: Record<string, unknown>) => void = () => {}): StateStore {
  const next = new StateStore();
  for (const e of state.entries()) {
    const value = JSON.parse(JSON.stringify(e.value)) as Record<string, unknown>;
    edit(e.detectionId, value);
    next.load(e.detectionId, e.key, value, e.usedAt);
  }
  return next;
}

const rebind = (src: string, time: string, instance: string | null = null) => dnsQuery({ name: 'a.rebind-lab.com', time, src, instance, answers: IMDS });
const instanceOf = (occurrence: Occurrence | undefined) => occurrence?.finding.resource.instanceDetails;
const sshFrom = (remote: string, eni: string, start = '2026-01-11T00:00:00Z') =>
  each(spaced(start, 25, 12), (time) => connectionLines({ remote, opener: 'remote', port: 22, time, instance: null, eni, bytesUp: 2_400, bytesDown: 3_300 }));

describe('hosts with no known instance', () => {
  test('DNS queries from different hosts are one finding per host, named by its address, claiming no instance', () => {
    const found = run([metadataDnsRebind], {
      dns: [rebind('10.9.9.1', '2026-01-11T00:00:00Z'), rebind('10.9.9.2', '2026-01-11T00:05:00Z'), rebind('10.9.9.1', '2026-01-11T00:06:00Z')],
    });
    const byHost = new Map(found.map((o) => [o.resourceId, o.finding]));
    assert.deepEqual([...byHost.keys()].sort(), ['10.9.9.1', '10.9.9.2']);
    const first = byHost.get('10.9.9.1')!;
    assert.deepEqual(first.resource.instanceDetails, { networkInterfaces: [{ privateIpAddress: '10.9.9.1' }] });
    assert.equal(first.service.count, 2);
    assert.equal(first.title, 'The host 10.9.9.1 is querying a domain that resolves to the instance metadata service.');
    assert.match(first.description, /^The host 10\.9\.9\.1 resolved a\.rebind-lab\.com /);
    assert.equal(byHost.get('10.9.9.2')!.service.count, 1);
  });

  test('a query whose srcids name an instance is that instance’s, even one CloudTrail never described', () => {
    const [finding] = run([metadataDnsRebind], { dns: [rebind('10.9.9.1', '2026-01-11T00:00:00Z', 'i-0ccccccccccccccc1')] });
    assert.equal(instanceOf(finding)?.instanceId, 'i-0ccccccccccccccc1');
    assert.equal(finding!.finding.title, 'EC2 instance i-0ccccccccccccccc1 is querying a domain that resolves to the instance metadata service.');
  });

  test('flows of an interface no instance is known for are titled and keyed by the interface', () => {
    const [unknown] = run([bruteForce], { flows: sshFrom('198.51.100.14', 'eni-0aaaaaaaaaaaaaaa1') });
    assert.equal(unknown!.resourceId, 'eni-0aaaaaaaaaaaaaaa1');
    assert.deepEqual(instanceOf(unknown), { networkInterfaces: [{ networkInterfaceId: 'eni-0aaaaaaaaaaaaaaa1', privateIpAddress: CASE_PRIVATE_IP }] });
    assert.equal(unknown!.finding.title, '198.51.100.14 is performing SSH brute force attacks against the network interface eni-0aaaaaaaaaaaaaaa1.');
    // The same interface, launched with an instance CloudTrail recorded: the instance.
    const [known] = run([bruteForce], { trail: [launch], flows: sshFrom('198.51.100.14', LAUNCH_ENI) });
    assert.equal(known!.resourceId, INSTANCE);
    assert.equal(known!.finding.title, `198.51.100.14 is performing SSH brute force attacks against ${INSTANCE}.`);
  });
});

describe('exports of a finding about a host with no known instance', () => {
  test('ASFF and OCSF name its interface, or its address, never an instance', () => {
    const [eni] = run([bruteForce], { flows: sshFrom('198.51.100.14', 'eni-0aaaaaaaaaaaaaaa1') });
    const [host] = run([metadataDnsRebind], { dns: [rebind('10.9.9.1', '2026-01-11T00:00:00Z')] });
    const [instance] = run([bruteForce], { trail: [launch], flows: sshFrom('198.51.100.14', LAUNCH_ENI) });
    const asff = (o: Occurrence) => toAsff(o.finding).Resources.map((r) => [r.Type, r.Id]);
    const ocsf = (o: Occurrence) => toOcsf(o.finding).resources.map((r) => [r.type, r.uid]);
    assert.deepEqual(asff(eni!), [['AwsEc2NetworkInterface', `arn:aws:ec2:us-east-1:${CASE_ACCOUNT}:network-interface/eni-0aaaaaaaaaaaaaaa1`]]);
    assert.deepEqual(ocsf(eni!), [['AwsEc2NetworkInterface', 'eni-0aaaaaaaaaaaaaaa1']]);
    assert.deepEqual(asff(host!), [['Other', '10.9.9.1']]);
    assert.deepEqual(ocsf(host!), [['Other', '10.9.9.1']]);
    assert.deepEqual(asff(instance!), [['AwsEc2Instance', `arn:aws:ec2:us-east-1:${CASE_ACCOUNT}:instance/${INSTANCE}`]]);
  });
});

describe('the instance inventory', () => {
  test('an interface created without attachment, then attached, ties all its addresses to the instance, across runs', () => {
    const first = new StateStore();
    run([], { trail: [launch, createInterface] }, first);
    // Created but not attached: its address belongs to no instance yet.
    assert.equal(instanceOf(run([metadataDnsRebind], { dns: [rebind('10.0.2.50', '2026-01-11T00:00:00Z')] }, reload(first))[0])?.instanceId, undefined);
    const second = reload(first);
    run([], { trail: [attachInterface] }, second);
    for (const address of ['10.0.2.50', '10.0.2.51']) {
      const [finding] = run([metadataDnsRebind], { dns: [rebind(address, '2026-01-11T00:00:00Z')] }, reload(second));
      assert.equal(instanceOf(finding)?.instanceId, INSTANCE, address);
      assert.deepEqual(instanceOf(finding)?.networkInterfaces?.map((eni) => eni.networkInterfaceId), [LAUNCH_ENI, SECOND_ENI]);
    }
  });

  test('a launch’s secondary addresses are the instance’s, as its primary is', () => {
    for (const address of [CASE_PRIVATE_IP, '10.0.1.26']) {
      assert.equal(instanceOf(run([metadataDnsRebind], { trail: [launch], dns: [rebind(address, '2026-01-11T00:00:00Z')] })[0])?.instanceId, INSTANCE);
    }
    assert.equal(instanceOf(run([metadataDnsRebind], { trail: [launch], dns: [rebind('10.0.1.27', '2026-01-11T00:00:00Z')] })[0])?.instanceId, undefined);
  });

  test('a launch’s public address, public name and IPv6 addresses are in the finding’s interface, when the response has them', () => {
    const record = runInstance(INSTANCE, LAUNCH_ENI, [CASE_PRIVATE_IP], '2026-01-10T08:00:00Z', {
      association: { publicIp: '54.170.20.30', publicDnsName: 'ec2-54-170-20-30.eu-west-1.compute.amazonaws.com' },
      ipv6AddressesSet: { items: [{ ipv6Address: '2a05:d018:1:2::10' }] },
    });
    const [eni] = instanceOf(run([metadataDnsRebind], { trail: [record], dns: [rebind(CASE_PRIVATE_IP, '2026-01-11T00:00:00Z')] })[0])!.networkInterfaces!;
    assert.deepEqual([eni!.publicIp, eni!.publicDnsName, eni!.ipv6Addresses], ['54.170.20.30', 'ec2-54-170-20-30.eu-west-1.compute.amazonaws.com', ['2a05:d018:1:2::10']]);
  });

  test('a host CloudTrail never saw, querying from IPv6, is named by that address in ipv6Addresses, not in the IPv4-only privateIpAddress', () => {
    const [finding] = run([metadataDnsRebind], { trail: [], dns: [rebind('2600:1f18:6a4:b100::25', '2026-01-11T00:00:00Z')] });
    const [eni] = instanceOf(finding)!.networkInterfaces!;
    assert.deepEqual(eni, { ipv6Addresses: ['2600:1f18:6a4:b100::25'] });
    assert.match(finding!.finding.title, /the host 2600:1f18:6a4:b100::25/i);
    assert.deepEqual(toAsff(finding!.finding).Resources.map((r) => [r.Type, r.Id]), [['Other', '2600:1f18:6a4:b100::25']]);
  });

  test('the state reported is the one the last call moved the instance to, not the launch’s pending', () => {
    const state = new StateStore();
    const runner = newRunner([], state);
    runner.process(apiEventFromRecord(launch));
    assert.equal(runner.instances.byId(INSTANCE, CASE_ACCOUNT)?.instanceState, 'running');
    runner.process(apiEventFromRecord(stop));
    assert.equal(runner.instances.byId(INSTANCE, CASE_ACCOUNT)?.instanceState, 'stopped');
  });
});

describe('addresses and interfaces reused within one batch', () => {
  // i-…1 runs on 10.0.1.50 from 01-10, is terminated on 01-11; i-…2 gets 10.0.1.50 on 01-12.
  const FIRST = 'i-0aaa0000000000001';
  const SECOND = 'i-0bbb0000000000002';
  const REUSED = '10.0.1.50';
  const FIRST_ENI = 'eni-0aaa0000000000001';
  const days = [
    [runInstance(FIRST, FIRST_ENI, [REUSED], '2026-01-10T08:00:00Z')],
    [stateCall('TerminateInstances', FIRST, '2026-01-11T08:00:00Z', 'running', 'shutting-down')],
    [runInstance(SECOND, 'eni-0bbb0000000000002', [REUSED], '2026-01-12T08:00:00Z')],
  ];
  /** Per host a finding is about: its instance (none: the address), the state reported and the count. */
  const hosts = (found: Occurrence[]) =>
    Object.fromEntries(found.map((o) => [o.resourceId, [instanceOf(o)?.instanceId ?? null, instanceOf(o)?.instanceState ?? null, o.finding.service.count]]));

  test('a query is the instance that had the address at its time, in one batch as in a run per day', () => {
    // Each day's queries, the first day's including one from before any launch.
    const queries = [[rebind(REUSED, '2026-01-09T12:00:00Z'), rebind(REUSED, '2026-01-10T12:00:00Z')], [], [rebind(REUSED, '2026-01-12T12:00:00Z')]];
    // Before its launch, an address is nobody's: not the instance that got it later.
    const expected = { [REUSED]: [null, null, 1], [FIRST]: [FIRST, 'running', 1], [SECOND]: [SECOND, 'running', 1] };
    assert.deepEqual(hosts(run([metadataDnsRebind], { trail: days.flat(), dns: queries.flat() })), expected);
    let state = new StateStore();
    const perDay = days.flatMap((trail, day) => {
      const found = run([metadataDnsRebind], { trail, dns: queries[day] }, state);
      state = reload(state);
      return found;
    });
    assert.deepEqual(hosts(perDay), expected);
  });

  test('the state reported is the instance’s at the query’s time, not one a later call set', () => {
    const at = (time: string) => hosts(run([metadataDnsRebind], { trail: days.flat(), dns: [rebind(REUSED, time)] }));
    assert.deepEqual(at('2026-01-10T12:00:00Z'), { [FIRST]: [FIRST, 'running', 1] });
    assert.deepEqual(at('2026-01-11T12:00:00Z'), { [FIRST]: [FIRST, 'terminated', 1] });
    // The inventory itself holds the latest.
    const runner = newRunner([], new StateStore());
    days.flat().forEach((record) => runner.process(apiEventFromRecord(record)));
    assert.equal(runner.instances.byId(FIRST, CASE_ACCOUNT)?.instanceState, 'terminated');
  });

  test('flows of an interface attached to another instance later are the first instance’s until then', () => {
    const moved = [
      ...days.flat(),
      ctEvent({
        service: 'ec2', name: 'AttachNetworkInterface', identity: ops, time: '2026-01-12T09:00:00Z', region: 'eu-west-1',
        request: { networkInterfaceId: FIRST_ENI, instanceId: SECOND, deviceIndex: 1 }, response: { attachmentId: 'eni-attach-0aaa' },
      }),
    ];
    // SSH attempts at midnight on 01-11, before the first instance was terminated: its interface, running.
    const [before] = run([bruteForce], { trail: moved, flows: sshFrom('198.51.100.14', FIRST_ENI) });
    assert.deepEqual([before!.resourceId, instanceOf(before)?.instanceState], [FIRST, 'running']);
    const [after] = run([bruteForce], { trail: moved, flows: sshFrom('198.51.100.14', FIRST_ENI, '2026-01-12T10:00:00Z') });
    assert.deepEqual([after!.resourceId, instanceOf(after)?.instanceState], [SECOND, 'running']);
  });

  test('an inventory saved with plain instance ids still names its instances, and learns later owners', () => {
    const state = new StateStore();
    run([], { trail: days[0] }, state);
    const plainIds = (value: Record<string, unknown>) => {
      for (const map of [value.addresses, value.interfaces] as Record<string, { id: string } | string>[]) {
        for (const [key, owners] of Object.entries(map)) map[key] = typeof owners === 'string' ? owners : owners.id;
      }
      delete value.states;
    };
    const older = reload(state, (id, value) => id === INVENTORY_STATE_ID && plainIds(value));
    assert.deepEqual(hosts(run([metadataDnsRebind], { dns: [rebind(REUSED, '2026-01-10T12:00:00Z')] }, older)), { [FIRST]: [FIRST, 'running', 1] });
    const later = run([metadataDnsRebind], { trail: [...days[1]!, ...days[2]!], dns: [rebind(REUSED, '2026-01-10T12:00:00Z'), rebind(REUSED, '2026-01-12T12:00:00Z')] }, reload(older));
    // A plain id owned its address since ever, and its instance was running until it was terminated.
    assert.deepEqual(hosts(later), { [FIRST]: [FIRST, 'running', 1], [SECOND]: [SECOND, 'running', 1] });
  });
});

describe('regions of flow findings', () => {
  test('a flow file that names no region takes the instance’s from CloudTrail', () => {
    const [finding] = run([bruteForce], { trail: [launch], flows: sshFrom('198.51.100.14', LAUNCH_ENI), flowRegion: null });
    assert.equal(finding!.finding.region, 'eu-west-1');
    assert.match(finding!.finding.arn, /^arn:aws:guardduty:eu-west-1:111122223333:detector\//);
  });

  test('an inventory saved before regions were kept falls back on the availability zone', () => {
    const state = new StateStore();
    run([], { trail: [launch] }, state);
    const older = reload(state, (id, value) => id === INVENTORY_STATE_ID && delete value.regions);
    const [finding] = run([bruteForce], { flows: sshFrom('198.51.100.14', LAUNCH_ENI), flowRegion: null }, older);
    assert.equal(finding!.finding.region, 'eu-west-1');
  });

  test('with no region anywhere the finding says unknown, and its ARN leaves the region empty rather than invent one', () => {
    const [finding] = run([bruteForce], { flows: sshFrom('198.51.100.14', 'eni-0aaaaaaaaaaaaaaa1'), flowRegion: null });
    assert.equal(finding!.finding.region, 'unknown');
    assert.match(finding!.finding.arn, /^arn:aws:guardduty::111122223333:detector\/0{32}\/finding\/[0-9a-f]{32}$/);
  });
});

describe('threshold findings span their activity', () => {
  test('DNSDataExfiltration is first seen at the window’s first payload, and later payloads move its last seen', () => {
    const random = seededRandom(1);
    const base32 = 'abcdefghijklmnopqrstuvwxyz234567';
    const payloads = Array.from({ length: 60 }, () => `${Array.from({ length: 52 }, () => base32[Math.floor(random() * 32)]).join('')}.exfil-c2.com`);
    const [finding] = run([dnsDataExfiltration], { dns: querySeries(payloads, '2026-01-11T00:00:00Z', 5, { rcode: 'NXDOMAIN', type: 'TXT' }) });
    assert.ok(finding, 'raised');
    // Raised on the 50th payload (00:04:05), then ten more.
    assert.equal(finding.finding.service.eventFirstSeen, '2026-01-11T00:00:00Z');
    assert.equal(finding.finding.service.eventLastSeen, '2026-01-11T00:04:55Z');
    assert.equal(finding.finding.service.count, 11);
  });

  test('DNSDataExfiltration: hash-lookup-shaped payloads need 200 in 10 minutes; one of another shape brings 50 back for a window', () => {
    const random = seededRandom(2);
    const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
    const lookups = (n: number) => Array.from({ length: n }, () => `${hex(64)}.bl.rep-check.example.com`);
    const series = (names: string[], start = '2026-01-11T00:00:00Z') => querySeries(names, start, 2, { rcode: 'NXDOMAIN' });
    assert.equal(run([dnsDataExfiltration], { dns: series(lookups(199)) }).length, 0);
    const [found] = run([dnsDataExfiltration], { dns: series(lookups(201)) });
    assert.equal(found!.finding.service.count, 2);
    assert.equal(found!.finding.service.eventFirstSeen, '2026-01-11T00:00:00Z');
    // Another length in the zone, another shape (two data labels): 50 is enough while it is in the window.
    assert.equal(run([dnsDataExfiltration], { dns: series([...lookups(60), `${hex(40)}.bl.rep-check.example.com`]) }).length, 1);
    assert.equal(run([dnsDataExfiltration], { dns: series([...lookups(60), `${hex(50)}.${hex(30)}.rep-check.example.com`]) }).length, 1);
    // Once that payload has left the window, 150 more hash-shaped ones are below 200 again.
    const odd = series([`${hex(50)}.${hex(30)}.rep-check.example.com`]);
    assert.equal(run([dnsDataExfiltration], { dns: [...odd, ...series(lookups(150), '2026-01-11T00:10:01Z')] }).length, 0);
    // The same, its odd payload a minute later: within the window, the hash-shaped ones count at 50.
    assert.equal(run([dnsDataExfiltration], { dns: [...odd, ...series(lookups(150), '2026-01-11T00:01:00Z')] }).length, 1);
  });
});
