// Values seen in the scope time but not in the 45-day baseline (geolocations, APIs, user agents, ASNs).
import { EntityLink } from '../components/EntityLink';
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { TrainingNotice } from '../components/TrainingNotice';
import { WorldMap } from '../components/WorldMap';
import { formatNumber, formatTime } from '../lib/format';
import { geolocationHref } from '../lib/links';
import { useScope } from '../lib/scopeContext';
import type { NewItem, TrainingNotice as Notice } from '../lib/types';

interface Props {
  id: string;
  title: string;
  items: NewItem[];
  /** Entity type the value links to (a user agent profile), if any. */
  linkType?: string;
  training?: Notice | null;
}

/** The value: a profile link, a link to a geolocation's activity details, or text. */
function ValueCell({ item, linkType }: { item: NewItem; linkType?: string }) {
  const scope = useScope();
  if (linkType) return <EntityLink type={linkType} id={item.value} />;
  if (typeof item.locationKey === 'string') return <a href={geolocationHref(item.locationKey, scope)} title="all API calls from this location">{item.value}</a>;
  return <>{item.value}</>;
}

const ips = (item: NewItem) => (Array.isArray(item.ips) ? (item.ips as string[]) : []);

const mapPoints = (items: NewItem[]) =>
  items.filter((i) => typeof i.lat === 'number' && typeof i.lon === 'number').map((i) => ({ name: i.value, lat: i.lat as number, lon: i.lon as number, value: i.count }));

export function NewlyObservedPanel({ id, title, items, linkType, training }: Props) {
  const points = mapPoints(items);
  const withIps = items.some((item) => ips(item).length > 0);
  const withService = items.some((item) => typeof item.service === 'string');
  return (
    <Panel title={title} guidance="Seen in the scope time, not in the 45 days before it." id={id}>
      <TrainingNotice training={training} />
      {points.length > 0 && <WorldMap points={points} label={title} />}
      <Table
        label={title}
        rows={items}
        rowKey={(item, index) => `${item.value}-${index}`}
        empty="Nothing new in this scope."
        columns={[
          { header: 'Value', cell: (item) => <ValueCell item={item} linkType={linkType} />, sort: (item) => item.value },
          ...(withService ? [{ header: 'Service', cell: (item: NewItem) => String(item.service ?? ''), sort: (item: NewItem) => String(item.service ?? '') }] : []),
          ...(withIps
            ? [{ header: 'IPs', cell: (item: NewItem) => ips(item).map((ip) => <EntityLink key={ip} type="ip" id={ip} />).flatMap((link, i) => (i ? [', ', link] : [link])) }]
            : []),
          { header: 'First seen', cell: (item) => formatTime(item.firstSeen), sort: (item) => item.firstSeen },
          { header: 'Calls', cell: (item) => formatNumber(item.count), sort: (item) => item.count, numeric: true },
          { header: 'Failed', cell: (item) => formatNumber(Number(item.failures ?? 0)), sort: (item) => Number(item.failures ?? 0), numeric: true },
        ]}
      />
    </Panel>
  );
}
