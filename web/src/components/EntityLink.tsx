import { entityHref } from '../lib/links';
import { useScope } from '../lib/scopeContext';

/** A link to an entity's profile (or finding / group page), keeping the scope time. */
export function EntityLink({ type, id, label }: { type: string; id: string; label?: string }) {
  const scope = useScope();
  return (
    <a href={entityHref(type, id, scope)} className="entity-link" title={`${type} ${id}`}>
      {label || id}
    </a>
  );
}
