import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CriteriaError, matchesCriteria, parseCriteria } from '../src/findings/criteria.js';
import { toAsff } from '../src/findings/export/asff.js';
import { toOcsf } from '../src/findings/export/ocsf.js';
import type { GuardDutyFinding } from '../src/findings/guardduty-finding.js';

/**
 * Network and DNS findings as `gumshoe detect` writes them (the audit's simulated VPC), checked against
 * GuardDuty's filter attributes and the ASFF/OCSF exports.
 */
const ec2 = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/findings', 'ec2-ssh-brute-force.json'), 'utf8')) as GuardDutyFinding;

function variant(type: string, service: Partial<GuardDutyFinding['service']>, resource = ec2.resource): GuardDutyFinding {
  return { ...structuredClone(ec2), type, resource: structuredClone(resource), service: { ...structuredClone(ec2.service), ...service } };
}

const matches = (finding: GuardDutyFinding, criterion: Record<string, unknown>) => matchesCriteria(finding, parseCriteria({ criterion }));

/** NetworkPortUnusual as GuardDuty writes it (guardduty.md §3.8): the unusual port is `additionalInfo.unusual` itself. */
const portUnusual = variant('Behavior:EC2/NetworkPortUnusual', {
  resourceRole: 'ACTOR',
  action: {
    actionType: 'NETWORK_CONNECTION',
    networkConnectionAction: {
      blocked: false,
      connectionDirection: 'OUTBOUND',
      localPortDetails: { port: 49102, portName: 'Unknown' },
      remotePortDetails: { port: 389, portName: 'LDAP' },
      protocol: 'TCP',
      localIpDetails: { ipAddressV4: '10.0.2.20' },
      remoteIpDetails: { ipAddressV4: '93.184.216.34' },
    },
  },
  additionalInfo: { unusual: '389', localPort: '49102', outBytes: '4000', inBytes: '5000', context: 'Possible log4j callback' },
});

const resolver = variant('DefenseEvasion:EC2/UnusualDNSResolver', {
  resourceRole: 'ACTOR',
  additionalInfo: { unusual: '389' },
});

const dnsAction = (domain: string) => ({
  actionType: 'DNS_REQUEST',
  dnsRequestAction: { domain, protocol: 'UDP', blocked: false, domainWithSuffix: 'exfil-tunnel.net' },
});

/** A DNS finding about a host that no CloudTrail launch describes: only its address is known. */
const dnsHost = variant('Backdoor:EC2/C&CActivity.B!DNS', { resourceRole: 'ACTOR', action: dnsAction('c2.guarddutyc2activityb.com') }, {
  resourceType: 'Instance',
  instanceDetails: { networkInterfaces: [{ privateIpAddress: '10.0.9.50' }] },
});
const dnsInstance = variant('Trojan:EC2/DNSDataExfiltration', { resourceRole: 'ACTOR', action: dnsAction('abc.x.exfil-tunnel.net') });

const probe = variant('Recon:EC2/PortProbeUnprotectedPort', {
  action: {
    actionType: 'PORT_PROBE',
    portProbeAction: {
      blocked: false,
      portProbeDetails: [
        { localPortDetails: { port: 9200, portName: 'Elasticsearch' }, localIpDetails: { ipAddressV4: '10.0.1.25' }, remoteIpDetails: { ipAddressV4: '45.155.205.10' } },
      ],
    },
  },
});

describe('filters on network attributes', () => {
  test('service.additionalInfo.unusual.port matches the port NetworkPortUnusual reports as additionalInfo.unusual', () => {
    const attribute = 'service.additionalInfo.unusual.port';
    assert.equal(matches(portUnusual, { [attribute]: { equals: ['389'] } }), true);
    assert.equal(matches(portUnusual, { [attribute]: { equals: ['1389'] } }), false);
    assert.equal(matches(portUnusual, { [attribute]: { notEquals: ['389'] } }), false);
    assert.equal(matches(portUnusual, { [attribute]: { greaterThanOrEqual: 300, lessThan: 400 } }), true);
    // Another type's `unusual` (a resolver's address) is no port.
    assert.equal(matches(resolver, { [attribute]: { equals: ['389'] } }), false);
    // An object form (`unusual: {port}`) still matches through its own path.
    const objectForm = variant('Behavior:EC2/NetworkPortUnusual', { additionalInfo: { unusual: { port: '5060' } } });
    assert.equal(matches(objectForm, { [attribute]: { equals: ['5060'] } }), true);
  });
});

describe('DNS findings name the querying host in exports', () => {
  test('OCSF: the source endpoint is the host\'s address (and instance when known), never an empty object', () => {
    const [hostEvidence] = toOcsf(dnsHost).evidences!;
    assert.deepEqual(hostEvidence!.src_endpoint, { ip: '10.0.9.50' });
    const [instanceEvidence] = toOcsf(dnsInstance).evidences!;
    assert.deepEqual(instanceEvidence!.src_endpoint, { ip: '10.0.1.25', instance_uid: 'i-0a1b2c3d4e5f60718' });
    assert.deepEqual(instanceEvidence!.query, { hostname: 'abc.x.exfil-tunnel.net' });
  });

  test('ASFF: Network gives the querying host as the source', () => {
    assert.deepEqual(toAsff(dnsHost).Network, { Direction: 'OUT', Protocol: 'UDP', SourceIpV4: '10.0.9.50', DestinationDomain: 'c2.guarddutyc2activityb.com' });
    assert.equal(toAsff(dnsInstance).Network?.SourceIpV4, '10.0.1.25');
  });
});

