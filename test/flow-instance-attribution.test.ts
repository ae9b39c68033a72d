import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, ctEvent } from '../src/detect/case-builders.js';
import { DEFAULT_SETTINGS, type CloudTrailRecord } from '../src/detect/detection.js';
import { apiEventFromRecord } from '../src/detect/from-record.js';
import { bruteForce } from '../src/detect/network/brute-force.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { each, spaced } from '../src/detect/network/flow-volume-cases.js';
import { flowFromLine } from '../src/detect/network-records.js';
import { DetectionRunner, StateStore } from '../src/detect/runner.js';
import { staticIntel } from '../src/intel/static.js';

/**
 * A record is tied to an instance by its private address only when its interface is not known to be
 * another: an address of a terminated instance reused by a load balancer, or the same private address in
 * another VPC, is another host.
 */
const ops = assumedRole('ops', 'ops');
const ADDRESS = '10.0.1.50';
const OLD = 'i-0aaa0000000000001';
const OLD_ENI = 'eni-0aaa0000000000001';

function launch(instanceId: string, eni: string, address: string, time: string): CloudTrailRecord {
  return ctEvent({
    service: 'ec2', name: 'RunInstances', identity: ops, time, region: 'eu-west-1',
    response: {
      instancesSet: {
        items: [{
          instanceId, instanceType: 't3.small', instanceState: { code: 0, name: 'pending' }, placement: { availabilityZone: 'eu-west-1a' },
          networkInterfaceSet: { items: [{ networkInterfaceId: eni, privateIpAddress: address, subnetId: 'subnet-1', vpcId: 'vpc-1' }] },
        }],
      },
    },
  });
}
const terminate = ctEvent({
  service: 'ec2', name: 'TerminateInstances', identity: ops, time: '2026-01-11T08:00:00Z', region: 'eu-west-1',
  request: { instancesSet: { items: [{ instanceId: OLD }] } },
  response: { instancesSet: { items: [{ instanceId: OLD, currentState: { code: 32, name: 'shutting-down' }, previousState: { code: 16, name: 'running' } }] } },
});

function resourceOf(trail: CloudTrailRecord[], eni: string, start: string) {
  const intel = staticIntel({});
  const runner = new DetectionRunner([bruteForce], intel, DEFAULT_SETTINGS, new StateStore(), { intel, detectorId: '0'.repeat(32), partition: 'aws' });
  trail.forEach((record, i) => runner.process(apiEventFromRecord(record, null, i + 1)));
  const lines = each(spaced(start, 25, 12), (time) => connectionLines({ remote: '198.51.100.14', opener: 'remote', port: 22, time, instance: null, eni, local: ADDRESS, bytesUp: 2_400, bytesDown: 3_300 }));
  for (const flow of lines.map((line, i) => ({ ...flowFromLine(line, i + 1), region: 'eu-west-1' })).sort((a, b) => a.time - b.time)) runner.processFlow(flow);
  const [found] = runner.finish();
  return [found?.resourceId, found?.finding.resource.instanceDetails?.instanceId ?? null];
}

describe('records tied to instances by address', () => {
  test('an address of a terminated instance, now a load balancer’s interface CloudTrail never saw, is the interface’s', () => {
    assert.deepEqual(resourceOf([launch(OLD, OLD_ENI, ADDRESS, '2026-01-10T08:00:00Z'), terminate], 'eni-0e1b0000000000099', '2026-01-12T00:00:00Z'), ['eni-0e1b0000000000099', null]);
  });

  test('the same private address on an unknown interface (another VPC) is not the known instance', () => {
    assert.deepEqual(resourceOf([launch(OLD, OLD_ENI, ADDRESS, '2026-01-10T08:00:00Z')], 'eni-0c0c0000000000077', '2026-01-10T12:00:00Z'), ['eni-0c0c0000000000077', null]);
  });

  test('the instance’s own interface is the instance’s', () => {
    assert.deepEqual(resourceOf([launch(OLD, OLD_ENI, ADDRESS, '2026-01-10T08:00:00Z')], OLD_ENI, '2026-01-10T12:00:00Z'), [OLD, OLD]);
  });
});
