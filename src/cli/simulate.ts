import { accessSync, constants as fsConstants, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CoverageReport } from '../simulate/coverage.js';
import { UserError } from '../sources/input.js';
import { dbOption, openLake } from './common.js';
import { serveUntilStopped } from './serve.js';
import { colors, formatNumber, renderTable } from './output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const integer = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UserError(`${name}: expected a whole number, not '${value}'`);
  return number;
};

/**
 * The output folder, made and checked before anything is simulated: a folder that cannot be written is the
 * user's to fix, and some (under /proc) fail only deep inside the writers.
 */
function writableDir(dir: string, option: string): string {
  const resolved = path.resolve(dir);
  try {
    mkdirSync(resolved, { recursive: true });
    accessSync(resolved, fsConstants.W_OK);
  } catch (error) {
    throw new UserError(`${option}: cannot write to ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a folder you can write`);
  }
  return resolved;
}

interface SimulationFlags {
  scenario?: string[];
  all?: boolean;
  seed: number;
  days: number;
  accounts: number;
  events: number;
}

const simulationOptions = (command: Command, defaults: { events: number; all: boolean }) =>
  command
    .option('--scenario <id>', 'a scenario id, or a prefix such as incident/ or a detection id (repeatable)', collect)
    .option('--all', `every scenario${defaults.all ? ' (the default)' : ''}`)
    .option('--seed <n>', 'random seed: the same seed gives the same files', integer('--seed'), 1)
    .option('--days <n>', 'days of background history before the attacks', integer('--days'), 8)
    .option('--accounts <n>', 'AWS accounts in the organisation', integer('--accounts'), 3)
    .option('--events <n>', 'background records over CloudTrail, flow and DNS logs', integer('--events'), defaults.events);

function printCoverage(report: CoverageReport): void {
  const list = (types: string[]) => types.join(', ') || '-';
  console.log(
    renderTable(
      ['scenario', 'expected', 'fired', 'missed', 'unexpected'],
      report.scenarios.map((s) => [s.id, s.expected.length, s.fired.length, s.missed.length ? colors.red(list(s.missed)) : '', list(s.unexpected)]),
    ),
  );
  const { per100k } = report.background;
  console.log(
    `\nbackground: ${formatNumber(report.background.events)} benign events; false positives per 100k events: ` +
      `Critical ${per100k.Critical}, High ${per100k.High}, Medium ${per100k.Medium}, Low ${per100k.Low}` +
      ` (${report.background.withinBudget ? colors.green('within budget') : colors.red('over budget: no High, ≤1 Medium per 100k')})`,
  );
  for (const f of report.background.findings.filter((f) => f.severity >= 4)) console.log(`  ${f.type} (severity ${f.severity}, ${f.count} occurrence(s))`);
  const { types } = report;
  console.log(`finding types: ${types.covered.length} of ${types.implemented} implemented types fired where expected`);
  if (types.missed.length) console.log(colors.red(`missed: ${types.missed.join(', ')}`));
  if (types.withoutScenario.length) console.log(`without a scenario: ${types.withoutScenario.join(', ')}`);
  const { techniques } = report;
  console.log(`Stratus Red Team AWS techniques reproduced and detected: ${techniques.covered.length} of ${techniques.covered.length + techniques.notCovered.length}`);
  if (techniques.notCovered.length) console.log(`  not reproduced here: ${techniques.notCovered.join(', ')}`);
  console.log(`(${report.seconds.toFixed(1)} s)`);
}

