// One geolocation's activity details: every API call from it in the scope time, by observed IP and by resource.
import { useState } from 'react';
import { Async } from '../components/Async';
import { EntityLink } from '../components/EntityLink';
import { Panel } from '../components/Panel';
import { PrincipalLink } from '../components/PrincipalLink';
import { Table } from '../components/Table';
import { TrainingNotice } from '../components/TrainingNotice';
import { WorldMap } from '../components/WorldMap';
import { query } from '../lib/api';
import { formatNumber } from '../lib/format';
import { useScope } from '../lib/scopeContext';
import type { GeolocationActivity, LocationCalls } from '../lib/types';
import { useApi } from '../lib/useApi';

const TABS = [
  ['ips', 'Observed IP addresses'],
  ['resources', 'Resource'],
] as const;

const apiName = (c: { service: string | null; api: string | null }) => [c.service, c.api].filter(Boolean).join(' ');
const total = (c: LocationCalls) => c.success + c.failure;

const countColumns = <T extends LocationCalls>() => [
  { header: 'Successful', cell: (r: T) => formatNumber(r.success), sort: (r: T) => r.success, numeric: true },
  { header: 'Failed', cell: (r: T) => formatNumber(r.failure), sort: (r: T) => r.failure, numeric: true },
];

/** The calls under one row, behind a native disclosure (text only). */
function CallList<T extends LocationCalls>({ calls, describe }: { calls: T[]; describe: (call: T) => string }) {
  return (
    <details>
      <summary>
        {calls.length} API call{calls.length === 1 ? '' : 's'}
      </summary>
      <ul className="call-list">
        {calls.map((c, i) => (
          <li key={i}>
            {describe(c)}: {formatNumber(c.success)} ok, {formatNumber(c.failure)} failed
          </li>
        ))}
      </ul>
    </details>
  );
}

function ByIp({ data }: { data: GeolocationActivity }) {
  return (
    <Table
      label="API calls by observed IP address"
      rows={data.ips}
      rowKey={(r) => r.ip}
      empty="No API calls from this location in the scope time."
      columns={[
        { header: 'IP address', cell: (r) => <EntityLink type="ip" id={r.ip} />, sort: (r) => r.ip },
        { header: 'ASN', cell: (r) => (r.asn === null ? '' : `AS${r.asn}${r.asnOrg ? ` ${r.asnOrg}` : ''}`), sort: (r) => r.asn ?? 0 },
        ...countColumns<(typeof data.ips)[number]>(),
        {
          header: 'API calls by service, and caller',
          cell: (r) => <CallList calls={r.calls} describe={(c) => `${apiName(c)} by ${c.principal ?? 'unknown caller'}`} />,
          sort: (r) => r.calls.length,
        },
      ]}
    />
  );
}

function ByResource({ data }: { data: GeolocationActivity }) {
  return (
    <Table
      label="API calls by resource"
      rows={data.resources}
      rowKey={(r, i) => `${r.principal}-${i}`}
      empty="No API calls from this location in the scope time."
      columns={[
        {
          header: 'Resource',
          cell: (r) => <PrincipalLink principal={r.principal} />,
          sort: (r) => r.principal ?? '',
        },
        { header: 'Type', cell: (r) => r.principalType ?? '', sort: (r) => r.principalType ?? '' },
        { header: 'Account', cell: (r) => (r.account ? <EntityLink type="account" id={r.account} /> : ''), sort: (r) => r.account ?? '' },
        ...countColumns<(typeof data.resources)[number]>(),
        { header: 'API calls', cell: (r) => <CallList calls={r.calls} describe={(c) => `${apiName(c)} from ${c.ip}`} />, sort: (r) => r.calls.length },
      ]}
    />
  );
}

export function GeolocationView({ data }: { data: GeolocationActivity }) {
  const [tab, setTab] = useState<(typeof TABS)[number][0]>('ips');
  const { location, totals } = data;
  const name = [location.city, location.country].filter(Boolean).join(', ');
  return (
    <>
      <div className="entity-header">
        <span className="entity-type">Geolocation</span>
        <h1 className="entity-title">{name}</h1>
      </div>
      <TrainingNotice training={data.training} />
      <div className="grid">
        <Panel title="Location" id="location">
          {location.lat !== null && location.lon !== null && <WorldMap points={[{ name, lat: location.lat, lon: location.lon, value: total(totals) }]} label="location" />}
          <p>
            {formatNumber(totals.ips)} IP address{totals.ips === 1 ? '' : 'es'} · {formatNumber(totals.success)} successful and {formatNumber(totals.failure)} failed API calls in the scope time
            {data.truncated > 0 && ` (the ${formatNumber(data.ips.length)} busiest addresses are broken down below)`}
          </p>
        </Panel>
        <Panel wide title="Activity details" guidance="All API calls from this location in the scope time, whoever made them." id="activity">
          <div className="tabs" role="tablist">
            {TABS.map(([key, title]) => (
              <button key={key} type="button" role="tab" aria-selected={tab === key} className={tab === key ? 'active' : undefined} onClick={() => setTab(key)}>
                {title}
              </button>
            ))}
          </div>
          {tab === 'ips' ? <ByIp data={data} /> : <ByResource data={data} />}
        </Panel>
      </div>
    </>
  );
}

export function GeolocationPage({ locationKey }: { locationKey: string }) {
  const scope = useScope();
  const data = useApi<GeolocationActivity>(`/geolocations/${encodeURIComponent(locationKey)}${query({ ...scope })}`);
  return (
    <div className="page" data-page="geolocation">
      <Async loaded={data}>{(d) => <GeolocationView data={d} />}</Async>
    </div>
  );
}
