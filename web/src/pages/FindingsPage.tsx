// Findings: filter by severity, type, text and archived state; sort; page; archive from the list.
import { ArchiveButton } from '../components/ArchiveButton';
import { Async } from '../components/Async';
import { FindingFilters } from '../components/FindingFilters';
import { FindingsTable } from '../components/FindingsTable';
import { Pager } from '../components/Pager';
import { query } from '../lib/api';
import { useRoute } from '../lib/route';
import { useScope } from '../lib/scopeContext';
import type { FindingList } from '../lib/types';
import { useApi } from '../lib/useApi';

const PAGE = 50;

/** Open findings unless asked otherwise; 'all' sends no archived filter. */
const archivedParam = (value: string | null) => (value === 'all' ? undefined : (value ?? 'false'));

export function FindingsPage() {
  const { params } = useRoute();
  const scope = useScope();
  const offset = Number(params.get('offset') ?? 0) || 0;
  const list = useApi<FindingList>(
    `/findings${query({
      severity: params.get('severity'),
      type: params.get('type'),
      archived: archivedParam(params.get('archived')),
      q: params.get('q'),
      sort: params.get('sort') ?? 'severity',
      order: params.get('order') ?? 'desc',
      limit: PAGE,
      offset,
      ...(params.get('inScope') === '1' ? scope : {}),
    })}`,
  );
  return (
    <div className="page" data-page="findings">
      <h1>Findings</h1>
      <FindingFilters />
      <Async loaded={list}>
        {(data) => (
          <>
            <p className="muted" data-total={data.total}>
              {data.total} findings
            </p>
            <FindingsTable findings={data.findings} limit={PAGE} empty="No findings match." actions={(f) => <ArchiveButton id={f.id} archived={f.archived} onDone={list.reload} />} />
            <Pager total={data.total} offset={offset} page={PAGE} />
          </>
        )}
      </Async>
    </div>
  );
}
