import { CLI_AGENT, ctEvent, iamUser, instanceRole, repeated, TERRAFORM_AGENT } from '../detect/case-builders.js';
import type { CloudTrailRecord } from '../detect/detection.js';
import { CASE_ACCOUNT, dnsQuery, flowLine } from '../detect/network-records.js';
import type { Scenario } from './scenario.js';

/**
 * Multi-step incidents as operators meet them, written event by event. Times are relative to the attack
 * day (the simulator moves every scenario into its last day); each incident brings a history of normal
 * use before it, so baselines and first-seen detections have something to compare with.
 */
const DAY = 86_400_000;
const ATTACK_DAY = Date.parse('2026-11-20T00:00:00Z');
const at = (offsetMinutes: number) => new Date(ATTACK_DAY + offsetMinutes * 60_000).toISOString().replace('.000Z', 'Z');
const daysBefore = (days: number, hour: number) => new Date(ATTACK_DAY - days * DAY + hour * 3_600_000).toISOString().replace('.000Z', 'Z');

// ─── 1. A leaked access key ───

const CI_USER = 'ci-deploy';
const CI_KEY = 'AKIAQX3EXAMPLECIKEY1';
const CI_RUNNER_IP = '54.144.18.77';
/** A rented VPS the key was sold to; on the customer's own threat list after an earlier incident. */
const ATTACKER_IP = '45.137.21.9';
const ATTACKER_AGENT = 'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.8 md/installer#exe md/distrib#kali.2024 md/prompt#off';
const DATA_BUCKET = 'acme-prod-customer-data';
const TRAIL_BUCKET = 'acme-org-cloudtrail-logs';

