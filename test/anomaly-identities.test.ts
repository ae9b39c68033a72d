import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assumedRole, CLI_AGENT, CONSOLE_AGENT, ctEvent, iamUser, repeated } from '../src/detect/case-builders.js';
import { runCase } from '../src/detect/cases.js';
import { anomalousBehavior } from '../src/detect/cloudtrail/anomalous-behavior.js';
import type { CloudTrailRecord } from '../src/detect/detection.js';

/**
 * The IAM anomaly types over a realistic account (issue 3): identities first seen after the account has
 * learned are judged against the account, and opening the console is not a new tool.
 */
const OFFICE_IP = '81.2.69.160'; // Andrews & Arnold, London
const HOME_IP = '86.1.1.1'; // Virgin Media, UK
const VULTR_IP = '45.32.1.1'; // The Constant Company (Vultr)
const HTTP_AGENT = 'python-requests/2.31.0';
const alice = iamUser('alice');
const lambda = assumedRole('reports-fn-role', 'reports-fn');

/** Three weeks of an account's everyday work: alice at the office with the CLI, a Lambda role on Amazon's network. */
const account: CloudTrailRecord[] = [
  ...repeated(21 * 4, '2026-11-01T09:00:00Z', 360, (time, i) => {
    const [service, name] = ([['ec2', 'DescribeInstances'], ['s3', 'ListBuckets'], ['sts', 'GetCallerIdentity'], ['iam', 'ListUsers']] as const)[i % 4]!;
    return ctEvent({ service, name, identity: alice, time, ip: OFFICE_IP, userAgent: CLI_AGENT });
  }),
  ...repeated(21 * 12, '2026-11-01T00:05:00Z', 120, (time) =>
    ctEvent({ service: 'secretsmanager', name: 'GetSecretValue', identity: lambda, time, ip: '3.80.0.1', userAgent: 'aws-sdk-js/3.515.0 ua/2.0 os/linux lang/js md/nodejs#20.11.0 exec-env/AWS_Lambda_nodejs20.x', request: { secretId: 'reports/db' } }),
  ),
];

const findings = (records: CloudTrailRecord[]) => runCase([anomalousBehavior], { name: 'account', records: [...account, ...records], expect: [] }).map((o) => o.finding);
const unusualOf = (finding: { service: { additionalInfo?: unknown } }) => (finding.service.additionalInfo as { unusualBehavior: Record<string, string> }).unusualBehavior;

describe('identities first seen after the account has learned', () => {
  const backdoor = iamUser('backup-svc');
  const backdoorCall = (name: string, service: string, time: string, request?: Record<string, unknown>) =>
    ctEvent({ service, name, identity: backdoor, time, ip: VULTR_IP, userAgent: HTTP_AGENT, request });

  test('a backdoor user used from a VPS with a new tool is judged against the account at once', () => {
    const raised = findings([
      backdoorCall('GetCallerIdentity', 'sts', '2026-11-22T07:00:00Z'),
      backdoorCall('GetSecretValue', 'secretsmanager', '2026-11-22T07:01:00Z', { secretId: 'reports/db' }),
      backdoorCall('DeleteDetector', 'guardduty', '2026-11-22T07:02:00Z', { detectorId: '12abc34d567e8fa901bc2d34e56789f0' }),
    ]);
    assert.deepEqual(raised.map((f) => f.type), ['DefenseEvasion:IAMUser/AnomalousBehavior']);
    const unusual = unusualOf(raised[0]!);
    assert.equal(unusual.isUnusualUserIdentity, 'true');
    assert.equal(unusual.unusualUserNamesAccountProfiling, 'backup-svc');
    assert.equal(unusual.unusualASNsAccountProfiling, 'asnNumber: 20473 asnOrg: The Constant Company, LLC');
    assert.equal(unusual.unusualUserAgentsAccountProfiling, 'http-client');
    assert.equal(unusual.unusualAPIsAccountProfiling, 'DeleteDetector', 'GetSecretValue is the account’s habit (the Lambda role)');
    assert.match(raised[0]!.description, /unusual identity; network asnNumber: 20473/);
  });

  test('a new employee at the office with the account’s usual tool learns in peace', () => {
    const bob = iamUser('bob');
    const raised = findings(['GetCallerIdentity', 'CreateAccessKey', 'ListRoles'].map((name, i) =>
      ctEvent({ service: name === 'GetCallerIdentity' ? 'sts' : 'iam', name, identity: bob, time: `2026-11-22T10:0${i}:00Z`, ip: OFFICE_IP, userAgent: CLI_AGENT.replace('2.17.3', '2.18.0') })));
    assert.deepEqual(raised, []);
  });

  test('a new employee working from home with the usual tool and the account’s usual calls: nothing', () => {
    const bob = iamUser('bob');
    const raised = findings(['ListUsers', 'ListBuckets'].map((name, i) =>
      ctEvent({ service: name === 'ListUsers' ? 'iam' : 's3', name, identity: bob, time: `2026-11-22T18:0${i}:00Z`, ip: HOME_IP, userAgent: CLI_AGENT })));
    assert.deepEqual(raised, []);
  });

  test('while the account itself learns, a new identity is only learned', () => {
    const raised = runCase([anomalousBehavior], {
      name: 'young account',
      records: [...account.slice(0, 8), backdoorCall('DeleteDetector', 'guardduty', '2026-11-02T07:02:00Z', { detectorId: 'x' })],
      expect: [],
    });
    assert.deepEqual(raised, []);
  });
});

