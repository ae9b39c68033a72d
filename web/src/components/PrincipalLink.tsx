import { principalType } from '../lib/entities';
import { EntityLink } from './EntityLink';

/** A principal as a profile link when its type can be told from it, else as plain text (a service name). */
export function PrincipalLink({ principal, type }: { principal: string | null; type?: string }) {
  if (!principal) return <span className="muted">—</span>;
  const entityType = type ?? principalType(principal);
  return entityType ? <EntityLink type={entityType} id={principal} /> : <>{principal}</>;
}
