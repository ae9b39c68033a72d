import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../sources/input.js';
import type { CloudTrailRecord, DatasetRef } from './detection.js';

// Resolves a detection case's dataset references to CloudTrail records from the public datasets, read in
// place, never copied into the repository.

let resolvedDatasets: string | undefined;

/**
 * The datasets folder: GUMSHOE_DATASETS, else `shared/datasets` next to the repository or next to any folder
 * above it (a clone in a scratch folder beside `shared/` finds it too), else the sibling path, which the
 * error for a missing file then names.
 */
export function datasetsDir(): string {
  if (process.env.GUMSHOE_DATASETS) return process.env.GUMSHOE_DATASETS;
  if (resolvedDatasets) return resolvedDatasets;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidates: string[] = [];
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'shared', 'datasets'));
    if (path.dirname(dir) === dir) break;
  }
  resolvedDatasets = candidates.find((candidate) => existsSync(candidate)) ?? candidates[0]!;
  return resolvedDatasets;
}

const cache = new Map<string, unknown[]>();

function jsonLines(file: string): unknown[] {
  let lines = cache.get(file);
  if (!lines) {
    const full = path.join(datasetsDir(), file);
    if (!existsSync(full)) {
      throw new UserError(`dataset file not found: ${full}. The simulator replays real public AWS logs read in place from shared/datasets, next to the repository or to a folder above it; set GUMSHOE_DATASETS to that folder.`);
    }
    lines = gunzipSync(readFileSync(full))
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as unknown);
    cache.set(file, lines);
  }
  return lines;
}

/** Panther test events carry Panther's own `p_*` fields; they are not part of the CloudTrail record. */
function withoutPantherFields(log: Record<string, unknown>): CloudTrailRecord {
  return Object.fromEntries(Object.entries(log).filter(([key]) => !key.startsWith('p_')));
}

export function datasetRecords(ref: DatasetRef): CloudTrailRecord[] {
  if ('panther' in ref) {
    const cases = jsonLines('panther_rule_tests/cloudtrail_tests.jsonl.gz') as {
      rule_id: string;
      test_name: string;
      log: Record<string, unknown>;
    }[];
    const found = cases.find((c) => c.rule_id === ref.panther && c.test_name === ref.test);
    if (!found) throw new Error(`no Panther test ${ref.panther} / ${ref.test}`);
    return [withoutPantherFields(found.log)];
  }
  if ('stratus' in ref) {
    const all = jsonLines('stratus_detonation_logs/all_events_labelled.jsonl.gz') as {
      label: { technique_id: string };
      event: CloudTrailRecord;
    }[];
    const events = all.filter((e) => e.label.technique_id === ref.stratus).map((e) => e.event);
    if (events.length === 0) throw new Error(`no Stratus technique ${ref.stratus}`);
    return events;
  }
  const events = jsonLines('otrf_aws_cloud_breach_s3/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl.gz') as CloudTrailRecord[];
  if (ref.otrf === 'all') return events;
  const labels = jsonLines('otrf_aws_cloud_breach_s3/labels.jsonl.gz') as { eventID: string; malicious: boolean }[];
  const malicious = new Set(labels.filter((l) => l.malicious).map((l) => l.eventID));
  return events.filter((e) => malicious.has(String(e.eventID)) === (ref.otrf === 'malicious'));
}