describe('the console is not a new tool', () => {
  test('a CLI user’s first console sign-in and pages from the office: nothing', () => {
    const raised = findings([
      ctEvent({ service: 'signin', name: 'ConsoleLogin', identity: alice, time: '2026-11-22T16:00:00Z', ip: OFFICE_IP, userAgent: CONSOLE_AGENT, response: { ConsoleLogin: 'Success' }, additional: { MFAUsed: 'Yes' } }),
      ctEvent({ service: 'iam', name: 'ListRoles', identity: alice, time: '2026-11-22T16:01:00Z', ip: OFFICE_IP, userAgent: CONSOLE_AGENT }),
    ]);
    assert.deepEqual(raised, []);
  });

  test('a console admin’s first CloudShell session (AWS’s address, the CLI) deletes an old stack: nothing', () => {
    const jane = assumedRole('AWSReservedSSO_AdministratorAccess_6996851910e4b1c4', 'jane@example.com');
    const shell = 'aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.1.115-126.197.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/CloudShell md/installer#exe md/distrib#amzn.2023 md/prompt#off md/command#cloudformation.delete-stack';
    const raised = findings([
      ...repeated(21 * 3, '2026-11-01T09:00:00Z', 480, (time, i) =>
        ctEvent({ service: i % 3 ? 'ec2' : 'iam', name: i % 3 ? 'DescribeInstances' : 'ListRoles', identity: jane, time, ip: OFFICE_IP, userAgent: CONSOLE_AGENT })),
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: jane, time: '2026-11-22T10:00:00Z', ip: '3.250.1.20', userAgent: shell, request: { userName: 'svc-reports' } }),
      ctEvent({ service: 'cloudformation', name: 'DeleteStack', identity: jane, time: '2026-11-22T10:02:00Z', ip: '3.250.1.20', userAgent: shell, request: { stackName: 'old-demo' } }),
    ]);
    assert.deepEqual(raised, []);
  });

  test('the same sign-in from a VPS is InitialAccess, the console listed as the unusual agent', () => {
    const raised = findings([
      ctEvent({ service: 'signin', name: 'ConsoleLogin', identity: alice, time: '2026-11-22T16:00:00Z', ip: VULTR_IP, userAgent: CONSOLE_AGENT, response: { ConsoleLogin: 'Success' }, additional: { MFAUsed: 'No' } }),
    ]);
    assert.deepEqual(raised.map((f) => f.type), ['InitialAccess:IAMUser/AnomalousBehavior']);
    assert.equal(unusualOf(raised[0]!).unusualUserAgentsUserIdentityProfiling, 'AWS Console');
    assert.equal(unusualOf(raised[0]!).isUnusualUserIdentity, 'false');
  });
});

