// Traffic between this instance or IP and one remote IP (by default the IP of an associated finding).
import { type FormEvent, useState } from 'react';
import { Async } from '../components/Async';
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { entityPath, query } from '../lib/api';
import { formatBytes, formatNumber } from '../lib/format';
import { useScope } from '../lib/scopeContext';
import type { FlowBucket, PeerConnection } from '../lib/types';
import { useApi } from '../lib/useApi';
import { FlowVolumeChart } from './FlowVolumePanel';

interface PeerTraffic {
  buckets: FlowBucket[];
  items: PeerConnection[];
}

function Connections({ items }: { items: PeerConnection[] }) {
  return (
    <Table
      label="connections"
      rows={items}
      rowKey={(c, i) => `${c.localPort}-${c.remotePort}-${c.protocol}-${c.direction}-${i}`}
      empty="No traffic with this IP in the scope time."
      columns={[
        { header: 'Direction', cell: (c) => c.direction, sort: (c) => c.direction },
        { header: 'Local port', cell: (c) => c.localPort ?? '', sort: (c) => c.localPort ?? -1, numeric: true },
        { header: 'Remote port', cell: (c) => c.remotePort ?? '', sort: (c) => c.remotePort ?? -1, numeric: true },
        { header: 'Protocol', cell: (c) => c.protocol ?? '', sort: (c) => c.protocol ?? '' },
        { header: 'In', cell: (c) => formatBytes(c.bytesIn), sort: (c) => c.bytesIn, numeric: true },
        { header: 'Out', cell: (c) => formatBytes(c.bytesOut), sort: (c) => c.bytesOut, numeric: true },
        { header: 'Accepted', cell: (c) => formatNumber(c.accepted), sort: (c) => c.accepted, numeric: true },
        { header: 'Rejected', cell: (c) => formatNumber(c.rejected), sort: (c) => c.rejected, numeric: true },
      ]}
    />
  );
}

function PeerView({ type, id, peer }: { type: string; id: string; peer: string }) {
  const scope = useScope();
  const traffic = useApi<PeerTraffic>(`/entities${entityPath(type, id)}/panels/peerTraffic${query({ peer, ...scope })}`);
  return (
    <Async loaded={traffic}>
      {(data) => (
        <>
          <FlowVolumeChart buckets={data.buckets} label={`traffic with ${peer}`} />
          <Connections items={data.items} />
        </>
      )}
    </Async>
  );
}

export function PeerTrafficPanel({ type, id, peers }: { type: string; id: string; peers: string[] }) {
  const [peer, setPeer] = useState(peers[0] ?? '');
  const [text, setText] = useState(peer);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setPeer(text.trim());
  };
  return (
    <Panel wide title="VPC flow volume to and from a finding's IP address" guidance="Pick a remote IP: the IPs of this entity's findings are offered." id="peerTraffic">
      <form className="inline" onSubmit={submit}>
        <input list="peer-ips" value={text} onChange={(e) => setText(e.target.value)} placeholder="remote IP" aria-label="remote IP" />
        <datalist id="peer-ips">
          {peers.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <button type="submit">Show</button>
      </form>
      {peer ? <PeerView type={type} id={id} peer={peer} /> : <p className="muted">No finding IP to show; enter one.</p>}
    </Panel>
  );
}
