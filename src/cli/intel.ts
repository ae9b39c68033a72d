/** `gumshoe intel …`: threat and trusted lists, managed feeds, and lookups of one IP or domain. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../sources/input.js';
import { isDomainName, normalizeDomain, parseIpv4, parseIpv6 } from '../intel/ip.js';
import { LIST_FORMATS, type ListEntry, type ListProblem } from '../intel/list-formats.js';
import { isNonRoutableEntry } from '../intel/matcher.js';
import type { IntelLookup } from '../intel/lookup.js';
import { MANAGED_FEEDS } from '../intel/feeds.js';
import {
  addOrgAccounts, checkAccountIds, checkSetName, chooseSetName, CUSTOM, declarationOf, getSet, type IntelSet, type ListDeclaration, listOrgAccounts, listSets,
  readList, type ReadList, removeOrgAccounts, removeSet, saveList, setActive,
} from '../intel/store.js';
import { THREAT_CATEGORIES, type ThreatCategory, threatCategory } from '../intel/threat-categories.js';
import { updateIntel } from '../intel/update.js';
import { dbOption, openLake } from './common.js';
import { countOf, errorColors, formatNumber, jsonReplacer, renderTable } from './output.js';

/** Problems shown per list; the rest are counted. */
const MAX_WARNINGS = 20;

