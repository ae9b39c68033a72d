import { assumedRole, ctEvent, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection } from '../detection.js';

/**
 * DefenseEvasion:IAMUser/BedrockLoggingDisabled: Bedrock model-invocation logging switched off, by a
 * successful DeleteModelInvocationLoggingConfiguration, or by a PutModelInvocationLoggingConfiguration
 * that keeps a destination but turns every data type off (text, image, embedding, video delivery all
 * false), after which nothing about prompts or responses is logged.
 */
const DELIVERY_FLAGS = ['textDataDeliveryEnabled', 'imageDataDeliveryEnabled', 'embeddingDataDeliveryEnabled', 'videoDataDeliveryEnabled'];

function deliversNothing(request: Record<string, unknown> | null): boolean {
  const config = request?.loggingConfig;
  if (config === null || typeof config !== 'object') return false;
  const flags = DELIVERY_FLAGS.filter((f) => f in config).map((f) => (config as Record<string, unknown>)[f]);
  return flags.length > 0 && flags.every((v) => v === false || v === 'false');
}

const NOW = '2026-11-02T10:00:00Z';
const ml = assumedRole('ml-platform-admin', 'dana');
const put = (loggingConfig: Record<string, unknown>, options: { errorCode?: string; userAgent?: string } = {}) =>
  ctEvent({ service: 'bedrock', name: 'PutModelInvocationLoggingConfiguration', identity: ml, time: NOW, request: { loggingConfig }, ...options });
const S3_CONFIG = { s3Config: { bucketName: 'bedrock-invocation-logs-111122223333', keyPrefix: 'prod/' } };

export const bedrockLoggingDisabled: ApiDetection = {
  id: 'bedrock-logging-disabled',
  source: 'cloudtrail',
  types: [
    {
      type: 'DefenseEvasion:IAMUser/BedrockLoggingDisabled',
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0005 Defense Evasion', technique: 'T1562.008 Impair Defenses: Disable or Modify Cloud Logs' },
      title: 'Amazon Bedrock model invocation logging was disabled.',
      description: '{principal} called {api} from {ip}: Bedrock model invocations in {region} are no longer logged, which hides what is sent to models and how they are used.',
      remediation: 'If the change was not planned, restore the model invocation logging configuration and review Bedrock usage and the principal\u2019s other activity since the change.',
    },
  ],
  apis: ['DeleteModelInvocationLoggingConfiguration', 'PutModelInvocationLoggingConfiguration'],
  onEvent(event, context) {
    if (event.service !== 'bedrock.amazonaws.com' || event.failed) return;
    if (event.api === 'DeleteModelInvocationLoggingConfiguration' || deliversNothing(event.request)) {
      context.emit({ type: 'DefenseEvasion:IAMUser/BedrockLoggingDisabled', event });
    }
  },
  cases: () => [
    {
      name: 'logging configuration deleted from the console (Panther)',
      datasets: [{ panther: 'AWS.Bedrock.DeleteModelInvocationLoggingConfiguration', test: 'Model Invocation Logging Configuration Deleted' }],
      expect: ['DefenseEvasion:IAMUser/BedrockLoggingDisabled'],
    },
    {
      name: 'logging kept but every data type switched off',
      records: [put({ ...S3_CONFIG, textDataDeliveryEnabled: false, imageDataDeliveryEnabled: false, embeddingDataDeliveryEnabled: false, videoDataDeliveryEnabled: false })],
      expect: ['DefenseEvasion:IAMUser/BedrockLoggingDisabled'],
    },
    { name: 'listing guardrails (Panther)', datasets: [{ panther: 'AWS.Bedrock.DeleteModelInvocationLoggingConfiguration', test: 'List Guardrails' }], expect: [] },
    {
      name: 'Terraform moves logging to CloudWatch with text only; a denied delete',
      records: [
        put(
          {
            cloudWatchConfig: { logGroupName: '/bedrock/invocations', roleArn: 'arn:aws:iam::111122223333:role/bedrock-logging' },
            textDataDeliveryEnabled: true,
            imageDataDeliveryEnabled: false,
            embeddingDataDeliveryEnabled: false,
          },
          { userAgent: TERRAFORM_AGENT },
        ),
        ctEvent({ service: 'bedrock', name: 'DeleteModelInvocationLoggingConfiguration', identity: assumedRole('DataScientist', 'sam'), time: NOW, errorCode: 'AccessDeniedException' }),
      ],
      expect: [],
    },
  ],
};
