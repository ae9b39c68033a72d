import type { ApiEvent } from '../api-event.js';
import { assumedRole, CONSOLE_AGENT, ctEvent, iamUser } from '../case-builders.js';
import type { ApiDetection, CloudTrailRecord, DetectionContext } from '../detection.js';

/**
 * UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B: successful console sign-ins of one identity, close in
 * time, from places too far apart to travel between (guardduty.md §2.1 #20).
 *
 * Each sign-in is compared with the identity's recent successful ones (last RECENT within WINDOW_MS):
 * impossible when the great-circle distance is at least MIN_KM (closer pairs are within city-level
 * geolocation error) and covering it needs more than MAX_KMH (faster than an airliner). Skipped, because
 * their location says nothing about where the person is: addresses inside AWS (WorkSpaces, Cloud9, VPNs
 * run on EC2 geolocate to the data centre) and pairs on one network (ASN), such as a corporate proxy or
 * VPN provider whose exits span continents. Role sessions are keyed by session (the person), not by role.
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
  return { time: event.time, ip, lat: geo.lat, lon: geo.lon, place, asn: geo.asn };
}

function onEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.eventType !== 'AwsConsoleSignIn' || event.failed || event.response?.ConsoleLogin !== 'Success') return;
  const login = locate(event, context);
  if (!login) return;
  const who = event.actor.arn ?? event.principalKey;
  const history = context.state<Login[]>(`u:${who}`, () => []);
  const recent = history.filter((l) => login.time - l.time <= WINDOW_MS && l.time <= login.time);

  let fastest: { from: Login; km: number; kmh: number } | undefined;
  for (const from of recent) {
    if (from.asn !== undefined && from.asn === login.asn) continue;
    const km = distanceKm(from, login);
    if (km < MIN_KM) continue;
    const hours = Math.max(login.time - from.time, 60_000) / 3_600_000;
    const kmh = km / hours;
    if (kmh > MAX_KMH && (!fastest || kmh > fastest.kmh)) fastest = { from, km, kmh };
  }
  if (fastest) {
    const { from, km, kmh } = fastest;
    const minutes = Math.round((login.time - from.time) / 60_000);
    context.emit({
      type: 'UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B',
      event,
      additionalInfo: {
        previousLogin: { ipAddressV4: from.ip, location: from.place, time: new Date(from.time).toISOString() },
        distanceKm: Math.round(km),
        minutesBetween: minutes,
        speedKmh: Math.round(kmh),
      },
      vars: { place: login.place, previousIp: from.ip, previousPlace: from.place, km: Math.round(km), minutes },
    });
  }
  recent.push(login);
  history.splice(0, history.length, ...recent.slice(-RECENT));
}

// ---- Cases ----

const LONDON = '81.2.69.160';
const LONDON_MOBILE = '92.40.1.1';
const PARIS = '62.210.16.1';
const SYDNEY = '110.33.122.75';
const SAO_PAULO = '200.160.2.3';
const NYC = '12.12.12.12';
const AWS_US_EAST = '52.94.1.1';

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
