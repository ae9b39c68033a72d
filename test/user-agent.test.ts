import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uaCategory } from '../src/detect/cloudtrail/behavior-profile.js';
import { userAgentCategory } from '../src/detect/user-agent.js';

test('an S3 data event’s bracketed agent has the category of the same client on a management event', () => {
  const cli = 'aws-cli/1.18.136 Python/3.8.5 Linux/5.4.0-1024-aws botocore/1.17.59';
  assert.equal(userAgentCategory(cli), 'aws-cli');
  assert.equal(userAgentCategory(`[${cli}]`), 'aws-cli');
  assert.equal(userAgentCategory('[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488]'), 'AWS Console');
  assert.equal(userAgentCategory('[unknown-tool]'), 'OTHER');
  assert.equal(uaCategory(`[${cli}]`), 'aws-cli');
});
