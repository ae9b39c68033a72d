import type { ApiEvent } from '../api-event.js';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext } from '../detection.js';
import { ipDetails } from '../network/connection.js';

/**
 * UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B: successful console sign-ins of one identity, close in
 * time, from places too far apart to travel between (guardduty.md §2.1 #20).
 *
 * Each sign-in is compared with the identity's successful ones kept (the newest RECENT) within WINDOW_MS:
 * impossible when the great-circle distance is at least MIN_KM (closer pairs are within city-level
 * geolocation error) and covering it needs more than MAX_KMH (faster than an airliner). Skipped, because
 * their location says nothing about where the person is: addresses inside AWS (WorkSpaces, Cloud9, VPNs
 * run on EC2 geolocate to the data centre) and pairs on one network (ASN), such as a corporate proxy or
 * VPN provider whose exits span continents. Role sessions are keyed by session (the person), not by role.
 *
 * A sign-in is raised once, at its own time, when some earlier one within the window makes it impossible,
 * whatever order the logs arrive in: a late, older sign-in is also compared with the newer ones already
 * seen, and raises a newer one that no earlier sign-in had made impossible (see raiseNewer).
 */
const MIN_KM = 500;
const MAX_KMH = 1000;
const WINDOW_MS = 24 * 3_600_000;
const RECENT = 5;

interface Login {
  time: number;
  ip: string;
  lat: number;
  lon: number;
  place: string;
  asn?: number;
  /** The sign-in event's region and place in the lake, to raise it from a later run (not in older saved state). */
  region?: string | null;
  uid?: string | null;
  fileId?: number | null;
  line?: number | null;
  /** Already raised: a sign-in is one occurrence however many earlier ones make it impossible. */
  raised?: true;
}

interface Trip {
  from: Login;
  to: Login;
  km: number;
  kmh: number;
}

const EARTH_KM = 6371;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Haversine distance in km. */
function distanceKm(a: Login, b: Login): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

function locate(event: ApiEvent, context: DetectionContext): Login | null {
  const ip = event.sourceIp;
  if (!ip || context.intel.awsRange(ip)) return null;
  const geo = context.intel.ipDetails(ip);
  if (geo.lat === undefined || geo.lon === undefined) return null;
  const place = [geo.city, geo.countryName ?? geo.countryCode].filter(Boolean).join(', ') || ip;
  return { time: event.time, ip, lat: geo.lat, lon: geo.lon, place, asn: geo.asn, region: event.region, uid: event.uid, fileId: event.fileId, line: event.line };
}

/** The trip between two sign-ins, whichever came first, when it is too far and too fast to be one person's. */
function impossibleTrip(a: Login, b: Login): Trip | undefined {
  const [from, to] = a.time <= b.time ? [a, b] : [b, a];
  if (to.time - from.time > WINDOW_MS) return undefined;
  if (from.asn !== undefined && from.asn === to.asn) return undefined;
  const km = distanceKm(from, to);
  if (km < MIN_KM) return undefined;
  const kmh = km / (Math.max(to.time - from.time, 60_000) / 3_600_000);
  return kmh > MAX_KMH ? { from, to, km, kmh } : undefined;
}

/** The fastest impossible trip to `login` from an earlier sign-in in `history`. */
function fastestTo(login: Login, history: readonly Login[]): Trip | undefined {
  let fastest: Trip | undefined;
  for (const from of history) {
    if (from.time > login.time) continue;
    const trip = impossibleTrip(from, login);
    if (trip && (!fastest || trip.kmh > fastest.kmh)) fastest = trip;
  }
  return fastest;
}

/**
 * A newer sign-in from an earlier run, as an event: the late one's call (its agent, MFA, …) at the newer one's
 * time, address, region and place in the lake, which are what the finding and its evidence show.
 */
function standIn(login: Login, late: ApiEvent): ApiEvent {
  const { uid = null, region = null, fileId = null, line = null } = login;
  return late.with({ time: login.time, sourceIp: login.ip, region, uid, fileId, line });
}

/** Raises the trip's later sign-in, whose event is `event`. */
function raise(trip: Trip, event: ApiEvent, context: DetectionContext): void {
  const { from, to, km, kmh } = trip;
  const minutes = Math.round((to.time - from.time) / 60_000);
  to.raised = true;
  context.emit({
    type: 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B',
    event,
    additionalInfo: {
      previousLogin: { ...ipDetails(from.ip), location: from.place, time: new Date(from.time).toISOString() },
      distanceKm: Math.round(km),
      minutesBetween: minutes,
      speedKmh: Math.round(kmh),
    },
    vars: { place: to.place, previousIp: from.ip, previousPlace: from.place, km: Math.round(km), minutes },
  });
}

/**
 * A sign-in that arrives after newer ones (a late log file) is the earlier end of trips to them: each newer
 * one not raised yet is raised now, as a run over all the logs in time order would have raised it.
 */
function raiseNewer(login: Login, history: readonly Login[], event: ApiEvent, context: DetectionContext): void {
  for (const later of history) {
    // Saved by an earlier version (no place in the lake): whether it was raised is not known.
    if (later.time <= login.time || later.raised || later.uid === undefined) continue;
    const trip = impossibleTrip(login, later);
    if (trip) raise(trip, standIn(later, event), context);
  }
}

/** The history with `login` added in time order, the newest RECENT kept. */
function remember(history: Login[], login: Login): void {
  const at = history.findIndex((l) => l.time > login.time);
  history.splice(at < 0 ? history.length : at, 0, login);
  if (history.length > RECENT) history.splice(0, history.length - RECENT);
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.eventType !== 'AwsConsoleSignIn' || event.failed || event.response?.ConsoleLogin !== 'Success') return;
  const login = locate(event, context);
  if (!login) return;
  const who = event.actor.arn || event.principalKey;
  const history = context.state<Login[]>(`u:${who}`, () => []);
  const fastest = fastestTo(login, history);
  if (fastest) raise(fastest, event, context);
  raiseNewer(login, history, event, context);
  remember(history, login);
}

