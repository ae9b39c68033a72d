// Previous / next page links that change `offset` in the URL.
import { navigate, routeWith, useRoute } from '../lib/route';

export function Pager({ total, offset, page }: { total: number; offset: number; page: number }) {
  const route = useRoute();
  if (total <= page) return null;
  const go = (next: number) => navigate(routeWith(route, { offset: String(next) }));
  return (
    <div className="pager">
      <button type="button" disabled={offset === 0} onClick={() => go(Math.max(0, offset - page))}>
        Previous
      </button>
      <span>
        {offset + 1}–{Math.min(offset + page, total)} of {total}
      </span>
      <button type="button" disabled={offset + page >= total} onClick={() => go(offset + page)}>
        Next
      </button>
    </div>
  );
}
