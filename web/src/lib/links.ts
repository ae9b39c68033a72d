// Links between pages; each carries the scope time so that it is a complete deep link.
import { href } from './route';
import { findingScope } from './scope';
import type { EntityType, Scope } from './types';

export function entityHref(type: EntityType | string, id: string, scope?: Scope): string {
  if (type === 'finding') return href(['finding', id]);
  if (type === 'group') return href(['group', id], { ...scope });
  return href(['entity', type, id], { ...scope });
}

/** Opening a finding moves the scope time to the finding's first/last seen. */
export const findingHref = (id: string, firstSeen: string, lastSeen: string) => href(['finding', id], { ...findingScope(firstSeen, lastSeen) });

export const investigationHref = (type: 'user' | 'role', id: string, scope?: Scope) => href(['investigate', type, id], { ...scope });

export const searchHref = (q: string, scope?: Scope) => href(['search'], { q, ...scope });

/** The drill-down of one geolocation (`CC|City`): every API call from it in the scope time. */
export const geolocationHref = (locationKey: string, scope?: Scope) => href(['geolocation', locationKey], { ...scope });
