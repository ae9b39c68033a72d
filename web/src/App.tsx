// The app shell: header (navigation, search, scope time), the routed page, the attribution footer.
import { lazy, Suspense, useEffect } from 'react';
import { Async } from './components/Async';
import { Footer } from './components/Footer';
import { ScopeBar } from './components/ScopeBar';
import { SearchBox } from './components/SearchBox';
import { href, navigate, type Route, routeWith, useRoute } from './lib/route';
import { defaultScope, scopeFromParams } from './lib/scope';
import { ScopeContext } from './lib/scopeContext';
import type { Health, Scope } from './lib/types';
import { useApi } from './lib/useApi';
import { EntityPage } from './pages/EntityPage';
import { FindingPage } from './pages/FindingPage';
import { FindingsPage } from './pages/FindingsPage';
import { GeolocationPage } from './pages/GeolocationPage';
import { GroupsPage } from './pages/GroupsPage';
import { InvestigationPage } from './pages/InvestigationPage';
import { SearchPage } from './pages/SearchPage';
import { SummaryPage } from './pages/SummaryPage';

// The graph library is only loaded for a group page.
const GroupPage = lazy(() => import('./pages/GroupPage').then((m) => ({ default: m.GroupPage })));

function Page({ route }: { route: Route }) {
  const [page, a = '', b = ''] = route.segments;
  switch (page ?? 'summary') {
    case 'summary':
      return <SummaryPage />;
    case 'findings':
      return <FindingsPage />;
    case 'finding':
      return <FindingPage id={a} />;
    case 'groups':
      return <GroupsPage />;
    case 'group':
      return <GroupPage id={a} />;
    case 'entity':
      return <EntityPage type={a} id={b} />;
    case 'geolocation':
      return <GeolocationPage locationKey={a} />;
    case 'investigate':
      return <InvestigationPage type={a} id={b} />;
    case 'search':
      return <SearchPage q={route.params.get('q') ?? ''} />;
    default:
      return <p className="error">No page here. Try the summary.</p>;
  }
}

/** Puts the default scope time into the URL when it has none (a finding page picks its own). */
function useScopeInUrl(route: Route, newest: string | null | undefined, ready: boolean): Scope | undefined {
  const scope = scopeFromParams(route.params);
  const needsDefault = ready && !scope && route.segments[0] !== 'finding';
  useEffect(() => {
    if (!needsDefault) return;
    navigate(routeWith(route, { ...defaultScope(newest) }), true);
  }, [needsDefault, newest, route]);
  return scope;
}

const NAV: [string, string][] = [
  ['summary', 'Summary'],
  ['findings', 'Findings'],
  ['groups', 'Finding groups'],
];

export function App() {
  const route = useRoute();
  const health = useApi<Health>('/health');
  const scope = useScopeInUrl(route, health.data?.lake.newest, health.data !== undefined);
  const current = route.segments[0] ?? 'summary';

  return (
    <ScopeContext.Provider value={scope ?? { from: '', to: '' }}>
      <header className="top">
        <a className="brand" href={href(['summary'], { ...scope })}>
          Gumshoe
        </a>
        <nav>
          {NAV.map(([segment, title]) => (
            <a key={segment} href={href([segment], { ...scope })} className={current === segment ? 'active' : undefined}>
              {title}
            </a>
          ))}
        </nav>
        <SearchBox />
      </header>
      <main>
        <Async loaded={health}>
          {() =>
            scope ? (
              <>
                <ScopeBar />
                <Suspense fallback={<p className="muted loading">Loading…</p>}>
                  <Page route={route} />
                </Suspense>
              </>
            ) : current === 'finding' ? (
              <Page route={route} />
            ) : null
          }
        </Async>
      </main>
      <Footer />
    </ScopeContext.Provider>
  );
}