export function registerIntelCommands(program: Command): void {
  const intel = program
    .command('intel')
    .description("threat and trusted lists, managed intel feeds (AWS ranges, Tor, public blocklists), IP/domain lookups, the organisation's accounts");

  intel
    .command('add')
    .description('add or replace a threat list (or, with --trusted, a trusted list) from a file or http(s) URL')
    .argument('<list>', `FILE[:FORMAT] or URL[:FORMAT]; FORMAT one of ${LIST_FORMATS.join(', ')} (detected when omitted)`)
    .option('--name <name>', 'list name shown in findings (default: the file name without extension)')
    .option('--trusted', 'a trusted list: no findings for its entries')
    .option('--managed', "declare a threat list managed intel: each entry's category picks the finding type, instead of the .Custom types")
    .option('--category <category>', `with --managed: the category of entries that name none (all of a TXT list); one of ${THREAT_CATEGORIES.join(', ')}`)
    .addOption(dbOption())
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
TXT holds one IPv4 or IPv6 address, CIDR, domain or *.wildcard domain per line. STIX takes STIX 1.2 XML and
STIX 2.1 JSON bundles. Malformed lines are reported as warnings (file:line: message) and the rest is loaded.

A name already used by a list of the other role (threat/trusted) or by a managed feed is refused; a list of
the same role and name is replaced.

--managed: the list is managed intel, as GuardDuty's own feeds are. Each entry's category (Proofpoint ET
category, STIX title or label, OTX/AlienVault activity, FireEye malware family, else --category) selects the
type: CommandAndControl → Backdoor:EC2/C&CActivity.B(!DNS), Cryptocurrency → CryptoCurrency:EC2/BitcoinTool.B(!DNS),
DropPoint → Trojan:EC2/DropPoint(!DNS), Blackhole → Trojan:EC2/BlackholeTraffic(!DNS), Malicious → the
MaliciousIPCaller types without .Custom (see docs/intel.md).`)
    .action(async (spec: string, options: { name?: string; trusted?: boolean; managed?: boolean; category?: string; db: string; json?: boolean }) => {
      if (options.name !== undefined) checkSetName(options.name);
      const role = options.trusted ? 'trusted' : 'threat';
      const declared = listDeclaration(options);
      const list = await readUsableList(spec);
      await withLake(options.db, false, async (c) => {
        const chosen = options.name === undefined ? await chooseSetName(c, list, role) : { name: options.name };
        if (chosen.notBaseName) console.error(errorColors.yellow(`warning: ${list.location}: stored as '${chosen.name}', since ${chosen.notBaseName}`));
        const before = await getSet(c, chosen.name);
        const set = await saveList(c, list, chosen.name, role, declared);
        if (options.json) {
          console.log(JSON.stringify({ ...set, replaced: Boolean(before), skipped: list.skipped, problemLines: list.problems }, jsonReplacer, 2));
          return;
        }
        console.log(`${before ? 'replaced' : 'added'} ${role} list '${set.name}' (${set.format}) from ${set.source}: ` +
          `${countOf(set.entries, 'entry', 'entries')}, ${formatNumber(set.problems)} malformed line(s)` +
          `${list.skipped ? `, ${formatNumber(list.skipped)} unsupported indicator(s) skipped` : ''}; sha256 ${set.sha256}`);
        if (declared.feed === 'user-managed') console.log(`managed intel, by category: ${categoryCounts(list.entries, declared.category)}`);
      });
    });

  intel
    .command('list')
    .description('the lists and feeds in the lake')
    .addOption(dbOption())
    .option('--json', 'print as JSON')
    .action(async (options: { db: string; json?: boolean }) => {
      const sets = existsSync(options.db) ? await withLake(options.db, true, listSets) : [];
      if (options.json) {
        console.log(JSON.stringify(sets, jsonReplacer, 2));
        return;
      }
      if (sets.length === 0) {
        console.log("no intel lists; add one with 'gumshoe intel add FILE' or fetch the managed feeds with 'gumshoe intel update'");
        return;
      }
      console.log(renderTable(
        ['name', 'role', 'feed', 'format', 'entries', 'problems', 'active', 'loaded', 'source'],
        sets.map((s) => [s.name, s.role, s.feed, s.format ?? '', formatNumber(s.entries), formatNumber(s.problems), s.active ? 'yes' : 'no',
          s.loadedAt.toISOString().slice(0, 19).replace('T', ' '), s.source ?? '']),
      ));
    });

  intel
    .command('remove')
    .description('delete a list or feed and its entries')
    .argument('<name>')
    .addOption(dbOption())
    .action(async (name: string, options: { db: string }) => {
      const set = await withExistingLake(options.db, (c) => removeSet(c, name));
      console.log(`removed ${set.role} list '${set.name}' (${countOf(set.entries, 'entry', 'entries')})`);
    });

  for (const [command, active] of [['activate', true], ['deactivate', false]] as const) {
    intel
      .command(command)
      .description(active ? 'use a list again in detections' : 'stop using a list in detections, keeping its entries')
      .argument('<name>')
      .addOption(dbOption())
      .action(async (name: string, options: { db: string }) => {
        const set = await withExistingLake(options.db, (c) => setActive(c, name, active));
        console.log(`${set.role} list '${set.name}' is ${active ? 'active' : 'inactive'}`);
      });
  }

  intel
    .command('update')
    .description('download the managed feeds: AWS IP ranges, Tor exit nodes and relays, public IPv4 blocklists')
    .option('--source <name=url>', `override a feed's URL (repeatable); names: ${MANAGED_FEEDS.map((f) => f.name).join(', ')}`,
      (value: string, previous: string[] = []) => [...previous, value])
    .option('--timeout <seconds>', 'per-feed download timeout', (v) => positiveNumber(v, '--timeout'), 30)
    .option('--accept-shrink', 'store a feed even when it shrank below half of its previous entries')
    .addOption(dbOption())
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Feeds: ${MANAGED_FEEDS.map((f) => `${f.name} ${f.url}`).join('\n       ')}
GUMSHOE_INTEL_BASE_URL=URL fetches every feed from URL/<file> instead (a mirror). A feed that fails keeps
its previous contents and the others still load. A download fails when it is cut off (a last line without
a line end, fewer entries than the feed says it holds), holds no entry, or holds fewer than half the
entries of a set of 20 or more (unless --accept-shrink). A feed that says it lists nothing (Feodo's
"# END 0 entries") empties its set: status "empty".`)
    .action(async (options: { source?: string[]; timeout: number; acceptShrink?: boolean; db: string; json?: boolean }) => {
      const results = await withLake(options.db, false, (c) =>
        updateIntel(c, { sources: options.source, timeoutMs: options.timeout * 1000, acceptShrink: options.acceptShrink }));
      if (options.json) console.log(JSON.stringify(results, jsonReplacer, 2));
      else {
        console.log(renderTable(
          ['feed', 'status', 'entries', 'problems', 'sha256'],
          results.map((r) => [r.name, r.ok ? (r.entries === 0 ? 'empty' : 'loaded') : 'FAILED', r.ok ? formatNumber(r.entries!) : '',
            r.ok ? formatNumber(r.problems!) : '', r.sha256 ?? '']),
        ));
        for (const r of results.filter((f) => !f.ok)) console.error(errorColors.yellow(`warning: ${r.name} (${r.url}): ${r.error}`));
      }
      const loaded = results.filter((r) => r.ok).length;
      if (loaded === 0) throw new UserError('no feed could be downloaded (is there a network, or a reachable GUMSHOE_INTEL_BASE_URL?)');
      if (!options.json) console.log(`${loaded} of ${results.length} feeds loaded into ${options.db}`);
    });

  intel
    .command('lookup')
    .description('what is known about an IP or domain: geo, ASN, AWS range, Tor, threat and trusted list hits')
    .argument('<target>', 'IPv4/IPv6 address or domain name')
    .addOption(dbOption())
    .option('--json', 'print as JSON')
    .action(async (target: string, options: { db: string; json?: boolean }) => {
      const ip = parseIpv4(target) !== undefined || parseIpv6(target) !== undefined;
      const domain = normalizeDomain(target);
      if (!ip && !isDomainName(domain)) throw new UserError(`'${target}' is neither an IP address nor a domain name`);
      const [{ packageGeo }, { loadIntel }, { buildLookup }] = await Promise.all([
        import('../intel/geo.js'), import('../intel/load.js'), import('../intel/matcher.js'),
      ]);
      const lookup = existsSync(options.db)
        ? await withLake(options.db, true, (c) => loadIntel(c))
        : buildLookup({ threats: [], trusted: [], torExits: [], torRelays: [], awsRanges: [], geo: packageGeo() });
      const result = ip ? ipReport(lookup, target) : { domain, threats: lookup.domainThreats(domain), trusted: lookup.isTrustedDomain(domain) };
      if (options.json) {
        console.log(JSON.stringify(result, jsonReplacer, 2));
        return;
      }
      for (const [key, value] of Object.entries(result)) console.log(`${`${key}:`.padEnd(13)}${describe(value)}`);
    });

  registerAccountCommands(intel);
}

const ACCOUNTS_HELP = `
A snapshot, AMI or RDS snapshot shared with an account, a bucket policy letting it read and a role trusting
it are findings only when the account is outside the organisation. The accounts whose events are in the lake are
the organisation's; declare the others (backup, security, log-archive and management accounts a per-account
trail never shows) so that detect does not call them outside. Declarations apply to events detected from
then on; findings already raised stay until archived.`;

/** `gumshoe intel accounts add|list|remove`: the organisation's accounts, kept in the lake for every later detect. */
function registerAccountCommands(intel: Command): void {
  const accounts = intel
    .command('accounts')
    .description("the organisation's AWS accounts: sharing with them or trusting them is not outside the organisation")
    .addHelpText('after', ACCOUNTS_HELP);

  accounts
    .command('add')
    .description("declare accounts as the organisation's (kept in the lake; every later detect uses them)")
    .argument('<account-ids...>', '12-digit AWS account ids')
    .addOption(dbOption())
    .addHelpText('after', ACCOUNTS_HELP)
    .action(async (ids: string[], options: { db: string }) => {
      checkAccountIds(ids);
      const added = await withLake(options.db, false, (c) => addOrgAccounts(c, ids));
      const already = [...new Set(ids)].filter((id) => !added.includes(id));
      console.log(`added ${added.length} organisation account(s)${added.length ? `: ${added.join(', ')}` : ''}` +
        `${already.length ? `; already declared: ${already.join(', ')}` : ''}`);
    });

  accounts
    .command('list')
    .description("the accounts declared as the organisation's")
    .addOption(dbOption())
    .option('--json', 'print as JSON')
    .action(async (options: { db: string; json?: boolean }) => {
      const declared = existsSync(options.db) ? await withLake(options.db, true, listOrgAccounts) : [];
      if (options.json) {
        console.log(JSON.stringify(declared, jsonReplacer, 2));
        return;
      }
      if (declared.length === 0) {
        console.log("no organisation accounts declared; only the accounts whose events are in the lake count as the organisation's. " +
          "Declare others with 'gumshoe intel accounts add ACCOUNT-ID...'");
        return;
      }
      console.log(renderTable(['account', 'added'], declared.map((a) => [a.accountId, a.addedAt.toISOString().slice(0, 19).replace('T', ' ')])));
    });

  accounts
    .command('remove')
    .description("stop counting accounts as the organisation's")
    .argument('<account-ids...>', '12-digit AWS account ids')
    .addOption(dbOption())
    .action(async (ids: string[], options: { db: string }) => {
      checkAccountIds(ids);
      const { removed, unknown } = await withExistingLake(options.db, (c) => removeOrgAccounts(c, ids));
      // As `findings archive` does: remove the declared ones, then name the others and exit 2.
      if (removed.length) console.log(`removed ${removed.length} organisation account(s): ${removed.join(', ')}`);
      if (unknown.length) throw new UserError(`not a declared organisation account: ${unknown.join(', ')}; see 'gumshoe intel accounts list'`);
    });
}

function ipReport(lookup: IntelLookup, ip: string) {
  return {
    ip,
    ...lookup.ipDetails(ip),
    aws: lookup.awsRange(ip) ?? null,
    torExit: lookup.isTorExit(ip),
    torRelay: lookup.isTorRelay(ip),
    threats: lookup.ipThreats(ip),
    trusted: lookup.isTrustedIp(ip),
  };
}

function describe(value: unknown): string {
  if (value === null) return '-';
  if (Array.isArray(value)) {
    return value.length === 0 ? 'none' : value.map((m) => Object.entries(m as object).map(([k, v]) => `${k}=${String(v)}`).join(' ')).join('; ');
  }
  if (typeof value === 'object') return Object.entries(value as object).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** `--managed [--category C]` as a declaration; the option combinations that mean nothing are usage errors. */
function listDeclaration(options: { trusted?: boolean; managed?: boolean; category?: string }): ListDeclaration {
  if (options.managed && options.trusted) throw new UserError('--managed declares a threat list managed intel; a trusted list has no categories');
  if (options.category !== undefined && !options.managed) throw new UserError('--category only applies with --managed (a custom list always gives the .Custom types)');
  if (!options.managed) return CUSTOM;
  if (options.category === undefined) return { feed: 'user-managed' };
  const category = THREAT_CATEGORIES.find((c) => c.toLowerCase() === options.category!.toLowerCase());
  if (!category) throw new UserError(`unknown category '${options.category}'; use one of ${THREAT_CATEGORIES.join(', ')}`);
  return { feed: 'user-managed', category };
}

/** `CommandAndControl 3, Cryptocurrency 2`: what a managed list's entries will raise, most common first. */
function categoryCounts(entries: ListEntry[], fallback: ThreatCategory | undefined): string {
  const counts = new Map<ThreatCategory, number>();
  for (const entry of entries) {
    const category = threatCategory(entry.threatName ?? fallback);
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([category, n]) => `${category} ${formatNumber(n)}`).join(', ');
}

function positiveNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag} expects a positive number, got '${value}'`);
  return n;
}