function leakedKey(): Scenario {
  const ci = iamUser(CI_USER, CASE_ACCOUNT, CI_KEY);
  const usual = (time: string, name: string, service: string, request: Record<string, unknown> | null = null) =>
    ctEvent({ service, name, identity: ci, time, ip: CI_RUNNER_IP, userAgent: TERRAFORM_AGENT, request });
  const history: CloudTrailRecord[] = [
    ctEvent({ service: 'cloudtrail', name: 'CreateTrail', identity: ci, time: daysBefore(14, 9), ip: CI_RUNNER_IP, userAgent: TERRAFORM_AGENT, request: { name: 'org-trail', s3BucketName: TRAIL_BUCKET, isMultiRegionTrail: true, includeGlobalServiceEvents: true }, response: { name: 'org-trail', s3BucketName: TRAIL_BUCKET, trailARN: `arn:aws:cloudtrail:us-east-1:${CASE_ACCOUNT}:trail/org-trail` } }),
    ...repeated(13, daysBefore(13, 10), 24 * 60, (time) => usual(time, 'GetCallerIdentity', 'sts')),
    ...repeated(13, daysBefore(13, 10.1), 24 * 60, (time) => usual(time, 'DescribeInstances', 'ec2')),
    ...repeated(13, daysBefore(13, 10.2), 24 * 60, (time) => usual(time, 'DescribeSecurityGroups', 'ec2')),
    ...repeated(13, daysBefore(13, 10.3), 24 * 60, (time) => usual(time, 'GetBucketLocation', 's3', { bucketName: 'acme-terraform-state' })),
  ];
  const attacker = (minute: number, service: string, name: string, request: Record<string, unknown> | null = null, extra: Partial<Parameters<typeof ctEvent>[0]> = {}) =>
    ctEvent({ service, name, identity: ci, time: at(minute), ip: ATTACKER_IP, userAgent: ATTACKER_AGENT, request, ...extra });
  const attack: CloudTrailRecord[] = [
    attacker(600, 'sts', 'GetCallerIdentity'),
    attacker(601, 'iam', 'ListUsers'),
    attacker(601.5, 'iam', 'ListRoles'),
    attacker(602, 'iam', 'ListAttachedUserPolicies', { userName: CI_USER }),
    attacker(602.5, 's3', 'ListBuckets'),
    attacker(603, 'ec2', 'DescribeRegions'),
    attacker(604, 'iam', 'AttachUserPolicy', { userName: CI_USER, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    attacker(606, 'iam', 'CreateUser', { userName: 'aws-support-sync' }, { response: { user: { userName: 'aws-support-sync', arn: `arn:aws:iam::${CASE_ACCOUNT}:user/aws-support-sync` } } }),
    attacker(606.5, 'iam', 'AttachUserPolicy', { userName: 'aws-support-sync', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    attacker(607, 'iam', 'CreateAccessKey', { userName: 'aws-support-sync' }, { response: { accessKey: { userName: 'aws-support-sync', accessKeyId: 'AKIAQX3EXAMPLEBACKDR', status: 'Active' } } }),
    attacker(607.5, 'iam', 'CreateLoginProfile', { userName: 'aws-support-sync', passwordResetRequired: false }),
    attacker(610, 'ec2', 'RunInstances', { instanceType: 'p3.16xlarge', instancesSet: { items: [{ imageId: 'ami-0f1e2d3c4b5a69788', minCount: 10, maxCount: 10 }] } }, { region: 'eu-west-1' }),
    ...repeated(40, at(615), 0.25, (time, i) =>
      ctEvent({ service: 's3', name: 'GetObject', identity: ci, time, ip: ATTACKER_IP, userAgent: ATTACKER_AGENT, data: true, request: { bucketName: DATA_BUCKET, key: `exports/customers-${String(i).padStart(4, '0')}.csv.gz`, Host: `${DATA_BUCKET}.s3.amazonaws.com` }, resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${DATA_BUCKET}/exports/customers-${i}.csv.gz` }, { accountId: CASE_ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${DATA_BUCKET}` }] })),
    attacker(630, 'cloudtrail', 'StopLogging', { name: `arn:aws:cloudtrail:us-east-1:${CASE_ACCOUNT}:trail/org-trail` }),
    attacker(631, 'cloudtrail', 'DeleteTrail', { name: `arn:aws:cloudtrail:us-east-1:${CASE_ACCOUNT}:trail/org-trail` }),
  ];
  return {
    id: 'incident/leaked-access-key',
    description:
      'A CI user’s access key leaks and is used from a VPS on the team’s threat list: discovery, AdministratorAccess on itself, a backdoor user with keys and a console password, GPU instances for mining, bulk download from the customer-data bucket, then the trail is stopped and deleted.',
    expect: [
      'Recon:IAMUser/MaliciousIPCaller.Custom',
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
      'PenTest:IAMUser/KaliLinux',
      'UnauthorizedAccess:S3/MaliciousIPCaller.Custom',
      'PenTest:S3/KaliLinux',
      'Stealth:IAMUser/CloudTrailLoggingDisabled',
      'Impact:IAMUser/AnomalousBehavior',
      'Persistence:IAMUser/AdminUserCreated.Gumshoe',
      'Impact:EC2/UnusualInstanceLaunch.Gumshoe',
      // One sequence finding covers both: CompromisedData, with CompromisedCredentials as an additional type.
      'AttackSequence:S3/CompromisedData',
    ],
    techniques: ['aws.persistence.iam-create-admin-user', 'aws.persistence.iam-create-user-login-profile', 'aws.execution.ec2-launch-unusual-instances', 'aws.defense-evasion.cloudtrail-stop', 'aws.defense-evasion.cloudtrail-delete'],
    origin: 'incident',
    records: [...history, ...attack],
    flows: [],
    dns: [],
    intel: { threatIps: [{ ip: ATTACKER_IP, listName: 'IncidentResponseBlocklist', custom: true }] },
  };
}

// ─── 2. SSRF → instance credential theft → use from outside AWS ───

const WEB_ROLE = 'web-frontend-role';
const WEB_INSTANCE = 'i-0c4d5e6f7a8b9c0d1';
const NAT_IP = '3.208.77.14';
const THIEF_IP = '198.51.100.83';
const APP_BUCKET = 'acme-web-assets';

function ssrfCredentialTheft(): Scenario {
  const session = instanceRole(WEB_ROLE, WEB_INSTANCE, CASE_ACCOUNT);
  const appAgent = 'aws-sdk-java/2.25.60 Linux/6.1.91-99.172.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy';
  const history = repeated(10, daysBefore(10, 8), 24 * 60, (time) =>
    ctEvent({ service: 's3', name: 'GetObject', identity: session, time, ip: NAT_IP, userAgent: appAgent, data: true, request: { bucketName: APP_BUCKET, key: 'templates/home.html' } }),
  );
  const thief = (minute: number, service: string, name: string, request: Record<string, unknown> | null = null, data = false) =>
    ctEvent({ service, name, identity: session, time: at(minute), ip: THIEF_IP, userAgent: CLI_AGENT, request, data });
  const attack = [
    thief(300, 'sts', 'GetCallerIdentity'),
    thief(301, 's3', 'ListBuckets'),
    thief(302, 's3', 'ListObjects', { bucketName: DATA_BUCKET, 'list-type': 2 }, true),
    ...repeated(25, at(303), 0.2, (time, i) =>
      ctEvent({ service: 's3', name: 'GetObject', identity: session, time, ip: THIEF_IP, userAgent: CLI_AGENT, data: true, request: { bucketName: DATA_BUCKET, key: `exports/customers-${i}.csv.gz` } }),
    ),
  ];
  return {
    id: 'incident/ssrf-instance-credential-theft',
    description:
      'An SSRF in the web frontend reads the instance profile’s credentials from the metadata service; they are then used from a host outside AWS to list buckets and download customer exports.',
    expect: ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'AttackSequence:S3/CompromisedData'],
    techniques: ['aws.credential-access.ec2-steal-instance-credentials'],
    origin: 'incident',
    records: [...history, ...attack],
    flows: [],
    dns: [],
    intel: {},
  };
}

// ─── 3. A compromised instance: port scan, C&C over DNS, exfiltration ───

const APP_INSTANCE = 'i-0a7b8c9d0e1f2a3b4';
const APP_ENI = 'eni-0a7b8c9d0e1f2a3b4';
const APP_IP = '10.0.4.21';
const DB_IP = '10.0.5.10';
const SCAN_TARGET = '10.0.6.44';
const C2_DOMAIN = 'cdn-update.storagesync-relay.net';
const C2_IP = '91.215.85.17';
const EXFIL_DOMAIN = 'telemetry-sync.org';
const DROP_IP = '185.141.63.120';
/** S3 and the AWS APIs, where the app normally sends its data. */
const AWS_API_IP = '52.216.20.179';

function compromisedInstance(): Scenario {
  const flow = (o: Omit<Parameters<typeof flowLine>[0], 'eni' | 'instance'>) => flowLine({ ...o, eni: APP_ENI, instance: APP_INSTANCE });
  const query = (o: Omit<Parameters<typeof dnsQuery>[0], 'src' | 'instance'>) => dnsQuery({ ...o, src: APP_IP, instance: APP_INSTANCE });
  // Ten days of the app's normal life, hourly: its database, S3 over HTTPS, lookups of AWS endpoints.
  const hours = Array.from({ length: 10 * 24 }, (_, h) => ATTACK_DAY - 10 * DAY + h * 3_600_000);
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const normalFlows = hours.flatMap((ms) => [
    flow({ src: APP_IP, dst: DB_IP, srcPort: 40000 + (ms / 3_600_000) % 20000, dstPort: 5432, time: iso(ms), packets: 400, bytes: 180_000, direction: 'egress' }),
    flow({ src: APP_IP, dst: AWS_API_IP, srcPort: 41000 + (ms / 3_600_000) % 20000, dstPort: 443, time: iso(ms + 600_000), packets: 900, bytes: 2_400_000, direction: 'egress' }),
  ]);
  const normalQueries = hours.flatMap((ms) => [
    query({ name: 's3.us-east-1.amazonaws.com', time: iso(ms + 599_000), answers: [['A', AWS_API_IP]] }),
    query({ name: 'api.github.com', time: iso(ms + 1_200_000), answers: [['A', '140.82.112.6']] }),
  ]);
  // The intruder maps a neighbour, beacons to its controller by name, tunnels data out in DNS labels, then ships a dump.
  const scan = Array.from({ length: 120 }, (_, i) =>
    flow({ src: APP_IP, dst: SCAN_TARGET, srcPort: 55000 + i, dstPort: [21, 22, 23, 25, 80, 110, 139, 443, 445, 1433, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200, 27017][i % 19]! + Math.floor(i / 19) * 1000, time: at(540 + i / 60), seconds: 5, packets: 1, bytes: 60, action: 'REJECT', direction: 'egress' }),
  );
  const beacons = Array.from({ length: 12 }, (_, i) => query({ name: C2_DOMAIN, time: at(560 + i * 5), answers: [['A', C2_IP]] }));
  const c2Flows = Array.from({ length: 12 }, (_, i) => flow({ src: APP_IP, dst: C2_IP, srcPort: 47000 + i, dstPort: 443, time: at(560 + i * 5), packets: 12, bytes: 4_800, direction: 'egress' }));
  const chunk = (i: number) => Buffer.from(`customer_export_part_${i}_of_120_${'x'.repeat(20)}`).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 52);
  const tunnel = Array.from({ length: 120 }, (_, i) => query({ name: `${chunk(i)}.${i}.${EXFIL_DOMAIN}`, type: 'TXT', time: at(600 + i / 10), rcode: 'NXDOMAIN' }));
  const dump = Array.from({ length: 30 }, (_, i) =>
    flow({ src: APP_IP, dst: DROP_IP, srcPort: 48000 + i, dstPort: 443, time: at(620 + i), packets: 700_000, bytes: 950_000_000, direction: 'egress' }),
  );
  return {
    id: 'incident/compromised-instance',
    description:
      'An application instance is taken over: it port-scans a neighbour, beacons to a command-and-control domain, tunnels data out in DNS queries and uploads about 28 GB to an address it never talked to.',
    expect: ['Recon:EC2/Portscan', 'Backdoor:EC2/C&CActivity.B!DNS', 'Backdoor:EC2/C&CActivity.B', 'Trojan:EC2/DNSDataExfiltration', 'Behavior:EC2/TrafficVolumeUnusual'],
    techniques: [],
    origin: 'incident',
    records: [],
    flows: [...normalFlows, ...scan, ...c2Flows, ...dump],
    dns: [...normalQueries, ...beacons, ...tunnel],
    intel: {
      threatIps: [{ ip: C2_IP, listName: 'Feodo', custom: false, threatName: 'CommandAndControl' }],
      threatDomains: [{ domain: C2_DOMAIN, listName: 'ThreatFox', custom: false, threatName: 'CommandAndControl' }],
    },
  };
}

export const INCIDENTS: Scenario[] = [leakedKey(), ssrfCredentialTheft(), compromisedInstance()];
