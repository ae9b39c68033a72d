// Regenerates samples/: a small, seeded AWS organisation's logs in the S3 layout AWS delivers, to try `gumshoe ingest samples` on.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCloudTrail, generateDnsLogs, generateFlowLogs } from '../src/simulate/background.js';

const out = path.resolve(import.meta.dirname, '../samples');
rmSync(path.join(out, 'AWSLogs'), { recursive: true, force: true });
await generateCloudTrail({ outDir: out, records: 2_000, seed: 2026, recordsPerFile: { min: 200, max: 400 } });
await generateFlowLogs({ outDir: out, records: 10_000, seed: 2026, recordsPerFile: { min: 1_000, max: 2_500 } });
await generateDnsLogs({ outDir: out, records: 2_000, seed: 2026, recordsPerFile: { min: 200, max: 500 } });
// One damaged delivery, to show that bad records are quarantined with a reason rather than lost.
writeFileSync(
  path.join(out, 'damaged-export.jsonl'),
  [
    '{"eventVersion":"1.09","eventTime":"2024-05-06T09:12:44Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.30","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"},"requestID":"5f0c1d2e-0000-4000-8000-000000000001","eventID":"9a8b7c6d-0000-4000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}',
    '{"eventVersion":"1.09","eventTime":"2024-05-06T09:13:02Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1",',
    '',
  ].join('\n'),
);
console.log(`samples written to ${out}`);
