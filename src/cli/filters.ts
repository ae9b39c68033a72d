import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CriteriaError } from '../findings/criteria.js';
import {
  addFilter,
  FILTER_ACTIONS,
  type FilterAction,
  FilterError,
  type FindingFilter,
  getFilter,
  listFilters,
  MAX_FILTERS,
  removeFilter,
  updateFilter,
} from '../findings/filters.js';
import type { Lake } from '../lake/db.js';
import { UserError } from '../sources/input.js';
import { dbOption, openLake } from './common.js';
import { renderTable } from './output.js';

interface FieldOptions {
  db: string;
  criteria?: string;
  action?: FilterAction;
  rank?: number;
  description?: string;
  json?: boolean;
}

/** `gumshoe filters …`: GuardDuty-style saved filters and suppression rules kept in the lake. */
export function registerFilterCommands(program: Command): void {
  const filters = program
    .command('filters')
    .description('saved finding filters and suppression rules (action ARCHIVE), applied in rank order');

  const fieldOptions = (command: Command, action: Option) =>
    command
      .addOption(dbOption())
      .addOption(action)
      .option('--rank <n>', `position 1–${MAX_FILTERS}; 1 is applied first, later filters move down (default: last)`, parseRank)
      .option('--description <text>', 'what the filter is for (≤ 512 characters)')
      .option('--json', 'print the filter as JSON');

  fieldOptions(
    filters
      .command('add')
      .description('save a filter; with --action ARCHIVE it suppresses (archives) every new matching finding')
      .requiredOption('--name <name>', '3–64 characters: letters, digits, . _ -')
      .requiredOption('--criteria <json|@file>', 'FindingCriteria JSON, e.g. {"criterion":{"type":{"equals":["Recon:EC2/Portscan"]}}}'),
    new Option('--action <action>', 'NOOP keeps a saved view, ARCHIVE suppresses matches').choices(FILTER_ACTIONS).default('NOOP'),
  )
    .addHelpText('after', `
Criteria use GuardDuty's FindingCriteria: attribute paths (e.g. service.action.awsApiCallAction.remoteIpDetails.ipAddressV4,
resource.instanceDetails.tags.value, severity) with equals, notEquals, greaterThan(OrEqual), lessThan(OrEqual), matches (* wildcard)
or notMatches. The CLI's PascalCase form ({"Criterion":{"type":{"Eq":[…]}}}) and eq/neq/gt/gte/lt/lte are accepted.
Timestamps compare as epoch milliseconds; severity "7" means 7.0–7.9.`)
    .action((options: FieldOptions & { name: string }) =>
      withLake(options.db, false, async (lake) => {
        const filter = await addFilter(lake.connection, {
          name: options.name,
          findingCriteria: readCriteria(options.criteria!),
          action: options.action,
          rank: options.rank,
          description: options.description,
        });
        printChange('added', filter, options.json);
      }));

  filters
    .command('list')
    .description('the filters in rank order')
    .addOption(dbOption())
    .option('--json', 'print as JSON')
    .action((options: { db: string; json?: boolean }) =>
      withLake(options.db, true, async (lake) => {
        const all = await listFilters(lake.connection);
        if (options.json) {
          console.log(JSON.stringify(all, null, 2));
        } else if (all.length === 0) {
          console.log('no filters');
        } else {
          console.log(renderTable(
            ['rank', 'name', 'action', 'attributes', 'description'],
            all.map((f) => [f.rank, f.name, f.action, Object.keys(f.findingCriteria.criterion).join(', '), f.description]),
          ));
        }
      }));

  filters
    .command('show')
    .description('one filter as JSON')
    .argument('<name>')
    .addOption(dbOption())
    .action((name: string, options: { db: string }) =>
      withLake(options.db, true, async (lake) => {
        const filter = await getFilter(lake.connection, name);
        if (!filter) throw new UserError(`no filter named "${name}"`);
        console.log(JSON.stringify(filter, null, 2));
      }));

  fieldOptions(
    filters
      .command('update')
      .description("change a filter's criteria, action, rank or description")
      .argument('<name>')
      .option('--criteria <json|@file>', 'new FindingCriteria JSON'),
    new Option('--action <action>', 'NOOP or ARCHIVE').choices(FILTER_ACTIONS),
  ).action((name: string, options: FieldOptions) =>
    withLake(options.db, false, async (lake) => {
      const filter = await updateFilter(lake.connection, name, {
        findingCriteria: options.criteria === undefined ? undefined : readCriteria(options.criteria),
        action: options.action,
        rank: options.rank,
        description: options.description,
      });
      printChange('updated', filter, options.json);
    }));

  filters
    .command('remove')
    .description('delete a filter; the ones after it move up')
    .argument('<name>')
    .addOption(dbOption())
    .action((name: string, options: { db: string }) =>
      withLake(options.db, false, async (lake) => {
        await removeFilter(lake.connection, name);
        console.log(`removed filter "${name}"`);
      }));
}

function parseRank(value: string): number {
  const rank = Number(value);
  if (!Number.isInteger(rank) || rank < 1 || rank > MAX_FILTERS) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_FILTERS}`);
  return rank;
}

/** `--criteria` is JSON text, or `@path` to a file holding it. */
function readCriteria(value: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new UserError(`cannot read --criteria file ${value.slice(1)}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`--criteria is not valid JSON: ${(error as Error).message}`);
  }
}

function printChange(verb: string, filter: FindingFilter, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(filter, null, 2));
    return;
  }
  const effect = filter.action === 'ARCHIVE' ? 'suppresses matching findings' : 'saved view, archives nothing';
  console.log(`${verb} filter "${filter.name}" at rank ${filter.rank} (${filter.action}: ${effect})`);
}

/** Runs `work` on the lake, closing it after; criteria and filter problems become one-line user errors. */
async function withLake(file: string, readOnly: boolean, work: (lake: Lake) => Promise<void>): Promise<void> {
  const lake = await openLake(file, readOnly);
  try {
    await work(lake);
  } catch (error) {
    if (error instanceof CriteriaError) throw new UserError(`invalid --criteria: ${error.message}`);
    if (error instanceof FilterError) throw new UserError(error.message);
    throw error;
  } finally {
    lake.close();
  }
}
