import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ctEvent, iamUser } from '../src/detect/case-builders.js';
import { runCase, typesRaised } from '../src/detect/cases.js';
import { anomalousBehavior } from '../src/detect/cloudtrail/anomalous-behavior.js';
import { learning, MIN_ACTIVE_DAYS, newProfile, observe, type Profile } from '../src/detect/cloudtrail/behavior-profile.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

describe('learning: time and evidence', () => {
  test('a profile seen on fewer than MIN_ACTIVE_DAYS days keeps learning, however long ago it began', () => {
    assert.equal(MIN_ACTIVE_DAYS, 3);
    const start = at('2026-11-01T09:00:00Z');
    const profile = newProfile(start);
    for (let call = 0; call < 20; call++) observe(profile, 'api', `iam:Call${call}`, start + call * 60_000, 100);
    assert.equal(learning(profile, start + 30 * DAY, 7), true, 'twenty calls on one day are one day of evidence');
    observe(profile, 'api', 'iam:ListUsers', start + 1 * DAY, 100);
    assert.equal(learning(profile, start + 30 * DAY, 7), true, 'two days');
    observe(profile, 'api', 'iam:ListUsers', start + 2 * DAY, 100);
    assert.equal(learning(profile, start + 30 * DAY, 7), false, 'three days, and the learning period is over');
    assert.equal(learning(profile, start + 6 * DAY, 7), true, 'three days, but still within the learning period');
  });

  test('a profile saved before active days were kept counts the days its values were last active', () => {
    const day = (iso: string) => Math.floor(at(iso) / DAY);
    const legacy: Profile = {
      first: at('2026-10-01T00:00:00Z'),
      f: {
        api: { n: 2, v: { 'iam:ListUsers': [at('2026-10-01T00:00:00Z'), day('2026-10-20T00:00:00Z'), 12], 'ec2:DescribeInstances': [at('2026-10-02T00:00:00Z'), day('2026-10-21T00:00:00Z'), 9] } },
        ua: { n: 1, v: { 'aws-cli': [at('2026-10-01T00:00:00Z'), day('2026-10-21T00:00:00Z'), 15] } },
      },
    };
    assert.equal(learning(legacy, at('2026-11-01T00:00:00Z'), 7), true, 'two distinct last-active days');
    observe(legacy, 'api', 'iam:ListUsers', at('2026-10-25T00:00:00Z'), 100);
    assert.equal(learning(legacy, at('2026-11-01T00:00:00Z'), 7), false);
  });
});

describe('AnomalousBehavior needs a profile with evidence', () => {
  const alice = iamUser('alice');
  const OFFICE_IP = '81.2.69.160';
  const VPS_IP = '51.15.1.1';
  const office = (day: string, name: string): CloudTrailRecord => ctEvent({ service: 'ec2', name, identity: alice, time: `2026-11-${day}T09:00:00Z`, ip: OFFICE_IP });
  const stolenKey = ctEvent({
    service: 'iam', name: 'CreateAccessKey', identity: alice, time: '2026-11-20T09:00:00Z', ip: VPS_IP,
    userAgent: 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0', request: { userName: 'alice' },
  });
  const raised = (records: CloudTrailRecord[]) => typesRaised(runCase([anomalousBehavior], { name: 'profile', records, expect: [] }));

  test('three calls on one day, then a new API from a new network and tool weeks later: nothing (the AWS docs’ Alice)', () => {
    assert.deepEqual(raised([office('01', 'StartInstances'), office('01', 'StopInstances'), office('01', 'DescribeInstances'), stolenKey]), []);
  });

  test('the same calls spread over three days make a profile to depart from', () => {
    assert.deepEqual(raised([office('01', 'StartInstances'), office('02', 'StopInstances'), office('03', 'DescribeInstances'), stolenKey]), ['Persistence:IAMUser/AnomalousBehavior']);
  });
});
