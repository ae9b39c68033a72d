/**
 * What detections ask of threat intelligence and enrichment. Built from the lake's intel tables and the
 * geo/ASN data shipped in npm packages (see loadIntel), or from plain lists in tests (see staticIntel).
 */
export interface ThreatMatch {
  /** The list's name as it appears in findings (`threatListName`). */
  listName: string;
  /** What the list says the entry is, when it says (`threatName`), e.g. `Scanner`. */
  threatName?: string;
  /** SHA-256 of the list file, for `evidence.threatIntelligenceDetails[].threatFileSha256`. */
  fileSha256?: string;
  /** True for a list the user added (the `.Custom` finding types); false for managed feeds. */
  custom: boolean;
}

export interface IpDetails {
  countryCode?: string;
  countryName?: string;
  city?: string;
  lat?: number;
  lon?: number;
  asn?: number;
  asnOrg?: string;
}

export interface AwsRange {
  /** Region of the published range, or GLOBAL. */
  region: string;
  /** Service of the published range, e.g. EC2, AMAZON. */
  service: string;
}

export interface IntelLookup {
  /** Every active threat list that holds this IPv4 or IPv6 address (exactly or by CIDR). */
  ipThreats(ip: string): ThreatMatch[];
  /** Every active threat list that holds this domain (exactly, or by a `*.parent` wildcard entry). */
  domainThreats(domain: string): ThreatMatch[];
  /** On a trusted IP list or trusted entity list: no finding is raised for it. */
  isTrustedIp(ip: string): boolean;
  /** On a trusted entity list. */
  isTrustedDomain(domain: string): boolean;
  /** A Tor exit: on the bulk exit list, or a relay with the Exit flag (IPv4 or IPv6). */
  isTorExit(ip: string): boolean;
  /** A running Tor relay (any role, exits included), by any of its IPv4 or IPv6 OR addresses. */
  isTorRelay(ip: string): boolean;
  /** The AWS published range holding this IP, or undefined when it is outside AWS. */
  awsRange(ip: string): AwsRange | undefined;
  /** In a published range or, where the loaded ranges miss it (stale, or none loaded), announced by an Amazon ASN. */
  isInsideAws(ip: string): boolean;
  /** Country, city, location and ASN, as far as known. */
  ipDetails(ip: string): IpDetails;
}
