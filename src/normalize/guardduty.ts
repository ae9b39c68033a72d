import { envelopeOf, parseTime, type Structure, transformRecord, unwrappedText } from './json-fields.js';
import type { Normalizer } from './normalizer.js';
import { sqlString } from './vpcflow.js';

/**
 * GuardDuty findings (GetFindings JSON in camelCase, the AWS CLI's PascalCase, or EventBridge envelopes)
 * → OCSF Detection Finding (2004), kept for correlation with Gumshoe's own findings.
 */
const FIELDS = ['id', 'arn', 'type', 'title', 'description', 'severity', 'accountId', 'region', 'createdAt', 'updatedAt'];
const pascal = (name: string) => name[0]!.toUpperCase() + name.slice(1);
/**
 * Each spelling is parsed into its own struct: DuckDB matches JSON keys case-sensitively but struct fields
 * case-insensitively, so one struct holding both `id` and `Id` could never read `Id`.
 */
const CAMEL: Structure = {
  ...Object.fromEntries(FIELDS.map((f) => [f, 'VARCHAR'])),
  resource: { resourceType: 'VARCHAR' },
  service: {
    count: 'VARCHAR', archived: 'VARCHAR', eventFirstSeen: 'VARCHAR', eventLastSeen: 'VARCHAR',
    additionalInfo: { sample: 'VARCHAR', value: 'VARCHAR' },
  },
};
const PASCAL: Structure = {
  ...Object.fromEntries(FIELDS.map((f) => [pascal(f), 'VARCHAR'])),
  // Only Security Hub's ASFF has it: such a record is refused by name, not as a finding missing its type.
  ProductArn: 'VARCHAR',
  Resource: { ResourceType: 'VARCHAR' },
  Service: {
    Count: 'VARCHAR', Archived: 'VARCHAR', EventFirstSeen: 'VARCHAR', EventLastSeen: 'VARCHAR',
    AdditionalInfo: { Sample: 'VARCHAR', Value: 'VARCHAR' },
  },
};

/** Security Hub's format renames and drops GuardDuty's fields: refused by name rather than read half-way. */
const ASFF_REFUSAL =
  'a Security Hub ASFF finding, not GuardDuty finding JSON: import findings as GuardDuty writes them (aws guardduty get-findings, or EventBridge "GuardDuty Finding" events)';

/** A finding field in either spelling: `j` holds the camelCase struct, `k` the PascalCase one. */
const field = (name: string) => `coalesce(j.${name}, k.${pascal(name)})`;

/**
 * SQL: whether GuardDuty made the finding up (CreateSampleFindings): placeholder resources that must not be
 * correlated as real activity. It says so in additionalInfo.sample (true or "true"), in the JSON text of
 * additionalInfo.value (all that some exports keep), and with a `[SAMPLE]` title.
 */
const isSample = () => {
  const info = (name: string) => `coalesce(j.service.additionalInfo.${name}, k.Service.AdditionalInfo.${pascal(name)})`;
  const flag = `coalesce(${info('sample')}, TRY(json_extract_string(${info('value')}, '$.sample')))`;
  return `(coalesce(try_cast(${flag} AS BOOLEAN), false) OR coalesce(starts_with(${field('title')}, '[SAMPLE]'), false))`;
};

export const guardDutyNormalizer: Normalizer = {
  sourceType: 'guardduty',
  table: 'detection_finding',
  selects: (files, from) => [
    `
WITH enveloped AS (
  SELECT r.*, CASE WHEN r.broken IS NULL THEN ${unwrappedText('r.raw', envelopeOf('r.raw'))} END AS own
  FROM ${from(files.map((f) => f.fileId))} r
), typed AS (
  SELECT e.* EXCLUDE (own), ${transformRecord('e.own', CAMEL)} AS j, ${transformRecord('e.own', PASCAL)} AS k
  FROM enveloped e
), scored AS (
  SELECT t.*, try_cast(${field('severity')} AS DOUBLE) AS score,
    ${parseTime(`coalesce(${field('updatedAt')}, ${field('createdAt')})`)} AS finding_time,
    ${parseTime(field('updatedAt'))} AS updated_time
  FROM typed t
)
SELECT
  CASE
    WHEN broken IS NOT NULL THEN broken
    WHEN j IS NULL THEN 'malformed JSON'
    WHEN k.ProductArn IS NOT NULL THEN ${sqlString(ASFF_REFUSAL)}
    WHEN ${field('id')} IS NULL THEN 'missing required field id'
    WHEN ${field('type')} IS NULL THEN 'missing required field type'
    WHEN coalesce(${field('updatedAt')}, ${field('createdAt')}) IS NULL THEN 'missing required field updatedAt'
    WHEN finding_time IS NULL THEN 'field updatedAt: not an ISO-8601 time: ' || left(coalesce(${field('updatedAt')}, ${field('createdAt')}), 60)
    WHEN ${field('severity')} IS NOT NULL AND score IS NULL THEN 'field severity: not a number: ' || left(${field('severity')}, 60)
  END AS reason,
  finding_time AS time,
  ${field('id')} AS finding_uid,
  ${field('arn')} AS finding_info_uid,
  ${field('type')} AS finding_type,
  ${field('title')} AS finding_info_title,
  ${field('description')} AS finding_info_desc,
  CASE WHEN score >= 9 THEN 'Critical' WHEN score >= 7 THEN 'High' WHEN score >= 4 THEN 'Medium' WHEN score IS NOT NULL THEN 'Low' END AS severity,
  CASE WHEN score >= 9 THEN 5 WHEN score >= 7 THEN 4 WHEN score >= 4 THEN 3 WHEN score IS NOT NULL THEN 2 ELSE 0 END AS severity_id,
  score AS severity_score,
  ${field('accountId')} AS cloud_account_uid,
  ${field('region')} AS cloud_region,
  coalesce(j.resource.resourceType, k.Resource.ResourceType) AS resource_type,
  ${parseTime(field('createdAt'))} AS created_time,
  updated_time AS modified_time,
  ${parseTime('coalesce(j.service.eventFirstSeen, k.Service.EventFirstSeen)')} AS first_seen_time,
  ${parseTime('coalesce(j.service.eventLastSeen, k.Service.EventLastSeen)')} AS last_seen_time,
  try_cast(coalesce(j.service.count, k.Service.Count) AS BIGINT) AS count,
  try_cast(coalesce(j.service.archived, k.Service.Archived) AS BOOLEAN) AS archived,
  ${isSample()} AS sample,
  'GuardDuty' AS metadata_product_name,
  file_id AS source_file_id, line AS source_line, idx AS record_index, raw,
  -- The update's instant, not its text: an exporter that drops the milliseconds (…00Z for …00.000Z) writes the same update.
  md5_number('gd:' || ${field('id')} || '@' || coalesce(epoch_us(updated_time)::VARCHAR, '')) AS dedup_key
FROM scored`,
  ],
};
