// An entity profile: details, associated findings and the panels of the entity type's layout.
import { Async } from '../components/Async';
import { FindingsTable } from '../components/FindingsTable';
import { Panel } from '../components/Panel';
import { EntityDetails } from '../components/EntityDetails';
import { entityPath, query } from '../lib/api';
import { typeName } from '../lib/entities';
import { investigationHref } from '../lib/links';
import { useScope } from '../lib/scopeContext';
import type { EntityProfile } from '../lib/types';
import { useApi } from '../lib/useApi';
import { ProfilePanels } from '../panels/ProfilePanels';

function Header({ profile }: { profile: EntityProfile }) {
  const scope = useScope();
  const { type, id, label } = profile.entity;
  return (
    <div className="entity-header">
      <span className="entity-type">{typeName(type)}</span>
      <h1 className="entity-title">{label || id}</h1>
      {label && label !== id && <code className="entity-id">{id}</code>}
      {(type === 'user' || type === 'role') && (
        <a className="button" href={investigationHref(type, id, scope)}>
          Run investigation
        </a>
      )}
    </div>
  );
}

export function EntityPage({ type, id }: { type: string; id: string }) {
  const scope = useScope();
  const profile = useApi<EntityProfile>(`/entities${entityPath(type, id)}${query({ ...scope })}`);
  return (
    <div className="page" data-page="entity" data-entity-type={type}>
      <Async loaded={profile}>
        {(p) => (
          <>
            <Header profile={p} />
            <div className="grid">
              <Panel title={`${typeName(p.entity.type)} details`} id="details">
                <EntityDetails details={p.entity.details} />
              </Panel>
              <Panel wide title="Associated findings" guidance="Findings that involve this entity in the scope time; opening one moves the scope time to it." id="findings">
                <FindingsTable findings={p.findings} />
              </Panel>
              <ProfilePanels profile={p} />
            </div>
          </>
        )}
      </Async>
    </div>
  );
}
