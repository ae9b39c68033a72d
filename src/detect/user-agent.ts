/**
 * Coarse user-agent categories, as GuardDuty reports them in `additionalInfo.userAgent.userAgentCategory`
 * and profiles them for anomaly detection (a new SDK version is not a new agent; a new tool is).
 */
const CATEGORIES: [RegExp, string][] = [
  [/^aws-cli\//i, 'aws-cli'],
  [/^Boto3\//, 'Boto3'],
  [/^Botocore\//i, 'Botocore'],
  [/^aws-sdk-java|^AWS ?SDK ?for ?Java|^aws-sdk-java-v2/i, 'aws-sdk-java'],
  [/^aws-sdk-go/i, 'aws-sdk-go'],
  [/^aws-sdk-nodejs|^aws-sdk-js|^aws-sdk-js-v3/i, 'aws-sdk-nodejs'],
  [/^aws-sdk-dotnet|^aws-sdk-net/i, 'aws-sdk-dotnet'],
  [/^aws-sdk-ruby/i, 'aws-sdk-ruby'],
  [/^aws-sdk-php/i, 'aws-sdk-php'],
  [/^aws-sdk-rust/i, 'aws-sdk-rust'],
  [/^APN\/1\.0 HashiCorp\/1\.0 Terraform|Terraform\//, 'Terraform'],
  [/^aws-cdk|^CloudFormation/i, 'CloudFormation'],
  [/^AWS Internal$/, 'AWS Internal'],
  [/^signin\.amazonaws\.com$|^AwsSignin/i, 'AwsSignin'],
  [/^console\.amazonaws\.com$|^console\.aws\.amazon\.com|^AWS ?Console|S3Console/i, 'AWS Console'],
  [/^[a-z0-9-]+\.amazonaws\.com$/, 'AWS Service'],
  [/^Mozilla\/|^Opera\//, 'browser'],
  [/^python-requests|^curl\/|^Wget\//i, 'http-client'],
];

/** The agent without the brackets CloudTrail puts around it in S3 data events (`[aws-cli/2.15.0 …]`). */
export function bareAgent(userAgent: string): string {
  return userAgent.startsWith('[') ? userAgent.slice(1, userAgent.endsWith(']') ? -1 : undefined) : userAgent;
}

export function userAgentCategory(userAgent: string | null): string {
  if (!userAgent) return 'OTHER';
  const agent = bareAgent(userAgent);
  for (const [pattern, category] of CATEGORIES) if (pattern.test(agent)) return category;
  return 'OTHER';
}

