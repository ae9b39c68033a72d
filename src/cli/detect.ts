import { createWriteStream, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { FINDING_FORMATS, type FindingFormat, formatFinding } from '../findings/export/index.js';
import { AsffRefusal } from '../findings/export/asff.js';
import { hostOf } from '../detect/instance-inventory.js';
import { type GuardDutyFinding, severityLevel } from '../findings/guardduty-finding.js';
import { nearestName } from '../findings/criteria.js';
import { findingTypesInLake, type FindingQuery, MIN_ID_PREFIX, queryFindings, type ResolvedIds, resolveFindingIds, setArchived } from '../findings/store.js';
import { addListsFromSpecs } from './intel.js';
import { UserError } from '../sources/input.js';
import { dbOption, exitOnInterrupt, openLake, reportIngestProblems } from './common.js';
import { colors, errorColors, formatNumber, renderTable } from './output.js';
import { ingestProgress } from './progress.js';

const SEVERITY_BANDS: Record<string, [number, number]> = { low: [1, 4], medium: [4, 7], high: [7, 9], critical: [9, 10.01] };

function severityRange(value: string): Pick<FindingQuery, 'minSeverity' | 'maxSeverity'> {
  const band = SEVERITY_BANDS[value.toLowerCase()];
  if (band) return { minSeverity: band[0], maxSeverity: band[1] };
  const number = Number(value);
  if (Number.isFinite(number) && number >= 1 && number <= 10) return { minSeverity: number };
  throw new UserError(`--severity: expected low, medium, high, critical or a number 1–10 (minimum), not '${value}'`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(number)) throw new InvalidArgumentError('expected a whole number of at least 1');
  return number;
}

/**
 * Refuses a `--type` that no detection raises and no finding in the lake has (a typo would otherwise list
 * nothing, as if there were no such findings), suggesting the type it most likely meant.
 */
async function checkTypes(connection: DuckDBConnection, types: string[] | undefined): Promise<void> {
  if (!types?.length) return;
  const known = new Set([...(await loadFindingTypeSpecs()).keys(), ...(await findingTypesInLake(connection))]);
  for (const type of types) {
    if (known.has(type)) continue;
    const near = nearestName(type, known);
    throw new UserError(`--type: unknown finding type '${type}'${near ? ` (did you mean '${near}'?)` : ''}; the types are listed in docs/finding-types.md`);
  }
}

/** Where findings go: a file, stdout (`-`), or by default stdout unless it is a terminal. */
function findingsOutput(output: string | undefined): { stream: Writable; close(): Promise<void> } | undefined {
  if (output === undefined && process.stdout.isTTY) return undefined;
  if (output === undefined || output === '-') return { stream: process.stdout, close: async () => {} };
  const failed = (error: Error) => new UserError(`--output: cannot write findings to ${output}: ${error.message}`);
  // Opened now, so that a path that cannot be written is a one-line error before any work is done.
  let fd: number;
  try {
    fd = openSync(output, 'w');
  } catch (error) {
    throw failed(error as Error);
  }
  const stream = createWriteStream(output, { fd });
  let failure: Error | undefined;
  stream.on('error', (error) => (failure ??= error));
  return {
    stream,
    close: () => new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ?? failure ? reject(failed((error ?? failure)!)) : resolve()))),
  };
}

/** The finding types' specs (remediation, MITRE); they come with every detection, so are loaded only when used. */
async function loadFindingTypeSpecs() {
  const { findingTypeSpecs } = await import('../detect/registry.js');
  return findingTypeSpecs();
}

/** One finding per line; those Security Hub would refuse are left out of ASFF with a warning, not the whole output. */
async function writeFindings(out: Writable, findings: GuardDutyFinding[], format: FindingFormat): Promise<void> {
  const specs = await loadFindingTypeSpecs();
  const refused: AsffRefusal[] = [];
  for (const finding of findings) {
    try {
      out.write(`${JSON.stringify(formatFinding(format, finding, specs.get(finding.type)))}\n`);
    } catch (error) {
      if (!(error instanceof AsffRefusal)) throw error;
      refused.push(error);
    }
  }
  if (refused.length) console.error(`warning: ${formatNumber(refused.length)} finding(s) left out of the ASFF output; the first: ${refused[0]!.message}`);
}

