import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateBucketAcl, evaluateBucketPolicy, type Exposure, grantsServiceAction } from '../src/detect/cloudtrail/s3-policy-evaluation.js';

const B = 'arn:aws:s3:::data-bucket';
const policy = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });
const allowAll = (extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${B}/*`, ...extra });

const POLICIES: [string, unknown, Exposure, { read?: boolean; write?: boolean }?][] = [
  ['Principal "*" without conditions', policy(allowAll()), 'anonymous', { read: true, write: false }],
  ['Principal {"AWS": "*"} is everyone too', policy(allowAll({ Principal: { AWS: '*' } })), 'anonymous'],
  ['"*" inside a list of principals', policy(allowAll({ Principal: { AWS: ['arn:aws:iam::111122223333:root', '*'] } })), 'anonymous'],
  ['a single statement object instead of an array', { Version: '2012-10-17', Statement: allowAll() }, 'anonymous'],
  ['the policy as JSON text', JSON.stringify(policy(allowAll())), 'anonymous'],
  ['public write', policy(allowAll({ Action: ['s3:PutObject', 's3:PutObjectAcl'] })), 'anonymous', { read: false, write: true }],
  ['s3:* is read and write', policy(allowAll({ Action: 's3:*' })), 'anonymous', { read: true, write: true }],
  ['Allow with NotPrincipal is everyone but a few', policy({ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/x' }, Action: 's3:GetObject', Resource: `${B}/*` }), 'anonymous'],
  ['Allow with NotAction', policy({ Effect: 'Allow', Principal: '*', NotAction: 's3:DeleteBucket', Resource: [B, `${B}/*`] }), 'anonymous', { read: true, write: true }],
  ['GuardDuty tester: PrincipalArn like arn:aws:iam::*', policy(allowAll({ Principal: { AWS: '*' }, Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*' } } })), 'authenticated'],
  ['PrincipalArn with a wildcard account', policy(allowAll({ Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Deploy*' } } })), 'authenticated'],
  ['PrincipalType condition admits every account', policy(allowAll({ Condition: { StringEquals: { 'aws:PrincipalType': 'AssumedRole' } } })), 'authenticated'],
  ['Null aws:PrincipalArn false admits every signed-in caller', policy(allowAll({ Condition: { Null: { 'aws:PrincipalArn': 'false' } } })), 'authenticated'],
  ['PrincipalArn with a fixed account', policy(allowAll({ Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/*' } } })), 'none'],
  ['organization only', policy(allowAll({ Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } })), 'none'],
  ['org paths under a fixed organization, with ForAnyValue', policy(allowAll({ Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*' } } })), 'none'],
  ['org paths of any organization', policy(allowAll({ Condition: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-*' } } })), 'authenticated'],
  ['one account', policy(allowAll({ Condition: { StringEquals: { 'aws:PrincipalAccount': ['111122223333', '444455556666'] } } })), 'none'],
  ['a VPC endpoint', policy(allowAll({ Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d4e5f' } } })), 'none'],
  ['a VPC by wildcard is not pinned', policy(allowAll({ Condition: { StringLike: { 'aws:SourceVpc': 'vpc-*' } } })), 'anonymous'],
  ['a mix of fixed and wildcard values is not pinned', policy(allowAll({ Condition: { StringEquals: { 'aws:SourceVpce': ['vpce-0a1b2c3d4e5f', 'vpce-*'] } } })), 'anonymous'],
  ['office IP range', policy(allowAll({ Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.7'] } } })), 'none'],
  ['private ranges only', policy(allowAll({ Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '172.16.0.0/12'] } } })), 'none'],
  ['the whole internet by CIDR', policy(allowAll({ Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })), 'anonymous'],
  ['half the internet', policy(allowAll({ Condition: { IpAddress: { 'aws:SourceIp': ['0.0.0.0/1', '128.0.0.0/1'] } } })), 'anonymous'],
  ['NotIpAddress on an Allow pins nothing', policy(allowAll({ Condition: { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } })), 'anonymous'],
  ['StringNotEquals on an Allow pins nothing', policy(allowAll({ Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d4e5f' } } })), 'anonymous'],
  ['IfExists holds when the key is absent', policy(allowAll({ Condition: { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-0a1b2c3d4e5f' } } })), 'anonymous'],
  ['ForAllValues holds when the key is absent', policy(allowAll({ Condition: { 'ForAllValues:StringEquals': { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } })), 'anonymous'],
  ['HTTPS only is still public', policy(allowAll({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })), 'anonymous'],
  ['referer checks are still public', policy(allowAll({ Condition: { StringLike: { 'aws:Referer': 'https://www.example.com/*' } } })), 'anonymous'],
  ['one pinning key among others is enough (ANDed)', policy(allowAll({ Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-test123456' }, StringLike: { 'aws:SourceVpc': 'vpc-*' } } })), 'none'],
  ['access point delegation', policy(allowAll({ Principal: { AWS: '*' }, Action: '*', Resource: [B, `${B}/*`], Condition: { StringEquals: { 's3:DataAccessPointAccount': '111122223333' } } })), 'none'],
  ['service calls only', policy(allowAll({ Condition: { Bool: { 'aws:PrincipalIsAWSService': 'true' } } })), 'none'],
  ['source account as a number', policy(allowAll({ Condition: { StringEquals: { 'aws:SourceAccount': 111122223333 } } })), 'none'],
  ['policy variables are not fixed', policy(allowAll({ Condition: { StringLike: { 'aws:userid': '${aws:userid}' } } })), 'authenticated'],
  ['role id pattern AROLEID:* is fixed', policy(allowAll({ Condition: { StringLike: { 'aws:userid': 'AROAEXAMPLEROLEID01:*' } } })), 'none'],
  ['a later statement can still be public', policy(allowAll({ Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }), allowAll({ Action: 's3:ListBucket', Resource: B })), 'anonymous', { read: true, write: false }],
  ['anonymous wins over authenticated', policy(allowAll({ Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*' } } }), allowAll({ Action: 's3:PutObject' })), 'anonymous', { read: true, write: true }],
  ['Deny unless from the VPC endpoint takes the grant back', policy(allowAll(), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [B, `${B}/*`], Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d4e5f' } } }), 'none'],
  ['Deny unless from the organization (IfExists form)', policy(allowAll(), { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Resource: '*', Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }), 'none'],
  ['Deny without conditions on the same action', policy(allowAll(), { Effect: 'Deny', Principal: '*', Action: 's3:Get*', Resource: `${B}/*` }), 'none'],
  ['Deny only over plain HTTP leaves HTTPS public', policy(allowAll(), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [B, `${B}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), 'anonymous'],
  ['Deny on a narrower action leaves the rest public', policy(allowAll({ Action: 's3:*' }), { Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: `${B}/*` }), 'anonymous'],
  ['Deny on a narrower prefix leaves the rest public', policy(allowAll(), { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `${B}/private/*` }), 'anonymous'],
  ['Deny to one role does not cover everyone', policy(allowAll(), { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::111122223333:role/x' }, Action: 's3:*', Resource: '*' }), 'anonymous'],
  ['Deny to all but one role', policy(allowAll(), { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/reader' }, Action: 's3:*', Resource: [B, `${B}/*`] }), 'none'],
  ['Deny with NotAction is not relied on', policy(allowAll(), { Effect: 'Deny', Principal: '*', NotAction: 's3:ListBucket', Resource: '*' }), 'anonymous'],
  ['Deny unless signed in lowers anonymous to authenticated', policy(allowAll(), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Null: { 'aws:PrincipalArn': 'true' } } }), 'authenticated'],
  ['a service principal is not public (CloudTrail log bucket)', policy({ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: `${B}/AWSLogs/111122223333/*`, Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } } }), 'none'],
  ['CloudFront origin access control', policy({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject', Resource: `${B}/*`, Condition: { StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE' } } }), 'none'],
  ['another account', policy(allowAll({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } })), 'none'],
  ['a Deny-only policy (HTTPS enforcement)', policy({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [B, `${B}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), 'none'],
  ['SourceArn of any account admits only services of every account', policy(allowAll({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::*:distribution/*' } } })), 'authenticated'],
  ['SourceAccount by wildcard is signed-only, not anonymous', policy(allowAll({ Condition: { StringLike: { 'aws:SourceAccount': '*' } } })), 'authenticated'],
  ['MFA required: anonymous requests lack the key', policy(allowAll({ Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } })), 'authenticated'],
  ['recent sign-in by MFA age', policy(allowAll({ Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } })), 'authenticated'],
  ['BoolIfExists MFA on an Allow holds for anonymous callers', policy(allowAll({ Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } } })), 'anonymous'],
  ['resource account is always the owner: still public', policy(allowAll({ Condition: { StringEquals: { 'aws:ResourceAccount': '111122223333' } } })), 'anonymous'],
  ['Deny BoolIfExists MFA false shuts out anonymous callers', policy(allowAll(), { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } }), 'authenticated'],
  ['not JSON', 'invalid-json-policy', 'none'],
  ['no policy', null, 'none'],
  ['a statement without an Effect is skipped', policy({ Principal: '*', Action: 's3:GetObject', Resource: `${B}/*` }), 'none'],
];

describe('S3 bucket policy evaluation', () => {
  for (const [name, doc, exposure, rights] of POLICIES) {
    test(name, () => {
      const grant = evaluateBucketPolicy(doc);
      assert.equal(grant.exposure, exposure);
      if (rights?.read !== undefined) assert.equal(grant.read, rights.read, 'read');
      if (rights?.write !== undefined) assert.equal(grant.write, rights.write, 'write');
    });
  }

  test('CloudTrail write access marks a trail bucket', () => {
    const doc = policy({ Effect: 'Allow', Principal: { Service: ['cloudtrail.amazonaws.com', 'config.amazonaws.com'] }, Action: ['s3:PutObject'], Resource: `${B}/*` });
    assert.equal(grantsServiceAction(doc, 'cloudtrail.amazonaws.com', 's3:PutObject'), true);
    assert.equal(grantsServiceAction(policy({ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: B }), 'cloudtrail.amazonaws.com', 's3:PutObject'), false);
  });
});

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const owner = { Grantee: { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'CanonicalUser', ID: 'abc123' }, Permission: 'FULL_CONTROL' };
const group = (uri: string, permission: string) => ({ Grantee: { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'Group', URI: uri }, Permission: permission });
const body = (Grant: unknown) => ({ bucketName: 'b', acl: [''], AccessControlPolicy: { AccessControlList: { Grant }, Owner: { ID: 'abc123' } } });

const ACLS: [string, Record<string, unknown>, Exposure | null, { read?: boolean; write?: boolean }?][] = [
  ['canned public-read', { bucketName: 'b', acl: [''], 'x-amz-acl': ['public-read'] }, 'anonymous', { read: true, write: false }],
  ['canned public-read-write', { bucketName: 'b', 'x-amz-acl': 'public-read-write' }, 'anonymous', { read: true, write: true }],
  ['canned authenticated-read', { bucketName: 'b', 'x-amz-acl': ['authenticated-read'] }, 'authenticated', { read: true }],
  ['canned private', { bucketName: 'b', acl: [''], 'x-amz-acl': ['private'] }, 'none'],
  ['canned log-delivery-write', { bucketName: 'b', 'x-amz-acl': ['log-delivery-write'] }, 'none'],
  ['AllUsers READ in the body', body([owner, group(ALL_USERS, 'READ')]), 'anonymous', { read: true, write: false }],
  ['a single Grant object', body(group(ALL_USERS, 'WRITE')), 'anonymous', { read: false, write: true }],
  ['AuthenticatedUsers READ_ACP', body([owner, group(AUTH_USERS, 'READ_ACP')]), 'authenticated', { read: true, write: false }],
  ['owner only', body([owner]), 'none'],
  ['LogDelivery group is not public', body([owner, group('http://acs.amazonaws.com/groups/s3/LogDelivery', 'WRITE')]), 'none'],
  ['grant header to AllUsers', { bucketName: 'b', 'x-amz-grant-read': [`uri="${ALL_USERS}"`] }, 'anonymous', { read: true }],
  ['grant header to one account', { bucketName: 'b', 'x-amz-grant-full-control': ['id="abc123"'] }, 'none'],
  ['no ACL in the request', { bucketName: 'b' }, null],
];

describe('S3 ACL evaluation', () => {
  for (const [name, request, exposure, rights] of ACLS) {
    test(name, () => {
      const grant = evaluateBucketAcl(request);
      assert.equal(grant?.exposure ?? null, exposure);
      if (rights?.read !== undefined) assert.equal(grant?.read, rights.read, 'read');
      if (rights?.write !== undefined) assert.equal(grant?.write, rights.write, 'write');
    });
  }
});
