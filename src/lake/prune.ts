import type { DuckDBConnection } from '@duckdb/node-api';
import { lastWatermarks, processedRows, SOURCES, storeProcessedRows, type Watermarks } from '../detect/engine.js';
import { LAST_PRUNE_KEY } from './schema.js';

/**
 * Retention: deletes what is older than a cutoff. Events go by their time; the `ingested_files` registry
 * stays, so a later ingest of the same prefix passes over the files whose events were pruned.
 *
 * Detect remembers how far it got as a count of processed rows per event table (the first N rows in row-id
 * order, engine.ts). Only processed rows are deleted, and the count is lowered by as many in the same
 * transaction, so the rows still processed stay the first ones and the next run starts where the last one
 * stopped. Rows before the cutoff that detect has not processed yet are kept for it.
 */

export interface PruneOptions {
  /** What is dated before this instant goes. */
  before: Date;
  /** Also delete findings last updated before the cutoff, with their evidence. */
  findings?: boolean;
  /** Count what would go; change nothing (the lake may be open read-only). */
  dryRun?: boolean;
}

export interface PruneSummary {
  cutoff: string;
  dryRun: boolean;
  /** Rows deleted (with dryRun: to delete) per table. */
  deleted: Record<string, number>;
  /** Rows before the cutoff kept because detect has not processed them yet, per event table. */
  undetected: Record<string, number>;
  /** Findings kept whose attack sequence was deleted: their link to it is removed (with dryRun: would be). */
  unlinkedMembers: number;
}

/** A table's rows to delete, as a condition on them. */
interface Target {
  table: string;
  where: string;
}

const timestamp = (date: Date) => `TIMESTAMP '${date.toISOString().replace('T', ' ').replace('Z', '')}'`;

async function countRows(connection: DuckDBConnection, table: string, where: string): Promise<number> {
  return Number((await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${table} WHERE ${where}`)).getRows()[0]![0]);
}

/** The event rows before the cutoff that detect processed (up to the row ids `processed`, from lastWatermarks). */
const detectedRows = (cutoff: string, processed: Watermarks): Target[] =>
  SOURCES.map(({ key, table }) => ({ table, where: `time < ${cutoff} AND rowid <= ${processed[key]}` }));

/** The rest to delete, in order: evidence before its findings. */
function otherRows(cutoff: string, findings: boolean): Target[] {
  const old = `SELECT id FROM findings WHERE updated_at < ${cutoff}`;
  return [
    // Imported GuardDuty findings: no detection reads them.
    { table: 'detection_finding', where: `time < ${cutoff}` },
    // A quarantined record has no time to trust; its file's ingest does. Files still being read have none.
    { table: 'quarantine', where: `source_file_id IN (SELECT file_id FROM ingested_files WHERE completed_at < ${cutoff})` },
    ...(findings ? [{ table: 'finding_evidence', where: `finding_id IN (${old})` }, { table: 'findings', where: `id IN (${old})` }] : []),
  ];
}

/**
 * Kept findings that point to an attack sequence deleted with the old findings: they lose the link, which
 * would name a finding no longer there.
 */
function membersLeft(cutoff: string): string {
  const link = `json_extract_string(finding, '$.associatedAttackSequenceArn')`;
  return `updated_at >= ${cutoff} AND ${link} IN (SELECT json_extract_string(finding, '$.arn') FROM findings WHERE updated_at < ${cutoff})`;
}

/** Deletes (or with dryRun counts) what is older than `options.before` in one transaction, then checkpoints. */
export async function pruneLake(connection: DuckDBConnection, options: PruneOptions): Promise<PruneSummary> {
  const cutoff = timestamp(options.before);
  const findings = Boolean(options.findings);
  const dryRun = Boolean(options.dryRun);
  const summary: PruneSummary = { cutoff: options.before.toISOString(), dryRun, deleted: {}, undetected: {}, unlinkedMembers: 0 };
  if (!dryRun) await connection.run('BEGIN TRANSACTION');
  try {
    const processed = await lastWatermarks(connection);
    for (const { key, table } of SOURCES) summary.undetected[table] = await countRows(connection, table, `time < ${cutoff} AND rowid > ${processed[key]}`);
    if (findings) summary.unlinkedMembers = await countRows(connection, 'findings', membersLeft(cutoff));
    const targets = [...detectedRows(cutoff, processed), ...otherRows(cutoff, findings)];
    if (dryRun) {
      for (const { table, where } of targets) summary.deleted[table] = await countRows(connection, table, where);
      return summary;
    }
    if (summary.unlinkedMembers > 0) {
      await connection.run(`UPDATE findings SET finding = json_merge_patch(finding, '{"associatedAttackSequenceArn": null}') WHERE ${membersLeft(cutoff)}`);
    }
    for (const { table, where } of targets) summary.deleted[table] = Number((await connection.run(`DELETE FROM ${table} WHERE ${where}`)).rowsChanged);
    // Deleted rows keep their row ids until the commit: the processed ones left are those up to the same ids.
    if (SOURCES.some(({ table }) => summary.deleted[table]! > 0)) await storeProcessedRows(connection, await processedRows(connection, processed, processed));
    if (Object.values(summary.deleted).some((rows) => rows > 0)) {
      const record = JSON.stringify({ at: new Date().toISOString(), cutoff: summary.cutoff, deleted: summary.deleted });
      await connection.run(`INSERT INTO lake_meta VALUES ('${LAST_PRUNE_KEY}', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [record]);
    }
    await connection.run('COMMIT');
  } catch (error) {
    // A failed COMMIT (the disk full) has ended the transaction already: its error is the one to tell.
    if (!dryRun) await connection.run('ROLLBACK').catch(() => {});
    throw error;
  }
  // The freed blocks are reused by later writes; the file does not shrink. A checkpoint that compacts the
  // deleted rows away renumbers the rows after them, which the count of processed rows allows for.
  await connection.run('CHECKPOINT');
  return summary;
}
