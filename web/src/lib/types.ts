// Shapes of the JSON API (docs/api.md).
import type { GraphEdge, GraphNode } from './graph';

export type EntityType =
  | 'account' | 'user' | 'role' | 'session' | 'federated' | 'accesskey' | 'ip' | 'useragent' | 'instance' | 'bucket' | 'finding' | 'group';

export interface EntityRef {
  type: EntityType;
  id: string;
  label: string;
}

export type Severity = 'Critical' | 'High' | 'Medium' | 'Low';

export interface Scope {
  from: string;
  to: string;
}

export interface Health {
  ok: boolean;
  lake: { file: string; events: { cloudtrail: number; flow: number; dns: number }; findings: number; newest: string | null };
}

export interface FindingRow {
  id: string;
  type: string;
  severity: number;
  severityLevel: Severity;
  title: string;
  accountId: string;
  region: string;
  resourceType: string;
  resource: string;
  principal: string | null;
  remoteIp: string | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
  archived: boolean;
}

export interface Group {
  id: string;
  title: string;
  severity: number;
  severityLevel: Severity;
  findings: number;
  types: string[];
  entities: EntityRef[];
  firstSeen: string;
  lastSeen: string;
}

/** Set while the lake holds fewer than `requiredDays` of the baseline (Detective's two-week training period). */
export interface TrainingNotice {
  baselineDays: number;
  requiredDays: number;
}

export interface NewGeolocation {
  locationKey: string;
  country: string;
  countryCode: string;
  city: string | null;
  lat: number | null;
  lon: number | null;
  ip: string;
  principal: string | null;
  firstSeen: string;
  calls?: number;
  failures?: number;
}

export interface Summary {
  scope: Scope;
  training: TrainingNotice | null;
  findingsBySeverity: Record<Severity, number>;
  newGeolocations: NewGeolocation[];
  topPrincipals: { principal: string; type: string; calls: number; failures: number }[];
  topInstances: { instanceId: string; bytesIn: number; bytesOut: number; flows: number }[];
  recentGroups: Group[];
}

export interface FindingList {
  total: number;
  findings: FindingRow[];
}

export interface FindingDetail {
  finding: Record<string, unknown> & { id: string; type: string; title: string; description: string; severity: number };
  spec: { mitre: unknown; remediation: unknown; dataSource: unknown; description: unknown };
  entities: EntityRef[];
  evidence: { time: string; eventUid: string | null; file: string; line: number | null; raw: unknown; source?: string | null }[];
  timeline: { time: string; type: string; title: string }[];
}

export interface GroupDetail {
  group: Group;
  findings: FindingRow[];
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
}

export interface ApiBucket {
  time: string;
  success: number;
  failure: number;
}

export interface FlowBucket {
  time: string;
  bytesIn: number;
  bytesOut: number;
}

interface Items<T = Record<string, unknown>> {
  items: T[];
}

export interface NewItem {
  value: string;
  firstSeen: string;
  count: number;
  [extra: string]: unknown;
}

export interface IncreasedApi {
  api: string;
  service: string;
  scope: number;
  baselineDailyAvg: number;
  ratio: number;
}

export interface RoleAssumption {
  from: string | null;
  to: string | null;
  /** The session the assumption created. */
  session?: string | null;
  operation?: string | null;
  chained?: boolean;
  time: string;
  count: number;
  failures?: number;
}

export interface PortFlow {
  port: number | null;
  protocol: string | number | null;
  bytes: number;
  baselineBytes: number;
  aboveBaseline: boolean;
}

export interface PrincipalCalls {
  principal: string | null;
  principalType?: string | null;
  calls: number;
  failures: number;
  firstSeen?: string | null;
  lastSeen?: string | null;
}

export interface ApiCalls {
  api: string;
  service?: string | null;
  calls: number;
  failures?: number;
}

export interface DnsQuery {
  domain: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  rcodes: string[];
}

export interface PeerConnection {
  localPort: number | null;
  remotePort: number | null;
  protocol: string | null;
  direction: string;
  bytesIn: number;
  bytesOut: number;
  accepted: number;
  rejected: number;
  firstSeen: string;
  lastSeen: string;
}

export interface Panels {
  apiVolume?: { buckets: ApiBucket[] };
  newGeolocations?: Items<NewItem>;
  newApis?: Items<NewItem>;
  newUserAgents?: Items<NewItem>;
  newAsns?: Items<NewItem>;
  increasedApis?: Items<IncreasedApi>;
  roleAssumptions?: Items<RoleAssumption>;
  flowVolume?: { buckets: FlowBucket[] };
  flowByPort?: Items<PortFlow>;
  principals?: Items<PrincipalCalls>;
  apis?: Items<ApiCalls>;
  dnsQueries?: Items<DnsQuery>;
  [other: string]: unknown;
}

export interface EntityProfile {
  entity: { type: EntityType; id: string; label: string; details: Record<string, unknown> };
  scope: Scope;
  baseline: Scope;
  training: TrainingNotice | null;
  findings: FindingRow[];
  panels: Panels;
}

export interface DrillDown {
  series: { key: string; buckets: ApiBucket[] }[];
}

export type IndicatorKind =
  | 'ttp' | 'threat_intel_ip' | 'impossible_travel' | 'new_geolocation' | 'new_asn' | 'new_user_agent' | 'related_findings' | 'related_groups';

export interface Indicator {
  kind: IndicatorKind;
  title: string;
  severity: number;
  /** Critical, High, Medium, Low or Informational. */
  severityLevel: string;
  evidence: unknown[];
}

export interface Investigation {
  entity: EntityRef;
  scope: Scope;
  baseline?: Scope;
  training: TrainingNotice | null;
  severity: number;
  severityLevel: string;
  indicators: Indicator[];
}

export interface SearchResults {
  results: (EntityRef & { matched: string })[];
}

export interface LocationCalls {
  success: number;
  failure: number;
}

/** GET /api/geolocations/:key — every API call from one location in the scope time. */
export interface GeolocationActivity {
  location: { key: string; countryCode: string; country: string; city: string | null; lat: number | null; lon: number | null };
  scope: Scope;
  training: TrainingNotice | null;
  totals: LocationCalls & { ips: number };
  truncated: number;
  ips: (LocationCalls & {
    ip: string;
    asn: number | null;
    asnOrg: string | null;
    calls: (LocationCalls & { service: string | null; api: string | null; principal: string | null; principalType: string | null })[];
  })[];
  resources: (LocationCalls & {
    principal: string | null;
    principalType: string | null;
    account: string | null;
    calls: (LocationCalls & { ip: string; service: string | null; api: string | null })[];
  })[];
}