// ---- Cases ----

const LONDON = '81.2.69.160';
const LONDON_MOBILE = '92.40.1.1';
const PARIS = '62.210.16.1';
const SYDNEY = '110.33.122.75';
const SAO_PAULO = '200.160.2.3';
const NYC = '12.12.12.12';
const AWS_US_EAST = '52.94.1.1';
const LONDON_V6 = '2a00:23c4::1'; // BT
const SYDNEY_V6 = '2001:8003::1'; // Telstra

function consoleLogin(identity: Record<string, unknown>, time: string, ip: string, success = true): CloudTrailRecord {
  const record = ctEvent({
    service: 'signin', name: 'ConsoleLogin', identity, time, ip, userAgent: CONSOLE_AGENT, eventType: 'AwsConsoleSignIn', readOnly: false,
    response: { ConsoleLogin: success ? 'Success' : 'Failure' },
    additional: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'Yes' },
  });
  // CloudTrail reports a failed sign-in in responseElements and errorMessage, without an errorCode.
  if (!success) record.errorMessage = 'Failed authentication';
  return record;
}

const bob = iamUser('bob');
const tester = { type: 'IAMUser', principalId: '1111', arn: 'arn:aws:iam::123456789012:user/tester', accountId: '123456789012', userName: 'tester' };

const cases: ApiDetection['cases'] = () => [
  {
    name: 'London, then Sydney two hours later',
    records: [consoleLogin(bob, '2026-11-03T09:00:00Z', LONDON), consoleLogin(bob, '2026-11-03T11:00:00Z', SYDNEY)],
    expect: ['UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B'],
  },
  {
    name: 'London, then Sydney two hours later, both over IPv6',
    records: [consoleLogin(bob, '2026-11-03T09:00:00Z', LONDON_V6), consoleLogin(bob, '2026-11-03T11:00:00Z', SYDNEY_V6)],
    expect: ['UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B'],
  },
  {
    name: 'Osaka sign-in (Panther) and New York an hour later',
    datasets: [{ panther: 'Standard.BruteForceByIP', test: 'AWS.CloudTrail - Successful Login' }],
    records: [consoleLogin(tester, '2019-01-01T01:00:00Z', NYC)],
    expect: ['UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B'],
  },
  {
    name: 'an SSO user signs in from São Paulo half an hour after London',
    records: [
      consoleLogin(assumedRole('AWSReservedSSO_AdministratorAccess_0123456789abcdef', 'dana@example.com'), '2026-11-03T09:00:00Z', LONDON),
      consoleLogin(assumedRole('AWSReservedSSO_AdministratorAccess_0123456789abcdef', 'dana@example.com'), '2026-11-03T09:30:00Z', SAO_PAULO),
    ],
    expect: ['UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B'],
  },
  {
    name: 'the same city twice, from the office and a phone',
    records: [consoleLogin(bob, '2026-11-03T09:00:00Z', LONDON), consoleLogin(bob, '2026-11-03T09:20:00Z', LONDON_MOBILE)],
    expect: [],
  },
  {
    name: 'London, then Paris an hour later: closer than geolocation error allows to judge',
    records: [consoleLogin(bob, '2026-11-03T09:00:00Z', LONDON), consoleLogin(bob, '2026-11-03T10:00:00Z', PARIS)],
    expect: [],
  },
  {
    name: 'London, then Sydney two days later: a flight',
    records: [consoleLogin(bob, '2026-11-03T09:00:00Z', LONDON), consoleLogin(bob, '2026-11-05T09:00:00Z', SYDNEY)],
    expect: [],
  },
  {
    name: 'a failed sign-in from far away is not a sign-in',
    records: [consoleLogin(bob, '2026-11-03T09:00:00Z', LONDON), consoleLogin(bob, '2026-11-03T09:30:00Z', SYDNEY, false)],
    expect: [],
  },
  {
    name: 'two colleagues on one SSO permission set, in London and Sydney',
    records: [
      consoleLogin(assumedRole('AWSReservedSSO_ReadOnlyAccess_0123456789abcdef', 'erin@example.com'), '2026-11-03T09:00:00Z', LONDON),
      consoleLogin(assumedRole('AWSReservedSSO_ReadOnlyAccess_0123456789abcdef', 'frank@example.com'), '2026-11-03T09:10:00Z', SYDNEY),
    ],
    expect: [],
  },
  {
    name: 'signing in from an AWS-hosted desktop: its address is the data centre’s',
    records: [consoleLogin(bob, '2026-11-03T09:00:00Z', LONDON), consoleLogin(bob, '2026-11-03T09:30:00Z', AWS_US_EAST)],
    expect: [],
  },
];

export const consoleLoginGeoVelocity: ApiDetection = {
  id: 'console-login-geo-velocity',
  source: 'cloudtrail',
  apis: ['ConsoleLogin'],
  types: [
    {
      type: 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B',
      dataSource: 'CloudTrailManagement',
      severity: 5,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0001 Initial Access', technique: 'T1078.004 Valid Accounts: Cloud Accounts' },
      title: 'Multiple worldwide successful console logins were observed for {principal}.',
      description:
        '{principal} signed in to the AWS console from {ip} ({place}) {minutes} minutes after signing in from {previousIp} ({previousPlace}), {km} km away: faster than anyone can travel. The password may be shared or stolen.',
      remediation: 'Ask the user whether both sign-ins were theirs. If not, reset the password, require MFA, end the console sessions and review what the unknown session did.',
    },
  ],
  onEvent,
  cases,
};
