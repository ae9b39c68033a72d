/**
 * Intel sets in the lake: read a list file or URL, store its entries in bulk, list/remove/activate sets; and the
 * accounts declared as the organisation's.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../sources/input.js';
import { TESTER_LIST } from './builtin-domains.js';
import { MANAGED_FEEDS } from './feeds.js';
import { decodeListText, type ListEntry, parseList, parseListSpec, type ParsedList } from './list-formats.js';
import { INTEL_DDL } from './schema.js';
import type { ThreatCategory } from './threat-categories.js';

export type IntelRole = 'threat' | 'trusted' | 'reference';
/**
 * Where a set comes from. The user's lists: `custom` (uploaded, the `.Custom` finding types) and
 * `user-managed` (declared managed intel with `intel add --managed`: its categories pick the type). The
 * others are the managed feeds of `intel update`.
 */
export type UserFeed = 'custom' | 'user-managed';
export type IntelFeed = UserFeed | 'managed' | 'tor-exit' | 'tor-relay' | 'aws-ranges';

export const isUserList = (set: Pick<IntelSet, 'feed'>): boolean => set.feed === 'custom' || set.feed === 'user-managed';

export interface IntelSet {
  name: string;
  role: IntelRole;
  feed: IntelFeed;
  format?: string;
  source?: string;
  sha256?: string;
  /** For a list declared managed: the category of its entries that name none. */
  category?: ThreatCategory;
  entries: number;
  problems: number;
  active: boolean;
  loadedAt: Date;
}

export interface AwsPrefix {
  prefix: string;
  region: string;
  service: string;
  networkBorderGroup?: string;
}

/** What is stored for one set; entries replace whatever the set held before. */
export interface SetContent {
  name: string;
  role: IntelRole;
  feed: IntelFeed;
  format?: string;
  source?: string;
  sha256?: string;
  category?: ThreatCategory;
  problems: number;
  entries: ListEntry[];
  awsRanges?: AwsPrefix[];
}

/** Idempotent; lakes created before the intel tables existed get them on first use. */
export async function ensureIntelSchema(connection: DuckDBConnection): Promise<void> {
  for (const ddl of INTEL_DDL) await connection.run(ddl);
}

export const FETCH_TIMEOUT_MS = 30_000;