describe('port probes in OCSF', () => {
  test('each probe is an inbound connection to the instance, as NETWORK_CONNECTION evidences are', () => {
    const [evidence] = toOcsf(probe).evidences!;
    assert.deepEqual(evidence!.dst_endpoint, { ip: '10.0.1.25', port: 9200, instance_uid: 'i-0a1b2c3d4e5f60718' });
    assert.deepEqual(evidence!.connection_info, { direction_id: 1, direction: 'Inbound' });
    assert.equal((evidence!.src_endpoint as { ip: string }).ip, '45.155.205.10');
  });
});

describe('port probes in ASFF', () => {
  test('a probe of many ports by many scanners keeps the threat list in ProductFields; every probe stays in Action', () => {
    const remote = (i: number) => ({
      ipAddressV4: `45.155.205.${10 + i}`,
      organization: { asn: '208677', asnOrg: 'Cloud.ru', isp: 'Cloud.ru', org: 'Cloud.ru' },
      country: { countryCode: 'RU', countryName: 'Russia' },
      city: { cityName: 'Moscow' },
      geoLocation: { lat: 55.75, lon: 37.61 },
    });
    const busy = variant('Recon:EC2/PortProbeUnprotectedPort', {
      action: {
        actionType: 'PORT_PROBE',
        portProbeAction: {
          blocked: false,
          portProbeDetails: Array.from({ length: 10 }, (_, i) => ({
            localPortDetails: { port: [22, 9200, 3306][i % 3]!, portName: 'Unknown' },
            localIpDetails: { ipAddressV4: '10.0.1.25' },
            remoteIpDetails: remote(i),
          })),
        },
      },
      evidence: { threatIntelligenceDetails: [{ threatListName: 'ScannerFeed', threatNames: ['Scanner'] }] },
      additionalInfo: { threatListName: 'ScannerFeed', threatName: 'Scanner', localPort: '3306' },
    });
    const asff = toAsff(busy);
    const fields = asff.ProductFields;
    assert.ok(Object.keys(fields).length <= 47);
    assert.equal(fields['aws/guardduty/service/additionalInfo/threatListName'], 'ScannerFeed');
    assert.equal(fields['aws/guardduty/service/additionalInfo/threatName'], 'Scanner');
    assert.equal(fields['aws/guardduty/service/evidence/threatIntelligenceDetails.0_/threatListName'], 'ScannerFeed');
    assert.equal(fields['aws/guardduty/service/action/portProbeAction/portProbeDetails.0_/remoteIpDetails/ipAddressV4'], '45.155.205.10');
    const action = asff.Action as { PortProbeAction: { PortProbeDetails: unknown[] } };
    assert.equal(action.PortProbeAction.PortProbeDetails.length, 10);
  });
});

describe('filters on enumerated network attributes', () => {
  const refused = (criterion: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => parseCriteria({ criterion }), (error: unknown) => error instanceof CriteriaError && message.test(error.message));

  test('a role, direction or action type GuardDuty never writes is refused, not saved to match nothing', () => {
    // notEquals ["actor"] would otherwise hold for every finding and archive the instance's own brute force.
    refused({ 'service.resourceRole': { notEquals: ['actor'] } }, /"actor" .*did you mean "ACTOR"/);
    refused({ 'service.resourceRole': { equals: ['VICTIM'] } }, /"VICTIM" is not one of ACTOR, TARGET/);
    refused({ 'service.action.networkConnectionAction.connectionDirection': { equals: ['Inbound'] } }, /did you mean "INBOUND"/);
    refused({ 'service.action.actionType': { equals: ['port_probe'] } }, /did you mean "PORT_PROBE"/);
    refused({ 'service.action.networkConnectionAction.protocol': { equals: ['tcp'] } }, /did you mean "TCP"/);
    refused({ 'service.action.dnsRequestAction.protocol': { equals: ['udp'] } }, /did you mean "UDP"/);
    refused({ 'resource.resourceType': { equals: ['instance'] } }, /did you mean "Instance"/);
  });

  test('the values GuardDuty writes are accepted and match', () => {
    assert.equal(matches(portUnusual, { 'service.resourceRole': { equals: ['ACTOR'] } }), true);
    assert.equal(matches(ec2, { 'service.resourceRole': { notEquals: ['ACTOR'] } }), true);
    assert.equal(matches(ec2, { 'service.action.networkConnectionAction.connectionDirection': { equals: ['INBOUND', 'UNKNOWN'] } }), true);
    assert.equal(matches(probe, { 'service.action.actionType': { equals: ['PORT_PROBE'] } }), true);
    assert.equal(matches(ec2, { 'service.action.networkConnectionAction.protocol': { equals: ['TCP'] } }), true);
    assert.equal(matches(ec2, { 'resource.resourceType': { equals: ['Instance'] } }), true);
    // Other plans' action types and protocols that Gumshoe does not name are not refused.
    assert.equal(matches(ec2, { 'service.action.actionType': { notEquals: ['KUBERNETES_API_CALL'] } }), true);
    assert.equal(matches(ec2, { 'service.action.networkConnectionAction.protocol': { notEquals: ['GRE'] } }), true);
  });
});
