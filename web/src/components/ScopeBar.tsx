// The scope time control: UTC start/end, presets, and the 45-day baseline it implies.
import { type FormEvent, useEffect, useState } from 'react';
import { formatTime } from '../lib/format';
import { navigate, routeWith, useRoute } from '../lib/route';
import { fromInput, lastDays, toInput } from '../lib/scope';
import { useScope } from '../lib/scopeContext';
import type { Scope } from '../lib/types';

export function ScopeBar() {
  const scope = useScope();
  const route = useRoute();
  const [from, setFrom] = useState(toInput(scope.from));
  const [to, setTo] = useState(toInput(scope.to));
  useEffect(() => {
    setFrom(toInput(scope.from));
    setTo(toInput(scope.to));
  }, [scope.from, scope.to]);

  const apply = (next: Scope) => navigate(routeWith(route, { from: next.from, to: next.to }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (from && to) apply({ from: fromInput(from), to: fromInput(to) });
  };
  const baselineFrom = new Date(Date.parse(scope.from) - 45 * 86_400_000).toISOString();

  return (
    <form className="scope-bar" onSubmit={submit} aria-label="scope time">
      <label>
        Scope time (UTC) from <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
      </label>
      <label>
        to <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <button type="submit">Apply</button>
      {[1, 7, 30].map((days) => (
        <button key={days} type="button" onClick={() => apply(lastDays(scope, days))}>
          {days === 1 ? '24 h' : `${days} d`}
        </button>
      ))}
      <span className="muted baseline">
        baseline {formatTime(baselineFrom)} → {formatTime(scope.from)}
      </span>
    </form>
  );
}
