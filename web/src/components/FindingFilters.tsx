// The findings list's filters and sort order, kept in the URL so that a filtered list is a deep link.
import { type FormEvent, useState } from 'react';
import { SEVERITIES } from '../lib/format';
import { navigate, routeWith, useRoute } from '../lib/route';

export function FindingFilters() {
  const route = useRoute();
  const { params } = route;
  const [q, setQ] = useState(params.get('q') ?? '');
  const [type, setType] = useState(params.get('type') ?? '');
  const set = (changes: Record<string, string | undefined>) => navigate(routeWith(route, { ...changes, offset: undefined }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set({ q: q.trim(), type: type.trim() });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="finding filters">
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Text in title, resource, principal, IP…" aria-label="finding text" />
      <input value={type} onChange={(e) => setType(e.target.value)} placeholder="Finding type" aria-label="finding type" />
      <button type="submit">Filter</button>
      <select value={params.get('severity') ?? ''} onChange={(e) => set({ severity: e.target.value })} aria-label="severity">
        <option value="">Any severity</option>
        {SEVERITIES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <select value={params.get('archived') ?? 'false'} onChange={(e) => set({ archived: e.target.value })} aria-label="archived">
        <option value="false">Open</option>
        <option value="true">Archived</option>
        <option value="all">All</option>
      </select>
      <label>
        <input type="checkbox" checked={params.get('inScope') === '1'} onChange={(e) => set({ inScope: e.target.checked ? '1' : undefined })} /> active in the scope time
      </label>
      <select value={params.get('sort') ?? 'severity'} onChange={(e) => set({ sort: e.target.value })} aria-label="sort by">
        <option value="severity">Sort by severity</option>
        <option value="updated">Sort by last updated</option>
        <option value="lastSeen">Sort by last seen</option>
        <option value="firstSeen">Sort by first seen</option>
        <option value="count">Sort by count</option>
      </select>
      <select value={params.get('order') ?? 'desc'} onChange={(e) => set({ order: e.target.value })} aria-label="order">
        <option value="desc">Descending</option>
        <option value="asc">Ascending</option>
      </select>
    </form>
  );
}
