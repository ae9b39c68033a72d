// An entity's details panel: identifiers of other entities (account, keys, roles, principals) become profile links.
import type { ReactNode } from 'react';
import { EntityLink } from './EntityLink';
import { PrincipalLink } from './PrincipalLink';
import { KeyValue } from './Value';

/** Detail keys whose values are other entities: their type, or 'principal' to tell from the ARN. */
const LINKED: Record<string, string> = {
  accountId: 'account',
  accessKeys: 'accesskey',
  role: 'role',
  roles: 'role',
  principals: 'principal',
};

function link(type: string, id: string): ReactNode {
  return type === 'principal' ? <PrincipalLink principal={id} /> : <EntityLink type={type} id={id} />;
}

function render(key: string, value: unknown): ReactNode | undefined {
  const type = LINKED[key];
  if (!type) return undefined;
  if (typeof value === 'string' && value) return link(type, value);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return (
      <ul className="value-list">
        {value.map((v: string) => (
          <li key={v}>{link(type, v)}</li>
        ))}
      </ul>
    );
  }
  return undefined;
}

export function EntityDetails({ details }: { details: Record<string, unknown> }) {
  return <KeyValue data={details} render={render} />;
}
