// Entities with their type, a profile link and, for IAM users and roles, an investigation link.
import { typeName } from '../lib/entities';
import { investigationHref } from '../lib/links';
import { useScope } from '../lib/scopeContext';
import type { EntityRef } from '../lib/types';
import { EntityLink } from './EntityLink';
import { Table } from './Table';

export function EntityList({ entities }: { entities: EntityRef[] }) {
  const scope = useScope();
  return (
    <Table
      label="entities"
      rows={entities}
      rowKey={(e) => `${e.type}:${e.id}`}
      empty="No entities."
      columns={[
        { header: 'Type', cell: (e) => typeName(e.type), sort: (e) => e.type },
        { header: 'Entity', cell: (e) => <EntityLink type={e.type} id={e.id} label={e.label} />, sort: (e) => e.label },
        {
          header: '',
          cell: (e) =>
            e.type === 'user' || e.type === 'role' ? (
              <a href={investigationHref(e.type, e.id, scope)} className="small-link">
                Investigate
              </a>
            ) : null,
        },
      ]}
    />
  );
}
