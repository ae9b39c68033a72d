/**
 * Request validation: every parameter is checked here before it reaches a query, and every failure is an
 * HttpError whose message names the parameter and the problem (the API's `{"error": …}` body).
 */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message: string) => new HttpError(404, message);

export const ENTITY_TYPES = [
  'account', 'user', 'role', 'session', 'federated', 'accesskey', 'ip', 'useragent', 'instance', 'bucket', 'finding', 'group',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface EntityRef {
  type: EntityType;
  id: string;
  label: string;
}

/** Longest identifier accepted anywhere (user agents are the longest legitimate ones). */
export const MAX_ID_LENGTH = 4096;

export function entityType(value: string): EntityType {
  const type = ENTITY_TYPES.find((t) => t === value);
  if (!type) throw notFound(`no entity type ${JSON.stringify(value)}; one of ${ENTITY_TYPES.join(', ')}`);
  return type;
}

export function identifier(name: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) throw badRequest(`${name} is required`);
  if (value.length > MAX_ID_LENGTH) throw badRequest(`${name} is ${value.length} characters long, at most ${MAX_ID_LENGTH} are accepted`);
  return value;
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  const found = allowed.find((a) => a === value);
  if (!found) throw badRequest(`${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return found;
}

export function integer(name: string, value: string | undefined, options: { min: number; max: number; fallback: number }): number {
  if (value === undefined || value === '') return options.fallback;
  if (!/^-?\d+$/.test(value)) throw badRequest(`${name} must be a whole number, not ${JSON.stringify(value)}`);
  const number = Number(value);
  if (number < options.min || number > options.max) throw badRequest(`${name} must be between ${options.min} and ${options.max}, not ${number}`);
  return number;
}

export function boolean(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw badRequest(`${name} must be true or false, not ${JSON.stringify(value)}`);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

/** Loose IPv6 shape check: hex groups and colons, optionally an embedded IPv4 tail. */
export function isIpv6(value: string): boolean {
  return value.includes(':') && value.length <= 45 && /^[0-9a-fA-F:]+(:(\d{1,3}\.){3}\d{1,3})?$/.test(value) && (value.match(/::/g) ?? []).length <= 1;
}

export function ipAddress(name: string, value: string | undefined): string {
  const ip = identifier(name, value);
  if (!isIpv4(ip) && !isIpv6(ip)) throw badRequest(`${name} must be an IPv4 or IPv6 address, not ${JSON.stringify(ip)}`);
  return ip;
}