export function registerSimulateCommands(program: Command): void {
  program
    .command('demo')
    .description('simulate an attacked AWS organisation, ingest it into the lake, detect, and explain what was found')
    .addOption(dbOption())
    .option('--out <dir>', 'where the simulated logs go', 'gumshoe-demo')
    .option('--events <n>', 'background records', integer('--events'), 60_000)
    .option('--seed <n>', 'random seed', integer('--seed'), 1)
    .option('--serve', 'then serve the web UI on 127.0.0.1 (the default on a terminal)')
    .option('--no-serve', 'stop after printing the findings')
    .option('--port <n>', 'port for the web UI', integer('--port'), 8787)
    .action(async (options: { db: string; out: string; events: number; seed: number; serve?: boolean; port: number }) => {
      const { bySeverity, explainIncidents, runDemo } = await import('../simulate/demo.js');
      const lake = await openLake(options.db);
      try {
        console.log(colors.bold('Simulating an AWS organisation under attack …'));
        const demo = await runDemo(lake, writableDir(options.out, '--out'), options.events, options.seed);
        const { simulation, ingested, detected, findings } = demo;
        console.log(
          `  ${simulation.accounts.length} accounts, ${simulation.start.slice(0, 10)} to ${simulation.end.slice(0, 10)}: ` +
            `${formatNumber(simulation.background.cloudtrail + simulation.background.flows + simulation.background.dns)} background records and ` +
            `${simulation.scenarios.length} attack scenarios in ${options.out}/`,
        );
        console.log(`  ingested ${formatNumber(ingested.stored)} records into ${options.db} in ${ingested.seconds.toFixed(1)} s; detections ran over ${formatNumber(detected.events)} new records in ${detected.seconds.toFixed(1)} s`);
        console.log(`\n${colors.bold('Findings by severity')}: ${bySeverity(findings).map(([level, count]) => `${level} ${count}`).join(', ')}`);
        console.log(`\n${colors.bold('Top incidents')}\n${explainIncidents(findings).join('\n\n')}`);
        console.log(`\nEvery finding: gumshoe findings list --db ${options.db}    Export: gumshoe findings export --format asff --db ${options.db}`);
        console.log(`Explore the lake with SQL: gumshoe query "SELECT type, count(*) FROM findings GROUP BY 1" --db ${options.db}`);
      } finally {
        lake.close();
      }
      if (options.serve ?? Boolean(process.stdout.isTTY)) {
        console.log('');
        await serveUntilStopped(options.db, '127.0.0.1', options.port);
      }
    });

  simulationOptions(
    program
      .command('simulate')
      .description('write realistic logs of an AWS organisation under normal use, with attacks mixed in, in the formats and S3 layout AWS delivers')
      .option('--out <dir>', 'output directory', 'simulation')
      .option('--list', 'list the scenarios and exit'),
    { events: 100_000, all: false },
  ).action(async (options: SimulationFlags & { out: string; list?: boolean }) => {
    const { allScenarios, simulate } = await import('../simulate/simulate.js');
    if (options.list) {
      console.log(renderTable(['scenario', 'expected finding types'], allScenarios().map((s) => [s.id, s.expect.join(', ')])));
      return;
    }
    const result = await simulate({
      outDir: writableDir(options.out, '--out'),
      seed: options.seed,
      days: options.days,
      accounts: options.accounts,
      events: options.events,
      scenarios: options.scenario ?? [],
      all: Boolean(options.all),
    });
    const { background } = result;
    console.log(
      `wrote ${formatNumber(background.cloudtrail)} CloudTrail events, ${formatNumber(background.flows)} flow records and ${formatNumber(background.dns)} DNS queries ` +
        `of background (${result.start.slice(0, 10)} to ${result.end.slice(0, 10)}, ${result.accounts.length} accounts) and ${result.scenarios.length} scenario(s) to ${options.out}/`,
    );
    console.log(`scenarios and what they must raise: ${path.join(options.out, 'scenarios.json')}; their threat intel: ${path.join(options.out, 'intel', 'intel.json')}`);
  });

  simulationOptions(
    program
      .command('coverage')
      .description('simulate every scenario, ingest, detect, and report which expected findings fired; exits 1 when an implemented type is missed')
      .option('--json', 'the report as JSON')
      .option('--keep <dir>', 'keep the simulated logs and lake in this directory'),
    { events: 60_000, all: true },
  ).action(async (options: SimulationFlags & { json?: boolean; keep?: string }) => {
    const { runCoverage } = await import('../simulate/coverage.js');
    const { report } = await runCoverage(
      {
        seed: options.seed,
        days: options.days,
        accounts: options.accounts,
        events: options.events,
        scenarios: options.scenario ?? [],
        all: options.all ?? !options.scenario?.length,
      },
      options.keep ? writableDir(options.keep, '--keep') : undefined,
    );
    if (options.json) console.log(JSON.stringify(report, null, 2));
    else printCoverage(report);
    if (report.types.missed.length > 0) process.exitCode = 1;
  });
}
