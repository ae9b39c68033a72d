import type { ReactNode } from 'react';

/** A titled profile panel with its one-line guidance. */
interface Props {
  title: string;
  guidance?: string;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
  /** Spans the whole width of the page grid. */
  wide?: boolean;
}

export function Panel({ title, guidance, actions, children, id, wide }: Props) {
  return (
    <section className={wide ? 'panel wide' : 'panel'} data-panel={id}>
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {guidance && <p className="guidance">{guidance}</p>}
      {children}
    </section>
  );
}
