// Newly observed geolocations: the map and the table of locations, IPs and principals.
import { formatNumber, formatTime } from '../lib/format';
import { geolocationHref } from '../lib/links';
import { useScope } from '../lib/scopeContext';
import type { NewGeolocation, TrainingNotice as Notice } from '../lib/types';
import { EntityLink } from './EntityLink';
import { PrincipalLink } from './PrincipalLink';
import { Table } from './Table';
import { TrainingNotice } from './TrainingNotice';
import { WorldMap } from './WorldMap';

const place = (g: NewGeolocation) => [g.city, g.country].filter(Boolean).join(', ') || 'unknown';

export function NewGeolocations({ items, training }: { items: NewGeolocation[]; training?: Notice | null }) {
  const scope = useScope();
  const points = items.filter((g) => g.lat !== null && g.lon !== null).map((g) => ({ name: `${place(g)} (${g.ip})`, lat: g.lat!, lon: g.lon!, value: 1 }));
  return (
    <>
      <TrainingNotice training={training} />
      <WorldMap points={points} label="newly observed geolocations" />
      <Table
        label="newly observed geolocations"
        rows={items}
        rowKey={(g, i) => `${g.ip}-${g.principal}-${i}`}
        empty="No new geolocations in this scope."
        columns={[
          { header: 'Location', cell: (g) => <a href={geolocationHref(g.locationKey, scope)} title="all API calls from this location">{place(g)}</a>, sort: place },
          { header: 'IP', cell: (g) => <EntityLink type="ip" id={g.ip} />, sort: (g) => g.ip },
          { header: 'Principal', cell: (g) => <PrincipalLink principal={g.principal} />, sort: (g) => g.principal ?? '' },
          { header: 'First seen', cell: (g) => formatTime(g.firstSeen), sort: (g) => g.firstSeen },
          { header: 'Calls', cell: (g) => formatNumber(g.calls ?? 0), sort: (g) => g.calls ?? 0, numeric: true },
          { header: 'Failed', cell: (g) => formatNumber(g.failures ?? 0), sort: (g) => g.failures ?? 0, numeric: true },
        ]}
      />
    </>
  );
}
