import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { PruneSummary } from '../lake/prune.js';
import { UserError } from '../sources/input.js';
import { dbOption, openLake } from './common.js';
import { colors, errorColors, formatNumber, renderTable } from './output.js';

const DAY_MS = 86_400_000;
/** A JavaScript Date reaches 100,000,000 days either side of 1970: more days back would be no date at all. */
const MAX_DAYS = 100_000_000;

const FILE_SIZE_NOTE = 'the lake file does not shrink: DuckDB reuses the freed space for what is stored next';

/** `--older-than 90d`: whole days, with the unit so that no one reads 90 as hours or records. */
function days(value: string): number {
  const count = /^\d+d$/.test(value) ? Number(value.slice(0, -1)) : Number.NaN;
  if (!(Number.isSafeInteger(count) && count >= 1 && count <= MAX_DAYS)) {
    throw new InvalidArgumentError(`expected a whole number of days from 1 to ${MAX_DAYS.toLocaleString('en-US')} with its unit, like 90d`);
  }
  return count;
}

/** `--before`: an ISO 8601 date (midnight UTC) or date and time (UTC unless it gives its offset). */
function instant(value: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  const [, year, month, day, time, offset] = match ?? [];
  const date = new Date(`${year}-${month}-${day}${time ?? ''}${time && !offset ? 'Z' : ''}`);
  // Date would roll 2026-02-30 over into March.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (!match || Number.isNaN(date.getTime()) || calendar.getUTCMonth() !== Number(month) - 1 || calendar.getUTCDate() !== Number(day)) {
    throw new InvalidArgumentError('expected an ISO 8601 date or timestamp, like 2026-08-01 or 2026-08-01T12:00:00Z');
  }
  return date;
}

export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description('delete events (and with --findings, findings) older than a cutoff; detection goes on where it stopped')
    .addOption(dbOption())
    .addOption(new Option('--older-than <N>d', 'delete what is more than N days old').argParser(days).conflicts('before'))
    .addOption(new Option('--before <date>', 'delete what is dated before this ISO 8601 date or timestamp (UTC)').argParser(instant))
    .option('--findings', 'also delete findings last updated before the cutoff, with their evidence')
    .option('--dry-run', 'count what would be deleted; change nothing')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', `
Events go by their time, imported GuardDuty findings by theirs, quarantined records with their file when its
ingest completed before the cutoff. The record of files read stays, so ingesting the same logs again passes
over them. Events detect has not processed yet are kept: run 'gumshoe detect' first.

Examples:
  gumshoe prune --older-than 90d
  gumshoe prune --before 2026-01-01 --findings --dry-run`)
    .action(async (options: { olderThan?: number; before?: Date; findings?: boolean; dryRun?: boolean; json?: boolean; db: string }) => {
      const before = options.before ?? (options.olderThan === undefined ? undefined : new Date(Date.now() - options.olderThan * DAY_MS));
      if (!before) throw new UserError('prune needs --older-than <N>d or --before <date>: how old what it deletes is');
      if (before.getTime() > Date.now()) throw new UserError(`--before: ${before.toISOString()} is in the future; pruning up to it would delete events still to come`);
      // Pruning never starts a lake.
      if (!existsSync(options.db)) throw new UserError(`no lake at ${options.db}; pass --db`);
      const { pruneLake } = await import('../lake/prune.js');
      const lake = await openLake(options.db, options.dryRun);
      try {
        const summary = await pruneLake(lake.connection, { before, findings: options.findings, dryRun: options.dryRun });
        if (options.json) console.log(JSON.stringify({ ...summary, ...(summary.dryRun ? {} : { note: FILE_SIZE_NOTE }) }, null, 2));
        else printSummary(summary, Boolean(options.findings));
        const undetected = Object.values(summary.undetected).reduce((sum, n) => sum + n, 0);
        if (undetected > 0) {
          console.error(errorColors.yellow(`${formatNumber(undetected)} event(s) before the cutoff are kept because detect has not processed them yet: run 'gumshoe detect', then prune again`));
        }
      } finally {
        lake.close();
      }
    });
}

function printSummary(summary: PruneSummary, findings: boolean): void {
  console.log(colors.bold(`${summary.dryRun ? 'Would prune' : 'Pruned'} what is dated before ${summary.cutoff}`));
  console.log(renderTable(
    ['table', summary.dryRun ? 'to delete' : 'deleted', 'kept: not yet detected'],
    Object.entries(summary.deleted).map(([table, rows]) => [table, formatNumber(rows), table in summary.undetected ? formatNumber(summary.undetected[table]!) : '']),
  ));
  if (summary.unlinkedMembers > 0) console.log(`${formatNumber(summary.unlinkedMembers)} kept finding(s) ${summary.dryRun ? 'would lose' : 'lost'} their link to a deleted attack sequence`);
  if (!findings) console.log('findings are kept (--findings deletes those last updated before the cutoff)');
  console.log(summary.dryRun ? 'dry run: nothing was deleted' : FILE_SIZE_NOTE);
}