/** Reads and parses a list, printing its problems; a list with no valid entry at all is a user error. */
async function readUsableList(spec: string): Promise<ReadList> {
  const list = await readList(spec);
  printProblems(list.location, list.problems);
  warnNonRoutable(list.location, list.entries);
  if (list.entries.length === 0) {
    throw new UserError(`${list.location}: no valid entries in this ${list.format} list` +
      (list.problems.length ? ` (${formatNumber(list.problems.length)} malformed line(s))` : ''));
  }
  return list;
}

/** Entries wholly in private or reserved space load, but never match: lists apply to routable addresses only. */
function warnNonRoutable(file: string, entries: ListEntry[]): void {
  const unroutable = entries.filter((entry) => entry.kind !== 'domain' && isNonRoutableEntry(entry.value)).map((entry) => entry.value);
  if (unroutable.length === 0) return;
  const examples = `${unroutable.slice(0, 3).join(', ')}${unroutable.length > 3 ? ', …' : ''}`;
  console.error(errorColors.yellow(`warning: ${file}: ${formatNumber(unroutable.length)} private or reserved address entr${unroutable.length === 1 ? 'y' : 'ies'} (${examples}) ` +
    'will never match: lists only apply to publicly routable addresses, as in GuardDuty'));
}

function printProblems(file: string, problems: ListProblem[]): void {
  for (const p of problems.slice(0, MAX_WARNINGS)) console.error(errorColors.yellow(`warning: ${file}:${p.line}: ${p.message}`));
  if (problems.length > MAX_WARNINGS) console.error(errorColors.yellow(`warning: ${file}: … and ${formatNumber(problems.length - MAX_WARNINGS)} more malformed line(s)`));
}