function findingRows(findings: GuardDutyFinding[]): string {
  const paint = (finding: GuardDutyFinding) => {
    const level = severityLevel(finding.severity);
    const text = `${level} ${finding.severity}`;
    return level === 'Critical' || level === 'High' ? colors.red(text) : level === 'Medium' ? colors.yellow(text) : text;
  };
  return renderTable(
    ['severity', 'type', 'account', 'resource', 'count', 'last seen', 'archived', 'id'],
    findings.map((f) => [
      paint(f), f.type, f.accountId, resourceLabel(f), f.service.count, f.service.eventLastSeen, f.service.archived ? 'yes' : '', f.id,
    ]),
  );
}

function resourceLabel(finding: GuardDutyFinding): string {
  const { resource } = finding;
  if (resource.resourceType === 'S3Bucket') return resource.s3BucketDetails?.map((b) => b.name).join(', ') ?? 'bucket';
  if (resource.resourceType === 'Instance') return resource.instanceDetails ? hostOf(resource.instanceDetails).key : 'instance';
  const key = resource.accessKeyDetails;
  const caller = [key?.userName, key?.accessKeyId].filter(Boolean).join(' ') || 'access key';
  // Bucket settings findings (Policy:S3/*, Stealth:S3/*) are about the caller's key and the bucket it changed.
  const buckets = resource.s3BucketDetails?.map((b) => b.name).join(', ');
  return buckets ? `${buckets} (by ${caller})` : caller;
}

/** What was wrong with the ids given, if anything: unknown ones, and abbreviations that name several findings. */
function idProblem({ unknown, ambiguous }: ResolvedIds, listCommand: string): string | undefined {
  const problems = [
    ...(unknown.length ? [`no finding with id ${unknown.join(', ')}; list them with '${listCommand}'`] : []),
    ...(unknown.some((id) => id.length < MIN_ID_PREFIX) ? [`an id may be shortened to its first ${MIN_ID_PREFIX} or more characters, not fewer`] : []),
    ...ambiguous.map(([prefix, matches]) => `id ${prefix} is the start of several findings (${matches.join(', ')}); give more of it`),
  ];
  return problems.length ? problems.join('\n') : undefined;
}

const formatOption = () => new Option('--format <format>', 'finding format').choices(FINDING_FORMATS).default('guardduty');

