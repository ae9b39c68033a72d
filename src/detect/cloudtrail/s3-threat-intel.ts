import { assumedRole, ctEvent, iamUser } from '../case-builders.js';
import type { ApiDetection, FindingTypeSpec } from '../detection.js';
import { type S3DataClass, s3DataClass } from './api-classes.js';
import { callerIntel, emitIntelSignals } from './caller-intel.js';
import { bucketDetail, bucketOf, isAnonymousRequest } from './s3-resources.js';

/**
 * S3 Protection's threat-intel types: an S3 data event (object or bucket data-plane call) from an IP on a
 * threat list or a Tor exit node. The call's class (api-classes.s3DataClass) picks the family: managed
 * feeds raise Discovery:/Exfiltration:/Impact:S3/MaliciousIPCaller, uploaded lists
 * Discovery:S3/MaliciousIPCaller.Custom or UnauthorizedAccess:S3/MaliciousIPCaller.Custom (one finding per
 * list), Tor Discovery:S3/TorIPCaller or UnauthorizedAccess:S3/TorIPCaller. Anonymous requests are skipped:
 * GuardDuty does not analyse requests to objects made public, and unauthenticated probes of bucket names
 * name no credentials of the account.
 */
const REMEDIATION =
  'If this principal should not reach the bucket from that address, treat its credentials as compromised (deactivate keys, revoke sessions), review what was read or changed in the bucket, and tighten the bucket policy.';

function spec(type: string, severity: number, mitre: FindingTypeSpec['mitre'], title: string, description: string): FindingTypeSpec {
  return { type, dataSource: 'S3DataEvents', severity, resourceType: 'S3Bucket', mitre, title, description, remediation: REMEDIATION };
}

