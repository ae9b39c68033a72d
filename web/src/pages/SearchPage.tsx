// Search results: entities, findings and groups whose identifier matches the query.
import { Async } from '../components/Async';
import { EntityLink } from '../components/EntityLink';
import { Table } from '../components/Table';
import { query } from '../lib/api';
import { typeName } from '../lib/entities';
import type { SearchResults } from '../lib/types';
import { useApi } from '../lib/useApi';

export function SearchPage({ q }: { q: string }) {
  const results = useApi<SearchResults>(q ? `/search${query({ q })}` : null);
  return (
    <div className="page" data-page="search">
      <h1>Search: {q}</h1>
      {q ? (
        <Async loaded={results}>
          {(data) => (
            <Table
              label="search results"
              rows={data.results}
              rowKey={(r) => `${r.type}:${r.id}`}
              empty="Nothing matches."
              columns={[
                { header: 'Type', cell: (r) => typeName(r.type), sort: (r) => r.type },
                { header: 'Result', cell: (r) => <EntityLink type={r.type} id={r.id} label={r.label} />, sort: (r) => r.label },
                { header: 'Matched', cell: (r) => r.matched },
              ]}
            />
          )}
        </Async>
      ) : (
        <p className="muted">Type an identifier in the search box.</p>
      )}
    </div>
  );
}
