// Hash routing: `#/path/segments?query`. Works behind any static server; every page is a deep link.
import { useSyncExternalStore } from 'react';

export interface Route {
  segments: string[];
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const cut = text.indexOf('?');
  const path = cut < 0 ? text : text.slice(0, cut);
  return {
    segments: path.split('/').filter(Boolean).map((s) => decodeURIComponent(s)),
    params: new URLSearchParams(cut < 0 ? '' : text.slice(cut + 1)),
  };
}

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parse(hash);
}

/** `#/a/b?x=1`; segments are URL-encoded, empty params dropped. */
export function href(segments: string[], params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const query = search.toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
}

/** Goes to `to` (a `#/…` link); `replace` rewrites the current history entry instead of adding one. */
export function navigate(to: string, replace = false): void {
  if (!replace) {
    window.location.hash = to.slice(1);
    return;
  }
  window.history.replaceState(null, '', to);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The current route's link with some query parameters set (or removed, when undefined or empty). */
export function routeWith(route: Route, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams(route.params);
  for (const [key, value] of Object.entries(changes)) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  const query = params.toString();
  return `#/${route.segments.map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
}