/**
 * For `gumshoe detect --threat-list/--trusted-ips FILE[:FORMAT]`: stores each list under its file's base name
 * (chooseSetName), printing problems as warnings. A file from a new path updates the list of that name,
 * keeping how it was declared (custom or managed); two files of one base name in a run stay two lists, and
 * the second's name is printed. The same file with the same content is not re-read, only re-activated.
 */
export async function addListsFromSpecs(connection: DuckDBConnection, specs: string[], role: 'threat' | 'trusted'): Promise<IntelSet[]> {
  const sets: IntelSet[] = [];
  const taken = new Map<string, string>();
  for (const spec of specs) {
    const list = await readUsableList(spec);
    const { name, notBaseName } = await chooseSetName(connection, list, role, taken);
    if (notBaseName) console.error(errorColors.yellow(`warning: ${list.location}: stored as ${role} list '${name}', since ${notBaseName}`));
    taken.set(name, list.location);
    const existing = await getSet(connection, name);
    if (existing?.sha256 === list.sha256 && existing.source === list.source) sets.push(existing.active ? existing : await setActive(connection, name, true));
    else sets.push(await saveList(connection, list, name, role, declarationOf(existing)));
    const set = sets.at(-1)!;
    const moved = existing?.source !== undefined && existing.source !== list.source ? ` (updated from a new location; was ${existing.source})` : '';
    console.error(`${role} list '${set.name}': ${countOf(set.entries, 'entry', 'entries')}, ${formatNumber(set.problems)} malformed line(s)${moved}`);
  }
  return sets;
}

/** For commands that change an existing list: a missing lake file is an error, not created empty. */
function withExistingLake<T>(file: string, fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  if (!existsSync(file)) throw new UserError(`no lake at ${file}; pass --db`);
  return withLake(file, false, fn);
}

async function withLake<T>(file: string, readOnly: boolean, fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const lake = await openLake(file, readOnly);
  try {
    return await fn(lake.connection);
  } finally {
    lake.close();
  }
}
