// Traffic between this instance or IP and one remote IP (by default the IP of an associated finding).
import { type FormEvent, useState } from 'react';
import { Async } from '../components/Async';
import { Panel } from '../components/Panel';
import { entityPath, query } from '../lib/api';
import { useScope } from '../lib/scopeContext';
import type { FlowBucket } from '../lib/types';
import { useApi } from '../lib/useApi';
import { FlowVolumeChart } from './FlowVolumePanel';
import { GenericBody } from './GenericPanel';

interface PeerTraffic {
  buckets?: FlowBucket[];
  [other: string]: unknown;
}

function PeerChart({ type, id, peer }: { type: string; id: string; peer: string }) {
  const scope = useScope();
  const traffic = useApi<PeerTraffic>(`/entities${entityPath(type, id)}/panels/peerTraffic${query({ peer, ...scope })}`);
  return (
    <Async loaded={traffic}>
      {({ buckets, ...rest }) => (
        <>
          {buckets && <FlowVolumeChart buckets={buckets} label={`traffic with ${peer}`} />}
          <GenericBody data={rest} />
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
    <Panel title="VPC flow volume to and from a finding's IP address" guidance="Pick a remote IP: the IPs of this entity's findings are offered." id="peerTraffic">
      <form className="inline" onSubmit={submit}>
        <input list="peer-ips" value={text} onChange={(e) => setText(e.target.value)} placeholder="remote IP" aria-label="remote IP" />
        <datalist id="peer-ips">
          {peers.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <button type="submit">Show</button>
      </form>
      {peer ? <PeerChart type={type} id={id} peer={peer} /> : <p className="muted">No finding IP to show; enter one.</p>}
    </Panel>
  );
}
