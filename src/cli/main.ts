#!/usr/bin/env node
// Command definitions load only what their names, options and help need: DuckDB, the AWS SDK, the detections,
// the simulator and the server are imported when an action first needs them, so `--help` stays fast.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type IngestSummary, SOURCE_TYPES, type SourceType } from '../lake/ingest-api.js';
import { isOutOfMemory, ShortRead } from '../lake/db.js';
import { isMemoryStepUp } from '../lake/ingest-memory.js';
import { QUERY_FORMATS, type QueryFormat, runQuery } from '../lake/query.js';
import { lakeStats, sourceName } from '../lake/stats.js';
import { EVENT_TABLES } from '../lake/schema.js';
import { UserError } from '../sources/input.js';
import { dbOption, lakeFault, openLake, reportIngestProblems, systemFault } from './common.js';
import { registerDetectCommands } from './detect.js';
import { registerFilterCommands } from './filters.js';
import { registerSimulateCommands } from './simulate.js';
import { registerIntelCommands } from './intel.js';
import { registerServeCommands } from './serve.js';
import { registerPruneCommand } from './prune.js';
import { colors, errorColors, formatNumber, jsonReplacer, renderTable } from './output.js';
import { ingestProgress } from './progress.js';

/** Exit codes: 0 done; 1 internal error (a bug); 2 user error (bad arguments, path, credentials, SQL); 3 records quarantined with --strict. */
const EXIT_QUARANTINED = 3;

const program = new Command()
  .name('gumshoe')
  .description('Self-hosted threat detection and investigation for AWS logs (CloudTrail, VPC Flow, Route 53 DNS).')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText('after', `
Examples:
  gumshoe demo                                        simulate an attacked organisation, detect, explain
  gumshoe ingest ./AWSLogs s3://my-trail-bucket/AWSLogs/
  gumshoe detect --threat-list blocklist.txt          detect over what is new; findings as GuardDuty JSON lines
  gumshoe findings list --severity high               what was found, most severe first
  gumshoe query "SELECT type, count(*) FROM findings GROUP BY 1"

The lake is ./gumshoe.duckdb unless --db names another. Exit codes: 0 done, 1 internal error, 2 user error,
3 quarantined records with ingest --strict, 130 interrupted (Ctrl-C). 'gumshoe <command> --help' for more.`);

program
  .command('ingest')
  .description('read logs from files, directory trees or s3://bucket/prefix into the lake')
  .argument('<inputs...>', 'files, directories or s3:// URIs')
  .addOption(dbOption())
  .addOption(new Option('--type <type>', 'force the format instead of detecting it per file').choices(SOURCE_TYPES))
  .option('--endpoint <url>', 'S3-compatible endpoint for s3:// inputs')
  .option('--region <region>', 'AWS region for s3:// inputs')
  .option('--json', 'print the summary as JSON')
  .option('--strict', `exit ${EXIT_QUARANTINED} when any record was quarantined`)
  .option('--flow-format <fields>', "field order of flow logs without a header line (CloudWatch Logs, cut lines): their LogFormat ('${version} ${account-id} …') or the field names; a file with a header line keeps its header's order")
  .addHelpText('after', `
Formats are detected per file: CloudTrail (delivered {"Records":[…]} files, JSON lines, EventBridge events;
digest files are skipped), VPC Flow Logs (text, any version 2–8 or transit gateway, in the order of the header
line, else --flow-format's, else the default), Route 53 Resolver query logs (JSON lines) and GuardDuty
findings. .gz is read transparently.
Re-running is safe: files already read are passed over and records already stored count as duplicates.
Ctrl-C keeps what was committed; the same command then reads the rest.

Examples:
  gumshoe ingest ./AWSLogs                                   a tree in AWS's S3 key layout
  gumshoe ingest export.jsonl.gz --type cloudtrail           force the format
  gumshoe ingest firehose --flow-format "$(cat log-format)"  flow logs through CloudWatch Logs, custom format
  gumshoe ingest s3://my-trail-bucket/AWSLogs/123456789012/ --region eu-west-1
  gumshoe ingest s3://logs/ --endpoint http://127.0.0.1:9000 an S3-compatible store (MinIO, s3rver)`)
  .action(async (inputs: string[], options: { db: string; type?: SourceType; endpoint?: string; region?: string; json?: boolean; strict?: boolean; flowFormat?: string }) => {
    const { checkTargets, ingest } = await import('../lake/ingest.js');
    // Before the lake is opened: a mistyped input or --flow-format field leaves no new lake file behind.
    await checkTargets(inputs, options);
    const lake = await openLake(options.db);
    const progress = ingestProgress(options.json);
    try {
      const summary = await ingest(lake, inputs, {
        forceType: options.type,
        flowFormat: options.flowFormat,
        endpoint: options.endpoint,
        region: options.region,
        onProgress: progress.update,
      });
      progress.stop();
      if (options.json) console.log(JSON.stringify(summary, jsonReplacer, 2));
      else printIngestSummary(summary, options.db);
      if (options.strict && summary.quarantined > 0) process.exitCode = EXIT_QUARANTINED;
      reportIngestProblems(withoutMemoryNotes(summary));
    } finally {
      progress.stop();
      lake.close();
    }
  });