/** The bytes of a local file or an http(s) URL (global fetch, with a timeout). */
export async function readSource(location: string, isUrl: boolean, timeoutMs = FETCH_TIMEOUT_MS): Promise<Buffer> {
  if (!isUrl) {
    try {
      return await readFile(location);
    } catch (error) {
      throw new UserError(`cannot read ${location}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  let response: Response;
  try {
    response = await fetch(location, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new UserError(`cannot fetch ${location}: ${(error as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : cause}`);
  }
  if (!response.ok) throw new UserError(`cannot fetch ${location}: HTTP ${response.status} ${response.statusText}`);
  return Buffer.from(await response.arrayBuffer());
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A list read and parsed, not stored yet, so its problems can be shown before deciding to store it. */
export interface ReadList extends ParsedList {
  /** The path or URL as given, for messages. */
  location: string;
  /** Absolute path or URL. */
  source: string;
  sha256: string;
  /** Default set name: the file name without its extension. */
  baseName: string;
}

/** Reads `FILE[:FORMAT]` or `URL[:FORMAT]` and parses it (format detected when not given). */
export async function readList(spec: string): Promise<ReadList> {
  const { location, isUrl, format } = parseListSpec(spec);
  const bytes = await readSource(location, isUrl);
  const source = isUrl ? location : path.resolve(location);
  const fileName = isUrl ? new URL(location).pathname : location;
  const parsed = parseList(decodeListText(bytes), format, fileName);
  return { ...parsed, location, source, sha256: sha256(bytes), baseName: setNameFrom(path.basename(fileName)) };
}

/** GuardDuty's name rule (letters, digits, space, `-`, `_`), from a file name. */
function setNameFrom(fileName: string): string {
  const stem = fileName.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9 _-]+/g, '_').slice(0, 300);
  return stem.replace(/^_+|_+$/g, '') || 'list';
}

export function checkSetName(name: string): void {
  if (!/^[A-Za-z0-9 _-]{1,300}$/.test(name)) {
    throw new UserError(`invalid list name '${name}': use 1-300 letters, digits, spaces, '-' or '_'`);
  }
}

/** Names no user list may take (compared ignoring case): the managed feeds and the built-in tester set. */
const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  ...MANAGED_FEEDS.map((f): [string, string] => [f.name.toLowerCase(), `the managed feed ${f.name} ('gumshoe intel update')`]),
  [TESTER_LIST.toLowerCase(), `the built-in set ${TESTER_LIST}`],
]);

/**
 * Why a user list of `role` cannot be stored as `name`, or undefined when it can: the name is free, or holds
 * a list the user added with the same role, which it then replaces. GuardDuty keeps threat and trusted lists
 * apart (guardduty.md §7), and managed feeds are not the user's to overwrite.
 */
export function nameClash(name: string, role: 'threat' | 'trusted', existing: IntelSet | undefined): string | undefined {
  const reserved = RESERVED_NAMES.get(name.toLowerCase());
  if (reserved) return `'${name}' is the name of ${reserved}`;
  if (!existing || (isUserList(existing) && existing.role === role)) return undefined;
  return `'${name}' is already a ${existing.role} list (${existing.feed}${existing.source ? `, from ${existing.source}` : ''})`;
}

export interface ChosenName {
  name: string;
  /** Why the list did not get its base name, when it did not. */
  notBaseName?: string;
}

/**
 * The name a list file gets when none is given: its base name, so that a new copy of a list (another path,
 * same file name) updates the list of that name, as GuardDuty's UpdateThreatIntelSet does with a new
 * location. When that name is another role's list or a managed feed (nameClash), or `taken` by another file
 * of this run, the first usable `base-2`, `base-3`, ….
 */
export async function chooseSetName(
  connection: DuckDBConnection, list: ReadList, role: 'threat' | 'trusted', taken: ReadonlyMap<string, string> = new Map(),
): Promise<ChosenName> {
  await ensureIntelSchema(connection);
  let notBaseName: string | undefined;
  for (let n = 1; ; n++) {
    const name = n === 1 ? list.baseName : `${list.baseName}-${n}`;
    const takenBy = taken.get(name);
    const obstacle = takenBy !== undefined ? `${takenBy}, also given in this run, is stored as '${name}'` : nameClash(name, role, await getSet(connection, name));
    if (!obstacle) return { name, ...(notBaseName ? { notBaseName } : {}) };
    notBaseName ??= obstacle;
  }
}

/** Stores a set in one transaction: old entries deleted, new ones appended in bulk, the set row upserted. */
export async function saveSet(connection: DuckDBConnection, content: SetContent, active = true): Promise<IntelSet> {
  checkSetName(content.name);
  await ensureIntelSchema(connection);
  const entries = uniqueEntries(content.entries);
  const count = content.awsRanges ? content.awsRanges.length : entries.length;
  await connection.run('BEGIN TRANSACTION');
  try {
    await connection.run('DELETE FROM intel_entries WHERE set_name = $1', [content.name]);
    await connection.run('DELETE FROM intel_aws_ranges WHERE set_name = $1', [content.name]);
    const appender = await connection.createAppender('intel_entries');
    for (const entry of entries) {
      appender.appendVarchar(content.name);
      appender.appendVarchar(entry.kind);
      appender.appendVarchar(entry.value);
      if (entry.threatName) appender.appendVarchar(entry.threatName);
      else appender.appendNull();
      appender.endRow();
    }
    appender.closeSync();
    if (content.awsRanges) {
      const ranges = await connection.createAppender('intel_aws_ranges');
      for (const r of content.awsRanges) {
        ranges.appendVarchar(content.name);
        ranges.appendVarchar(r.prefix);
        ranges.appendVarchar(r.region);
        ranges.appendVarchar(r.service);
        if (r.networkBorderGroup) ranges.appendVarchar(r.networkBorderGroup);
        else ranges.appendNull();
        ranges.endRow();
      }
      ranges.closeSync();
    }
    await connection.run(
      `INSERT OR REPLACE INTO intel_sets (name, role, feed, format, source, sha256, category, entries, problems, active, loaded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()::TIMESTAMP)`,
      [content.name, content.role, content.feed, content.format ?? null, content.source ?? null, content.sha256 ?? null, content.category ?? null,
        count, content.problems, active],
    );
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
  return (await getSet(connection, content.name))!;
}

/** A list may repeat a value; one row per (kind, value) keeps counts honest. */
function uniqueEntries(entries: ListEntry[]): ListEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const key = `${e.kind}\u0000${e.value}`;
    return !seen.has(key) && seen.add(key);
  });
}

/** How the user declared a list: uploaded (custom), or managed intel whose entries without a category take `category`. */
export type ListDeclaration = { feed: 'custom' } | { feed: 'user-managed'; category?: ThreatCategory };

export const CUSTOM: ListDeclaration = { feed: 'custom' };

/** How a stored list was declared, so that an update of it keeps the declaration. */
export function declarationOf(set: IntelSet | undefined): ListDeclaration {
  return set?.feed === 'user-managed' ? { feed: 'user-managed', ...(set.category ? { category: set.category } : {}) } : CUSTOM;
}

/**
 * Stores a read list as a user set, replacing a list of the same name and role; refuses a name held by a
 * list of the other role or by a managed feed (nameClash).
 */
export async function saveList(connection: DuckDBConnection, list: ReadList, name: string, role: 'threat' | 'trusted', declared = CUSTOM): Promise<IntelSet> {
  const clash = nameClash(name, role, await getSet(connection, name));
  if (clash) {
    throw new UserError(`cannot store the ${role} list ${list.location} as '${name}': ${clash}. ` +
      `Threat lists, trusted lists and managed feeds are kept apart; choose another --name${RESERVED_NAMES.has(name.toLowerCase()) ? '' : `, or first 'gumshoe intel remove ${name}'`}`);
  }
  const category = declared.feed === 'user-managed' ? declared.category : undefined;
  return saveSet(connection, {
    name,
    role,
    feed: declared.feed,
    format: list.format,
    source: list.source,
    sha256: list.sha256,
    category,
    problems: list.problems.length,
    entries: category ? list.entries.map((e) => (e.threatName ? e : { ...e, threatName: category })) : list.entries,
  });
}

/** False when the lake has no intel tables yet (a read-only lake created before they existed). */
export function hasIntelTables(connection: DuckDBConnection): Promise<boolean> {
  return hasTable(connection, 'intel_sets');
}

async function hasTable(connection: DuckDBConnection, table: string): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    'SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = current_database() AND table_name = $1',
    [table],
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0) > 0;
}

export async function listSets(connection: DuckDBConnection): Promise<IntelSet[]> {
  if (!(await hasIntelTables(connection))) return [];
  const reader = await connection.runAndReadAll('SELECT * FROM intel_sets ORDER BY role, feed, name');
  return reader.getRowObjectsJS().map(toSet);
}

export async function getSet(connection: DuckDBConnection, name: string): Promise<IntelSet | undefined> {
  if (!(await hasIntelTables(connection))) return undefined;
  const reader = await connection.runAndReadAll('SELECT * FROM intel_sets WHERE name = $1', [name]);
  const row = reader.getRowObjectsJS()[0];
  return row ? toSet(row) : undefined;
}

function toSet(row: Record<string, unknown>): IntelSet {
  const optional = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
  return {
    name: String(row.name),
    role: row.role as IntelRole,
    feed: row.feed as IntelFeed,
    format: optional(row.format),
    source: optional(row.source),
    sha256: optional(row.sha256),
    ...(row.category ? { category: row.category as ThreatCategory } : {}),
    entries: Number(row.entries),
    problems: Number(row.problems),
    active: row.active === true,
    loadedAt: row.loaded_at as Date,
  };
}

async function requireSet(connection: DuckDBConnection, name: string): Promise<IntelSet> {
  const set = await getSet(connection, name);
  if (!set) throw new UserError(`no intel list named '${name}'; see 'gumshoe intel list'`);
  return set;
}

export async function removeSet(connection: DuckDBConnection, name: string): Promise<IntelSet> {
  const set = await requireSet(connection, name);
  await connection.run('BEGIN TRANSACTION');
  try {
    await connection.run('DELETE FROM intel_entries WHERE set_name = $1', [name]);
    await connection.run('DELETE FROM intel_aws_ranges WHERE set_name = $1', [name]);
    await connection.run('DELETE FROM intel_sets WHERE name = $1', [name]);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK');
    throw error;
  }
  return set;
}

/** Only active sets are used by loadIntel; deactivating keeps the entries for later. */
export async function setActive(connection: DuckDBConnection, name: string, active: boolean): Promise<IntelSet> {
  await requireSet(connection, name);
  await connection.run('UPDATE intel_sets SET active = $1 WHERE name = $2', [active, name]);
  return (await getSet(connection, name))!;
}

// ---- the organisation's accounts ----

/**
 * An account declared as the organisation's. Accounts whose events are in the lake are the organisation's
 * anyway; these are the others a per-account trail never shows (backup, security, management accounts), so
 * that sharing with them or trusting them is not "outside the organization".
 */
export interface OrgAccount {
  accountId: string;
  addedAt: Date;
}

/** Names every value that is not an AWS account id (exactly 12 digits). */
export function checkAccountIds(ids: string[]): void {
  const bad = ids.filter((id) => !/^\d{12}$/.test(id));
  if (bad.length) throw new UserError(`not an AWS account id (12 digits): ${bad.map((id) => `'${id}'`).join(', ')}`);
}

export async function listOrgAccounts(connection: DuckDBConnection): Promise<OrgAccount[]> {
  if (!(await hasTable(connection, 'intel_org_accounts'))) return [];
  const reader = await connection.runAndReadAll('SELECT account_id, added_at FROM intel_org_accounts ORDER BY account_id');
  return reader.getRowObjectsJS().map((row) => ({ accountId: String(row.account_id), addedAt: row.added_at as Date }));
}

/** The declared account ids (what detections add to the lake's own accounts). */
export async function declaredOrgAccounts(connection: DuckDBConnection): Promise<string[]> {
  return (await listOrgAccounts(connection)).map((account) => account.accountId);
}

/** Declares accounts as the organisation's; returns those that were not declared already. */
export async function addOrgAccounts(connection: DuckDBConnection, ids: string[]): Promise<string[]> {
  checkAccountIds(ids);
  await ensureIntelSchema(connection);
  const declared = new Set(await declaredOrgAccounts(connection));
  const added = [...new Set(ids)].filter((id) => !declared.has(id));
  for (const id of added) await connection.run('INSERT INTO intel_org_accounts VALUES ($1, now()::TIMESTAMP)', [id]);
  return added;
}

/** Removes the declared accounts among `ids`; the others are returned as unknown for the caller to name. */
export async function removeOrgAccounts(connection: DuckDBConnection, ids: string[]): Promise<{ removed: string[]; unknown: string[] }> {
  checkAccountIds(ids);
  const declared = new Set(await declaredOrgAccounts(connection));
  const unique = [...new Set(ids)];
  const removed = unique.filter((id) => declared.has(id));
  for (const id of removed) await connection.run('DELETE FROM intel_org_accounts WHERE account_id = $1', [id]);
  return { removed, unknown: unique.filter((id) => !declared.has(id)) };
}