export function registerDetectCommands(program: Command): void {
  program
    .command('detect')
    .description('ingest the given inputs (if any), run every detection over what is new, and write the findings created or updated')
    .argument('[inputs...]', 'files, directories or s3:// URIs to ingest first')
    .addOption(dbOption())
    .option('--threat-list <file[:format]>', 'add a threat list (TXT, STIX 1.2 or 2.1, OTX_CSV, ALIEN_VAULT, PROOF_POINT, FIRE_EYE)', collect)
    .option('--trusted-ips <file[:format]>', 'add a trusted IP list', collect)
    .addOption(formatOption())
    .option('--output <file|->', 'where to write findings, one JSON object per line (default: stdout when it is not a terminal)')
    .option('--learning-days <days>', 'days a principal is only learned before anomaly types fire (default: 7)', (v) => Number(v))
    .option('--endpoint <url>', 'S3-compatible endpoint for s3:// inputs')
    .option('--region <region>', 'AWS region for s3:// inputs')
    .option('--flow-format <fields>', "field order of input flow logs without a header line: their LogFormat ('${version} ${account-id} …') or the names; a header line wins")
    .action(async (inputs: string[], options: {
      db: string; threatList?: string[]; trustedIps?: string[]; format: FindingFormat; output?: string;
      learningDays?: number; endpoint?: string; region?: string; flowFormat?: string;
    }) => {
      if (options.learningDays !== undefined && !(options.learningDays >= 0)) throw new UserError('--learning-days: expected a number of days ≥ 0');
      if (options.flowFormat !== undefined && inputs.length === 0) throw new UserError('--flow-format: applies to the inputs detect reads first, and none were given');
      const [{ runDetections }, { checkTargets, ingest }] = await Promise.all([import('../detect/engine.js'), import('../lake/ingest.js')]);
      // Before the lake is opened: a mistyped input or --flow-format field stops the run before it does anything.
      if (inputs.length) await checkTargets(inputs, options);
      const lake = await openLake(options.db);
      try {
        const output = findingsOutput(options.output);
        if (options.threatList?.length) await addListsFromSpecs(lake.connection, options.threatList, 'threat');
        if (options.trustedIps?.length) await addListsFromSpecs(lake.connection, options.trustedIps, 'trusted');
        if (inputs.length) {
          const progress = ingestProgress();
          try {
            const ingested = await ingest(lake, inputs, {
              endpoint: options.endpoint, region: options.region, flowFormat: options.flowFormat, onProgress: progress.update,
            });
            progress.stop();
            console.error(`ingested: read ${formatNumber(ingested.read)} = stored ${formatNumber(ingested.stored)} + duplicates ${formatNumber(ingested.duplicates)} + quarantined ${formatNumber(ingested.quarantined)}`);
            reportIngestProblems(ingested);
          } finally {
            progress.stop();
          }
        }
        const started = Date.now();
        // A run stores everything in one transaction at its end, once its findings are written out: an
        // interrupted one leaves the lake as it was, and the next run writes its findings again.
        const stopCatchingInterrupts = exitOnInterrupt('this run stored nothing; the next detect does its work again', () => {});
        const publish = async ({ findings }: { findings: GuardDutyFinding[] }) => {
          if (output) {
            await writeFindings(output.stream, findings, options.format);
            await output.close();
          } else if (findings.length) {
            console.log(findingRows(findings));
          }
        };
        const settings = options.learningDays === undefined ? {} : { learningDays: options.learningDays };
        const summary = await runDetections(lake, { settings, publish }).finally(stopCatchingInterrupts);
        const seconds = (Date.now() - started) / 1000;
        console.error(
          `detected: ${formatNumber(summary.events)} CloudTrail events, ${formatNumber(summary.flows)} flow records, ${formatNumber(summary.queries)} DNS queries` +
            ` in ${seconds.toFixed(1)} s → ${summary.created} new, ${summary.updated} updated finding(s)` +
            `${summary.suppressed ? `, ${summary.suppressed} suppressed by filters` : ''}${summary.trusted ? `, ${summary.trusted} signal(s) from trusted IPs dropped` : ''}`,
        );
        for (const warning of summary.warnings) console.error(errorColors.yellow(`warning: ${warning}`));
      } finally {
        lake.close();
      }
    });

  const findings = program.command('findings').description('list, show, export, archive and unarchive stored findings');
  const selection = (command: Command) =>
    command
      .addOption(dbOption())
      .option('--archived', 'archived findings (default: current ones)')
      .option('--severity <level>', 'low, medium, high, critical, or a minimum number 1–10')
      .option('--type <type>', 'finding type (repeatable)', collect)
      .option('--limit <n>', 'at most this many', positiveInteger);
  const query = (options: { archived?: boolean; severity?: string; type?: string[]; limit?: number }): FindingQuery => ({
    archived: Boolean(options.archived),
    ...(options.severity ? severityRange(options.severity) : {}),
    types: options.type,
    limit: options.limit,
  });

  selection(findings.command('list').description('findings, most severe first: a table, or JSON lines with --format'))
    // No default: without --format, list prints the table.
    .addOption(new Option('--format <format>', 'one finding per line in this format instead of the table').choices(FINDING_FORMATS))
    .addOption(new Option('--json', 'same as --format guardduty').conflicts('format'))
    .action(async (options: { db: string; archived?: boolean; severity?: string; type?: string[]; limit?: number; format?: FindingFormat; json?: boolean }) => {
      const lake = await openLake(options.db, true);
      try {
        await checkTypes(lake.connection, options.type);
        const found = await queryFindings(lake.connection, query(options));
        const format = options.format ?? (options.json ? 'guardduty' : undefined);
        if (format) await writeFindings(process.stdout, found, format);
        else console.log(found.length ? `${findingRows(found)}\n(${found.length} finding${found.length === 1 ? '' : 's'})` : 'no findings');
      } finally {
        lake.close();
      }
    });

  findings
    .command('show')
    .description('one finding in full, with its remediation and the events behind it')
    .argument('<id>', `finding id, or its first ${MIN_ID_PREFIX} or more characters`)
    .addOption(dbOption())
    .addOption(formatOption())
    .action(async (given: string, options: { db: string; format: FindingFormat }) => {
      const lake = await openLake(options.db, true);
      try {
        const resolved = await resolveFindingIds(lake.connection, [given]);
        const problem = idProblem(resolved, 'gumshoe findings list');
        if (problem) throw new UserError(problem);
        const id = resolved.found[0]!;
        const [finding] = await queryFindings(lake.connection, { ids: [id] });
        const spec = (await loadFindingTypeSpecs()).get(finding.type);
        console.log(JSON.stringify(formatFinding(options.format, finding, spec), null, 2));
        if (process.stdout.isTTY && spec) console.log(`\n${colors.bold('Remediation')}: ${spec.remediation}\n${colors.bold('MITRE ATT&CK')}: ${spec.mitre.tactic} / ${spec.mitre.technique}`);
        const evidence = await lake.connection.runAndReadAll(
          `SELECT e.time::VARCHAR, e.event_uid, f.uri, e.source_line FROM finding_evidence e LEFT JOIN ingested_files f ON f.file_id = e.source_file_id
           WHERE e.finding_id = $1 ORDER BY e.time LIMIT 20`,
          [id],
        );
        const rows = evidence.getRowsJS();
        if (process.stdout.isTTY && rows.length) console.log(`\n${colors.bold('Evidence')}\n${renderTable(['time', 'event id', 'file', 'line'], rows)}`);
      } finally {
        lake.close();
      }
    });

  selection(findings.command('export').description('findings as JSON lines in GuardDuty, EventBridge, ASFF or OCSF format'))
    .addOption(formatOption())
    .option('--output <file|->', 'file to write (default stdout)', '-')
    .action(async (options: { db: string; archived?: boolean; severity?: string; type?: string[]; limit?: number; format: FindingFormat; output: string }) => {
      const lake = await openLake(options.db, true);
      try {
        await checkTypes(lake.connection, options.type);
        const found = await queryFindings(lake.connection, query(options));
        const output = findingsOutput(options.output)!;
        await writeFindings(output.stream, found, options.format);
        await output.close();
        console.error(`${found.length} finding(s) exported as ${options.format}`);
      } finally {
        lake.close();
      }
    });

  for (const [name, archived] of [['archive', true], ['unarchive', false]] as const) {
    findings
      .command(name)
      .description(archived ? 'archive findings by hand (they come back if the activity recurs)' : 'return archived findings to the current list')
      .argument('<ids...>', `finding ids, or their first ${MIN_ID_PREFIX} or more characters`)
      .addOption(dbOption())
      .action(async (ids: string[], options: { db: string }) => {
        const lake = await openLake(options.db);
        try {
          // As ingest does with unreadable files: do what can be done, then name what could not and exit 2,
          // so a mistyped id in a triage script does not pass for done.
          const resolved = await resolveFindingIds(lake.connection, ids);
          const changed = await setArchived(lake.connection, resolved.found, archived);
          console.log(`${changed} finding(s) ${name}d`);
          const problem = idProblem(resolved, `gumshoe findings list${archived ? '' : ' --archived'}`);
          if (problem) throw new UserError(problem);
        } finally {
          lake.close();
        }
      });
  }
}
