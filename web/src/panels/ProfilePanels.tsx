// The panels of an entity profile, in the order of the entity type's layout; panels the layout does not know come last.
import type { ReactNode } from 'react';
import type { EntityProfile, Panels } from '../lib/types';
import { ApiVolumePanel } from './ApiVolumePanel';
import { ApisPanel, PrincipalsPanel } from './CallerPanels';
import { DnsQueriesPanel } from './DnsQueriesPanel';
import { FlowByPortPanel } from './FlowByPortPanel';
import { FlowVolumePanel } from './FlowVolumePanel';
import { GenericPanel } from './GenericPanel';
import { IncreasedApisPanel } from './IncreasedApisPanel';
import { NewlyObservedPanel } from './NewlyObservedPanel';
import { PeerTrafficPanel } from './PeerTrafficPanel';
import { RoleAssumptionsPanel } from './RoleAssumptionsPanel';

const PRINCIPAL = ['apiVolume', 'newGeolocations', 'newApis', 'newUserAgents', 'newAsns', 'increasedApis', 'roleAssumptions'];
const NETWORK = ['flowVolume', 'flowByPort', 'peerTraffic'];

/** One layout per entity type: which panels, in which order. */
const LAYOUTS: Record<string, string[]> = {
  account: PRINCIPAL,
  user: PRINCIPAL,
  role: PRINCIPAL,
  session: PRINCIPAL,
  federated: PRINCIPAL,
  accesskey: PRINCIPAL,
  instance: [...NETWORK, 'dnsQueries', ...PRINCIPAL],
  ip: [...NETWORK, 'apiVolume', 'principals', 'apis', 'newUserAgents', 'dnsQueries'],
  bucket: ['apiVolume', 'principals', 'apis', 'newGeolocations'],
  useragent: ['apiVolume', 'principals', 'apis'],
};

function renderPanel(key: string, panels: Panels, profile: EntityProfile): ReactNode {
  const { type, id } = profile.entity;
  switch (key) {
    case 'apiVolume':
      return panels.apiVolume && <ApiVolumePanel buckets={panels.apiVolume.buckets} type={type} id={id} />;
    case 'newGeolocations':
      return panels.newGeolocations && <NewlyObservedPanel id={key} title="Newly observed geolocations" items={panels.newGeolocations.items} training={profile.training} />;
    case 'newApis':
      return panels.newApis && <NewlyObservedPanel id={key} title="Newly observed API calls" items={panels.newApis.items} training={profile.training} />;
    case 'newUserAgents':
      return panels.newUserAgents && <NewlyObservedPanel id={key} title="Newly observed user agents" items={panels.newUserAgents.items} linkType="useragent" training={profile.training} />;
    case 'newAsns':
      return panels.newAsns && <NewlyObservedPanel id={key} title="Newly observed ASNs" items={panels.newAsns.items} training={profile.training} />;
    case 'increasedApis':
      return panels.increasedApis && <IncreasedApisPanel items={panels.increasedApis.items} training={profile.training} />;
    case 'roleAssumptions':
      return panels.roleAssumptions && <RoleAssumptionsPanel items={panels.roleAssumptions.items} />;
    case 'flowVolume':
      return panels.flowVolume && <FlowVolumePanel buckets={panels.flowVolume.buckets} />;
    case 'flowByPort':
      return panels.flowByPort && <FlowByPortPanel items={panels.flowByPort.items} />;
    case 'peerTraffic':
      return (type === 'instance' || type === 'ip') && <PeerTrafficPanel type={type} id={id} peers={findingIps(profile)} />;
    case 'principals':
      return panels.principals && <PrincipalsPanel items={panels.principals.items} />;
    case 'apis':
      return panels.apis && <ApisPanel items={panels.apis.items} />;
    case 'dnsQueries':
      return panels.dnsQueries && <DnsQueriesPanel items={panels.dnsQueries.items} />;
    default:
      return <GenericPanel id={key} data={panels[key]} />;
  }
}

/** Remote IPs of the entity's findings, for the peer traffic panel. */
const findingIps = (profile: EntityProfile) => [...new Set(profile.findings.flatMap((f) => (f.remoteIp ? [f.remoteIp] : [])))];

export function ProfilePanels({ profile }: { profile: EntityProfile }) {
  const layout = LAYOUTS[profile.entity.type] ?? [];
  const rest = Object.keys(profile.panels).filter((key) => !layout.includes(key) && key !== 'details');
  return (
    <>
      {[...layout, ...rest].map((key) => (
        <div key={key} className="panel-slot">
          {renderPanel(key, profile.panels, profile)}
        </div>
      ))}
    </>
  );
}