program
  .command('query')
  .description('run one SQL statement (DuckDB) against the lake, read-only')
  .argument('<sql>', 'one SQL statement')
  .addOption(dbOption())
  .addOption(new Option('--format <format>', 'table, json (one object per line) or csv').choices(QUERY_FORMATS).default('table'))
  .addHelpText('after', `
Tables: api_activity (CloudTrail), network_activity (VPC flow), dns_activity (Route 53), detection_finding
(imported GuardDuty findings), findings (Gumshoe's), finding_evidence, quarantine, ingested_files, ingest_runs.
'SHOW TABLES' and 'DESCRIBE api_activity' list them and their columns.

Examples:
  gumshoe query "SELECT actor_user_uid, api_operation, count(*) n FROM api_activity WHERE status = 'Failure' GROUP BY ALL ORDER BY n DESC LIMIT 10"
  gumshoe query "SELECT uri, location, reason FROM quarantine" --format json
  gumshoe query "SELECT type, severity, title FROM findings WHERE NOT archived" --format csv > findings.csv`)
  .action(async (sql: string, options: { db: string; format: QueryFormat }) => {
    const lake = await openLake(options.db, true);
    try {
      await runQuery(lake.connection, sql, options.format, process.stdout);
    } finally {
      lake.close();
    }
  });

program
  .command('stats')
  .description('what the lake holds: events per source, account, region and day; time range; quarantine')
  .addOption(dbOption())
  .option('--json', 'print as JSON')
  .addHelpText('after', `
Examples:
  gumshoe stats
  gumshoe stats --db lake.duckdb --json`)
  .action(async (options: { db: string; json?: boolean }) => {
    const lake = await openLake(options.db, true);
    try {
      const stats = await lakeStats(lake.connection);
      if (options.json) {
        console.log(JSON.stringify(stats, jsonReplacer, 2));
        return;
      }
      console.log(colors.bold(`Lake ${options.db}`));
      console.log(renderTable(
        ['source', 'table', 'events', 'first', 'last', 'accounts', 'regions', 'days'],
        EVENT_TABLES.map((t) => {
          const s = stats.tables[t];
          return [sourceName(t), t, formatNumber(s.events), s.first ?? '', s.last ?? '', s.byAccount.length, s.byRegion.length, s.byDay.length];
        }),
      ));
      for (const table of EVENT_TABLES) {
        const s = stats.tables[table];
        if (s.events === 0) continue;
        console.log(`\n${colors.bold(table)} by account: ${s.byAccount.map((a) => `${a.account ?? '(none)'} ${formatNumber(a.count)}`).join(', ')}`);
        console.log(`${colors.bold(table)} by region: ${s.byRegion.map((r) => `${r.region ?? '(none)'} ${formatNumber(r.count)}`).join(', ')}`);
        console.log(`${colors.bold(table)} by day: ${s.byDay.map((d) => `${d.day} ${formatNumber(d.count)}`).join(', ')}${s.undated ? `, undated ${formatNumber(s.undated)}` : ''}`);
      }
      console.log(`\nquarantined records: ${formatNumber(stats.quarantined)}${stats.quarantineReasons.length ? ` (${quarantineSummary(stats.quarantineReasons)})` : ''}`);
      console.log(`files: ${stats.files.map((f) => `${f.status} ${formatNumber(f.count)}`).join(', ') || 'none'}`);
    } finally {
      lake.close();
    }
  });