describe('principals back after more than 90 days unseen', () => {
  const BOTO = 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9';
  const RUNNER_IP = '20.42.65.92'; // a GitHub-hosted runner (Microsoft)
  /** A year of the account's daily work: alice at the office, CI on hosted runners. */
  const year: CloudTrailRecord[] = [
    ...repeated(300, '2026-02-01T09:00:00Z', 1440, (time) => ctEvent({ service: 'iam', name: 'ListUsers', identity: alice, time, ip: OFFICE_IP, userAgent: CLI_AGENT })),
    ...repeated(300, '2026-02-01T10:00:00Z', 1440, (time, i) =>
      ctEvent({ service: 'sts', name: 'GetCallerIdentity', identity: assumedRole('github-actions-deploy', `GitHubActions-${i}`), time, ip: RUNNER_IP, userAgent: BOTO })),
  ];
  const review = (date: string, run: number) =>
    (['GenerateCredentialReport', 'GetCredentialReport', 'ListAccessKeys'] as const).map((name, i) =>
      ctEvent({ service: 'iam', name, identity: assumedRole('quarterly-access-review', `GitHubActions-q${run}`), time: `${date}T06:0${i}:00Z`, ip: RUNNER_IP, userAgent: BOTO }));
  const run = (records: CloudTrailRecord[]) => runCase([anomalousBehavior], { name: 'year', records: [...year, ...records], expect: [] }).map((o) => o.finding);

  test('a quarterly job, its values forgotten between runs, is judged against the account: nothing', () => {
    assert.deepEqual(run(['2026-02-02', '2026-05-04', '2026-08-03', '2026-11-02'].flatMap(review)), []);
  });

  test('a key dormant for months, back from a VPS with a new tool, is an unusual identity', () => {
    const dormant = iamUser('former-contractor');
    const raised = run([
      ...['2026-02-02', '2026-02-03', '2026-02-04'].map((day) => ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: dormant, time: `${day}T09:00:00Z`, ip: OFFICE_IP, userAgent: CLI_AGENT })),
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: dormant, time: '2026-09-10T03:00:00Z', ip: VULTR_IP, userAgent: HTTP_AGENT, request: { userName: 'former-contractor' } }),
    ]);
    assert.deepEqual(raised.map((f) => f.type), ['Persistence:IAMUser/AnomalousBehavior']);
    assert.equal(unusualOf(raised[0]!).isUnusualUserIdentity, 'true');
  });
});

describe('IAM Identity Center roles: each person signed in is an identity', () => {
  const ROLE = 'AWSReservedSSO_AdministratorAccess_6996851910e4b1c4';
  const DO_VPN_IP = '167.99.1.1'; // DigitalOcean: bob's company VPN exit, and an intruder's droplet

  test('jane’s SSO token used from the network and tool only bob uses is unusual for jane', () => {
    const jane = assumedRole(ROLE, 'jane@example.com');
    const bob = assumedRole(ROLE, 'bob@example.com');
    const raised = findings([
      ...repeated(21 * 2, '2026-11-01T09:00:00Z', 720, (time, i) =>
        i % 2
          ? ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: jane, time, ip: OFFICE_IP, userAgent: CONSOLE_AGENT })
          : ctEvent({ service: 'iam', name: 'ListRoles', identity: bob, time, ip: DO_VPN_IP, userAgent: CLI_AGENT })),
      ctEvent({ service: 'iam', name: 'CreateAccessKey', identity: jane, time: '2026-11-22T03:00:00Z', ip: DO_VPN_IP, userAgent: CLI_AGENT, request: { userName: 'svc-deploy' } }),
    ]);
    assert.deepEqual(raised.map((f) => f.type), ['Persistence:IAMUser/AnomalousBehavior']);
    const unusual = unusualOf(raised[0]!);
    assert.equal(unusual.unusualASNsUserIdentityProfiling, 'asnNumber: 14061 asnOrg: DigitalOcean, LLC');
    assert.equal(unusual.unusualUserAgentsUserIdentityProfiling, 'aws-cli');
  });
});

test('a sandbox account unused for four months wakes up: its people learn again, nothing fires', () => {
  const dev = iamUser('dev');
  const sandbox = (day: string, name: string, ip: string) =>
    ctEvent({ service: 'iam', name, identity: dev, time: `${day}T10:00:00Z`, ip, userAgent: CLI_AGENT, request: { userName: 'dev' } });
  const raised = runCase([anomalousBehavior], {
    name: 'sandbox',
    records: [
      ...['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-16'].map((day) => sandbox(day, 'ListUsers', OFFICE_IP)),
      sandbox('2026-07-20', 'CreateAccessKey', HOME_IP),
    ],
    expect: [],
  });
  assert.deepEqual(raised, []);
});
