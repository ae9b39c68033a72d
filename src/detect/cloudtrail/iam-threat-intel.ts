import { assumedRole, ctEvent, iamUser, instanceRole, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, FindingTypeSpec } from '../detection.js';
import { isManagementEvent, isReconCall } from './api-classes.js';
import { callerIntel, emitIntelSignals } from './caller-intel.js';

/**
 * Recon:/UnauthorizedAccess:IAMUser/MaliciousIPCaller(.Custom) and TorIPCaller: a management API called
 * from an IP on a threat list or a Tor exit node. Enumeration calls (api-classes.isReconCall) raise the
 * Recon: types, everything else (including console sign-ins and failed attempts) UnauthorizedAccess:.
 * Managed feeds raise the plain types, uploaded lists the `.Custom` ones, one finding per list. S3 data
 * events belong to s3-threat-intel.
 */
const RECON = { tactic: 'TA0007 Discovery', technique: 'T1580 Cloud Infrastructure Discovery' };
const ACCESS = { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' };
const REMEDIATION =
  'If the call was not expected from this principal, treat its credentials as compromised: deactivate the access key or revoke the role sessions, review what else the principal did, and rotate its credentials.';

function spec(type: string, mitre: FindingTypeSpec['mitre'], title: string, description: string): FindingTypeSpec {
  return { type, dataSource: 'CloudTrailManagement', severity: 5, resourceType: 'AccessKey', mitre, title, description, remediation: REMEDIATION };
}

export const iamThreatIntel: ApiDetection = {
  id: 'iam-threat-intel',
  source: 'cloudtrail',
  // Whether iam:GetUser names a user decides recon (see api-classes.ts).
  payloads: { apis: ['GetUser'] },
  types: [
    spec(
      'Recon:IAMUser/MaliciousIPCaller',
      RECON,
      'Reconnaissance API {api} was invoked from a known malicious IP address.',
      'API {api} of {service}, which lists or describes resources, was called by {principal} from IP address {ip}, which is on the threat list {listName}. An attacker holding stolen credentials maps the account this way.',
    ),
    spec(
      'Recon:IAMUser/MaliciousIPCaller.Custom',
      RECON,
      'Reconnaissance API {api} was invoked from an IP address on a custom threat list.',
      'API {api} of {service}, which lists or describes resources, was called by {principal} from IP address {ip}, which is on your threat list {listName}.',
    ),
    spec(
      'Recon:IAMUser/TorIPCaller',
      RECON,
      'Reconnaissance API {api} was invoked from a Tor exit node.',
      'API {api} of {service}, which lists or describes resources, was called by {principal} from Tor exit node {ip}. Tor hides who is really making the calls.',
    ),
    spec(
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
      ACCESS,
      'API {api} was invoked from a known malicious IP address.',
      'API {api} of {service} was called by {principal} from IP address {ip}, which is on the threat list {listName}. This can mean unauthorized use of the credentials.',
    ),
    spec(
      'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
      ACCESS,
      'API {api} was invoked from an IP address on a custom threat list.',
      'API {api} of {service} was called by {principal} from IP address {ip}, which is on your threat list {listName}.',
    ),
    spec(
      'UnauthorizedAccess:IAMUser/TorIPCaller',
      ACCESS,
      'API {api} was invoked from a Tor exit node.',
      'API {api} of {service} was called by {principal} from Tor exit node {ip}. Tor hides who is really using the credentials.',
    ),
  ],
  onEvent(event, context) {
    if (!isManagementEvent(event)) return;
    const hits = callerIntel(event, context.intel);
    if (!hits) return;
    const family = isReconCall(event) ? 'Recon' : 'UnauthorizedAccess';
    emitIntelSignals(
      hits,
      { managed: `${family}:IAMUser/MaliciousIPCaller`, custom: `${family}:IAMUser/MaliciousIPCaller.Custom`, tor: `${family}:IAMUser/TorIPCaller` },
      (type, extra) => context.emit({ type, event, ...extra }),
    );
  },
  cases: () => [
    {
      name: 'IAM enumeration denied, from an IP on a managed feed (Panther)',
      datasets: [{ panther: 'AWS.IAMUser.ReconAccessDenied', test: 'Unauthorized API Call' }],
      intel: { threatIps: [{ ip: '40.185.186.6', listName: 'ProofPoint', custom: false }] },
      expect: ['Recon:IAMUser/MaliciousIPCaller'],
    },
    {
      name: 'security-group discovery from a Lambda role, IP on a managed feed (Panther)',
      datasets: [{ panther: 'AWS.Software.Discovery', test: 'Discovery Event Names' }],
      intel: { threatIps: [{ ip: '12.34.56.78', listName: 'Amazon', custom: false }] },
      expect: ['Recon:IAMUser/MaliciousIPCaller'],
    },
    {
      name: 'aws s3 ls from an IP on an uploaded list (GuardDuty tester)',
      records: [ctEvent({ service: 's3', name: 'ListBuckets', identity: assumedRole('GuardDutyTesterRole', 's3_pentest'), time: '2026-11-02T10:00:00Z', ip: '203.0.113.77', request: { Host: 's3.amazonaws.com' } })],
      intel: { threatIps: [{ ip: '203.0.113.77', listName: 'TesterCustomThreatList' }] },
      expect: ['Recon:IAMUser/MaliciousIPCaller.Custom'],
    },
    {
      name: 'stolen instance credentials list buckets over Tor (GuardDuty tester)',
      records: [ctEvent({ service: 's3', name: 'ListBuckets', identity: instanceRole('web-app', 'i-0a1b2c3d4e5f60718'), time: '2026-11-02T10:00:00Z', ip: '185.220.101.45', request: { Host: 's3.amazonaws.com' } })],
      intel: { torExits: ['185.220.101.45'] },
      expect: ['Recon:IAMUser/TorIPCaller'],
    },
    {
      name: 'CloudTrail stopped from an IP on an uploaded list (Stratus)',
      datasets: [{ stratus: 'aws.defense-evasion.cloudtrail-stop' }],
      intel: { threatIps: [{ ip: '86.245.153.234', listName: 'IncidentIOCs' }] },
      expect: ['UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom'],
    },
    {
      name: 'aws iam get-user (the caller itself) from an IP on an uploaded list (GuardDuty tester)',
      records: [ctEvent({ service: 'iam', name: 'GetUser', identity: assumedRole('GuardDutyTesterRole', 'iam_pentest'), time: '2026-11-02T10:00:00Z', ip: '203.0.113.77' })],
      intel: { threatIps: [{ ip: '203.0.113.77', listName: 'TesterCustomThreatList' }] },
      expect: ['UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom'],
    },
    {
      name: 'instance launch and a denied CreateUser from a known malicious IP',
      records: [
        ctEvent({ service: 'ec2', name: 'RunInstances', identity: iamUser('ci-deployer'), time: '2026-11-02T10:00:00Z', ip: '45.134.26.11', request: { instanceType: 'p3.16xlarge', minCount: 10, maxCount: 10 } }),
        ctEvent({ service: 'iam', name: 'CreateUser', identity: iamUser('ci-deployer'), time: '2026-11-02T10:01:00Z', ip: '45.134.26.11', request: { userName: 'backup-svc' }, errorCode: 'AccessDenied' }),
      ],
      intel: { threatIps: [{ ip: '45.134.26.0/24', listName: 'ProofPoint', custom: false }] },
      expect: ['UnauthorizedAccess:IAMUser/MaliciousIPCaller'],
    },
    {
      name: 'console sign-in from a Tor exit node',
      records: [
        ctEvent({
          service: 'signin',
          name: 'ConsoleLogin',
          identity: iamUser('alice'),
          time: '2026-11-02T10:00:00Z',
          ip: '185.220.101.45',
          eventType: 'AwsConsoleSignIn',
          response: { ConsoleLogin: 'Success' },
          additional: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' },
        }),
      ],
      intel: { torExits: ['185.220.101.45'] },
      expect: ['UnauthorizedAccess:IAMUser/TorIPCaller'],
    },
    {
      name: 'a user named by get-user is enumeration, not the caller checking itself',
      records: [ctEvent({ service: 'iam', name: 'GetUser', identity: iamUser('intruder'), time: '2026-11-02T10:00:00Z', ip: '203.0.113.77', request: { userName: 'admin' } })],
      intel: { threatIps: [{ ip: '203.0.113.77', listName: 'IncidentIOCs' }] },
      expect: ['Recon:IAMUser/MaliciousIPCaller.Custom'],
    },
    {
      name: 'reading objects from the same IP is an S3 data event, not an IAM finding',
      records: [
        ctEvent({ service: 's3', name: 'GetObject', identity: iamUser('analyst'), time: '2026-11-02T10:00:00Z', ip: '203.0.113.77', data: true, request: { bucketName: 'reports', key: 'q3.csv' } }),
      ],
      intel: { threatIps: [{ ip: '203.0.113.77', listName: 'IncidentIOCs' }] },
      expect: [],
    },
    {
      name: 'everyday work from IPs on no list: console, CLI and Terraform',
      records: [
        ctEvent({ service: 'ec2', name: 'DescribeInstances', identity: assumedRole('AWSReservedSSO_Admin_1a2b', 'alice@example.com'), time: '2026-11-02T10:00:00Z', ip: '198.51.100.23' }),
        ctEvent({ service: 'iam', name: 'CreateRole', identity: assumedRole('terraform-ci', 'gha-run-812'), time: '2026-11-02T10:05:00Z', ip: '20.42.11.7', userAgent: TERRAFORM_AGENT, request: { roleName: 'app-runtime' } }),
      ],
      intel: { threatIps: [{ ip: '45.134.26.0/24', listName: 'ProofPoint', custom: false }], torExits: ['185.220.101.45'] },
      expect: [],
    },
    {
      name: 'AWS services acting for the user carry no IP to match',
      datasets: [{ panther: 'AWS.IAMUser.ReconAccessDenied', test: 'Unauthorized API Call from Within AWS (FQDN)' }],
      intel: { threatIps: [{ ip: '40.185.186.6', listName: 'ProofPoint', custom: false }] },
      expect: [],
    },
    {
      name: 'an IP on both a threat list and the trusted list is trusted',
      records: [ctEvent({ service: 'iam', name: 'ListUsers', identity: iamUser('auditor'), time: '2026-11-02T10:00:00Z', ip: '203.0.113.10' })],
      intel: { threatIps: [{ ip: '203.0.113.10', listName: 'IncidentIOCs' }], trustedIps: ['203.0.113.10'] },
      expect: [],
    },
  ],
};