registerIntelCommands(program);

registerDetectCommands(program);
registerFilterCommands(program);
registerSimulateCommands(program);
registerServeCommands(program);
registerPruneCommand(program);

const REASONS_SHOWN = 10;

/** The commonest quarantine reasons with their counts, and how many records the rest account for. */
function quarantineSummary(reasons: { reason: string; count: number }[]): string {
  const shown = reasons.slice(0, REASONS_SHOWN).map((r) => `${r.reason}: ${formatNumber(r.count)}`);
  const rest = reasons.slice(REASONS_SHOWN);
  if (rest.length) shown.push(`${rest.length} other reasons: ${formatNumber(rest.reduce((sum, r) => sum + r.count, 0))}`);
  return shown.join('; ');
}

/**
 * A batch committed again at a higher memory limit is the design working, not something to fix: printed as a
 * note (JSON keeps it among the warnings); the rest are the problems to report.
 */
function withoutMemoryNotes(summary: IngestSummary): IngestSummary {
  const notes = summary.warnings.filter(isMemoryStepUp);
  for (const note of notes) console.error(`note: ${note} (handled automatically; nothing to do)`);
  return { ...summary, warnings: summary.warnings.filter((warning) => !isMemoryStepUp(warning)) };
}

function printIngestSummary(summary: IngestSummary, db: string): void {
  const rows = Object.entries(summary.byType).map(([type, c]) => [
    type, formatNumber(c.files), formatNumber(c.read), formatNumber(c.stored), formatNumber(c.duplicates), formatNumber(c.quarantined),
  ]);
  rows.push(['total', formatNumber(summary.files), formatNumber(summary.read), formatNumber(summary.stored), formatNumber(summary.duplicates), formatNumber(summary.quarantined)]);
  console.log(renderTable(['source', 'files', 'read', 'stored', 'duplicates', 'quarantined'], rows));
  const rate = summary.seconds > 0 ? Math.round(summary.read / summary.seconds) : 0;
  console.log(`read ${formatNumber(summary.read)} = stored ${formatNumber(summary.stored)} + duplicates ${formatNumber(summary.duplicates)} + quarantined ${formatNumber(summary.quarantined)}` +
    ` in ${summary.seconds.toFixed(1)} s (${formatNumber(rate)} records/s) into ${db}`);
  if (summary.filesUnchanged) console.log(`${formatNumber(summary.filesUnchanged)} file(s) already read earlier were passed over`);
  if (summary.quarantined > 0) {
    console.error(errorColors.yellow(`${formatNumber(summary.quarantined)} record(s) quarantined with their reasons: gumshoe query "SELECT uri, location, reason FROM quarantine" --db ${db}`));
  }
}

async function main(): Promise<void> {
  // `gumshoe query … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  try {
    await program.parseAsync(process.argv);
  } catch (caught) {
    const error = lakeFault(caught) ?? systemFault(caught) ?? caught;
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof UserError || error instanceof InvalidArgumentError) {
      console.error(errorColors.red(`gumshoe: ${error.message}`));
      process.exitCode = error instanceof UserError ? error.exitCode : 2;
      return;
    }
    const message = (error as Error).message;
    if (isOutOfMemory(error)) {
      console.error(errorColors.red(`gumshoe: ${error instanceof ShortRead ? message : `DuckDB ran out of memory (${message.split('\n')[0]})`}.`));
      console.error('Raise its limit with GUMSHOE_MEMORY_LIMIT=1GB, or commit smaller batches with GUMSHOE_BATCH_RECORDS=65536.');
      process.exitCode = 1;
      return;
    }
    console.error(errorColors.red(`gumshoe: internal error: ${message}`));
    if (process.env.GUMSHOE_DEBUG) console.error((error as Error).stack);
    else console.error('(this is a bug; set GUMSHOE_DEBUG=1 for the stack trace and report it)');
    process.exitCode = 1;
  }
}

await main();