const DISCOVERY = { tactic: 'TA0007 Discovery', technique: 'T1619 Cloud Storage Object Discovery' };
const COLLECTION = { tactic: 'TA0009 Collection', technique: 'T1530 Data from Cloud Storage' };
const IMPACT = { tactic: 'TA0040 Impact', technique: 'T1565.001 Data Manipulation: Stored Data Manipulation' };
const ACCESS = { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' };

const TYPES: Record<S3DataClass, { managed: string; custom: string; tor: string }> = {
  Discovery: { managed: 'Discovery:S3/MaliciousIPCaller', custom: 'Discovery:S3/MaliciousIPCaller.Custom', tor: 'Discovery:S3/TorIPCaller' },
  Exfiltration: { managed: 'Exfiltration:S3/MaliciousIPCaller', custom: 'UnauthorizedAccess:S3/MaliciousIPCaller.Custom', tor: 'UnauthorizedAccess:S3/TorIPCaller' },
  Impact: { managed: 'Impact:S3/MaliciousIPCaller', custom: 'UnauthorizedAccess:S3/MaliciousIPCaller.Custom', tor: 'UnauthorizedAccess:S3/TorIPCaller' },
};

const pipeline = assumedRole('data-pipeline', 'etl-7781');
const stolen = assumedRole('web-app', 'i-0a1b2c3d4e5f60718');
const getObject = (time: string, ip: string, key: string, identity = pipeline) =>
  ctEvent({ service: 's3', name: 'GetObject', identity, time, ip, data: true, request: { bucketName: 'finance-exports', key, Host: 'finance-exports.s3.amazonaws.com' } });

export const s3ThreatIntel: ApiDetection = {
  id: 's3-threat-intel',
  source: 'cloudtrail',
  payloads: { services: ['s3.amazonaws.com'] },
  types: [
    spec(
      'Discovery:S3/MaliciousIPCaller',
      8,
      DISCOVERY,
      'S3 API {api} used to discover resources was invoked from a known malicious IP address.',
      'API {api}, which lists or reads metadata of bucket {bucket}, was called by {principal} from IP address {ip}, which is on the threat list {listName}.',
    ),
    spec(
      'Discovery:S3/MaliciousIPCaller.Custom',
      8,
      DISCOVERY,
      'S3 API {api} was invoked from an IP address on a custom threat list.',
      'API {api}, which lists or reads metadata of bucket {bucket}, was called by {principal} from IP address {ip}, which is on your threat list {listName}.',
    ),
    spec(
      'Discovery:S3/TorIPCaller',
      5,
      DISCOVERY,
      'S3 API {api} was invoked from a Tor exit node.',
      'API {api}, which lists or reads metadata of bucket {bucket}, was called by {principal} from Tor exit node {ip}.',
    ),
    spec(
      'Exfiltration:S3/MaliciousIPCaller',
      8,
      COLLECTION,
      'S3 API {api} commonly used to collect data was invoked from a known malicious IP address.',
      'API {api} read or copied data from bucket {bucket}; it was called by {principal} from IP address {ip}, which is on the threat list {listName}.',
    ),
    spec(
      'Impact:S3/MaliciousIPCaller',
      8,
      IMPACT,
      'S3 API {api} commonly used to tamper with data was invoked from a known malicious IP address.',
      'API {api} wrote, deleted or changed permissions on data in bucket {bucket}; it was called by {principal} from IP address {ip}, which is on the threat list {listName}.',
    ),
    spec(
      'UnauthorizedAccess:S3/MaliciousIPCaller.Custom',
      8,
      ACCESS,
      'S3 API {api} was invoked from an IP address on a custom threat list.',
      'API {api} on bucket {bucket} was called by {principal} from IP address {ip}, which is on your threat list {listName}.',
    ),
    spec(
      'UnauthorizedAccess:S3/TorIPCaller',
      8,
      ACCESS,
      'S3 API {api} was invoked from a Tor exit node.',
      'API {api} on bucket {bucket} was called by {principal} from Tor exit node {ip}.',
    ),
  ],
  onEvent(event, context) {
    if (!event.isS3DataEvent || isAnonymousRequest(event)) return;
    const hits = callerIntel(event, context.intel);
    if (!hits) return;
    const bucket = bucketOf(event) ?? 'unknown-bucket';
    const buckets = [bucketDetail(event, bucket)];
    emitIntelSignals(hits, TYPES[s3DataClass(event.api)], (type, extra) => context.emit({ type, event, buckets, ...extra }));
  },
  cases: () => [
    {
      name: 'stolen role lists and downloads a bucket from an IP on an uploaded list (OTRF cloud breach)',
      datasets: [{ otrf: 'malicious' }],
      intel: { threatIps: [{ ip: '1.2.3.4', listName: 'IncidentIOCs' }] },
      expect: ['Discovery:S3/MaliciousIPCaller.Custom', 'UnauthorizedAccess:S3/MaliciousIPCaller.Custom'],
    },
    {
      name: 'objects deleted from an IP on a managed feed (Panther)',
      datasets: [{ panther: 'AWS.S3.DeleteObject', test: 'DeleteObject' }],
      intel: { threatIps: [{ ip: '192.0.2.0', listName: 'ProofPoint', custom: false }] },
      expect: ['Impact:S3/MaliciousIPCaller'],
    },
    {
      name: 'CopyObject from an IP on a managed feed (Panther)',
      datasets: [{ panther: 'AWS.S3.CopyObjectWithClientSideEncryption', test: 'CopyObject without client-side encryption' }],
      intel: { threatIps: [{ ip: '192.0.2.0', listName: 'ProofPoint', custom: false }] },
      expect: ['Exfiltration:S3/MaliciousIPCaller'],
    },
    {
      name: 'bucket listed from an IP on a managed feed (Panther)',
      datasets: [{ panther: 'AWS.S3.DeleteObject', test: 'Other Event' }],
      intel: { threatIps: [{ ip: '192.0.2.0', listName: 'ProofPoint', custom: false }] },
      expect: ['Discovery:S3/MaliciousIPCaller'],
    },
    {
      name: 'bucket listing and an object download over Tor (GuardDuty tester)',
      records: [
        ctEvent({ service: 's3', name: 'ListObjects', identity: stolen, time: '2026-11-02T10:00:00Z', ip: '185.220.101.45', data: true, request: { bucketName: 'finance-exports', 'list-type': '2', prefix: '' } }),
        getObject('2026-11-02T10:01:00Z', '185.220.101.45', 'payroll/2026-10.csv', stolen),
      ],
      intel: { torExits: ['185.220.101.45'] },
      expect: ['Discovery:S3/TorIPCaller', 'UnauthorizedAccess:S3/TorIPCaller'],
    },
    {
      name: 'ransom note uploaded from an IP on an uploaded list',
      records: [
        ctEvent({ service: 's3', name: 'PutObject', identity: iamUser('backup-agent'), time: '2026-11-02T10:00:00Z', ip: '203.0.113.77', data: true, request: { bucketName: 'finance-exports', key: 'RANSOM_NOTE.txt' } }),
      ],
      intel: { threatIps: [{ ip: '203.0.113.77', listName: 'TesterCustomThreatList' }] },
      expect: ['UnauthorizedAccess:S3/MaliciousIPCaller.Custom'],
    },
    {
      name: 'a partner account reads through its bucket grant from a Tor exit node',
      records: [
        getObject('2026-11-02T10:00:00Z', '185.220.101.45', 'shared/report.pdf', { type: 'AWSAccount', principalId: 'AIDAPARTNEREXAMPLE01', accountId: '444455556666' }),
      ],
      intel: { torExits: ['185.220.101.45'] },
      expect: ['UnauthorizedAccess:S3/TorIPCaller'],
    },
    {
      name: 'ListBuckets is a management event and belongs to the IAM types',
      records: [ctEvent({ service: 's3', name: 'ListBuckets', identity: iamUser('backup-agent'), time: '2026-11-02T10:00:00Z', ip: '203.0.113.77', request: { Host: 's3.amazonaws.com' } })],
      intel: { threatIps: [{ ip: '203.0.113.77', listName: 'IncidentIOCs' }] },
      expect: [],
    },
    {
      name: 'the pipeline reading its bucket from ordinary addresses',
      records: [getObject('2026-11-02T10:00:00Z', '52.94.133.10', 'daily/2026-11-01.parquet'), getObject('2026-11-02T10:02:00Z', '10.0.12.7', 'daily/2026-11-02.parquet')],
      intel: { threatIps: [{ ip: '203.0.113.77', listName: 'IncidentIOCs' }], torExits: ['185.220.101.45'] },
      expect: [],
    },
    {
      name: 'anonymous reads of a public website bucket are not analysed',
      records: [
        ctEvent({
          service: 's3',
          name: 'GetObject',
          identity: { type: 'AWSAccount', principalId: 'ANONYMOUS_PRINCIPAL', accountId: 'anonymous' },
          time: '2026-11-02T10:00:00Z',
          ip: '185.220.101.45',
          userAgent: 'Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0',
          data: true,
          request: { bucketName: 'www.example.com', key: 'index.html' },
          account: '111122223333',
        }),
      ],
      intel: { torExits: ['185.220.101.45'] },
      expect: [],
    },
  ],
};
