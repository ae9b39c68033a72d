import type { InstanceDetails } from '../findings/guardduty-finding.js';
import type { ApiEvent } from './api-event.js';
import type { FlowEvent, DnsEvent } from './network-event.js';
import { flowSides } from './network-event.js';
import type { StateStore } from './runner.js';

/**
 * EC2 instances as CloudTrail describes them when they are launched (RunInstances), and the network
 * interfaces and private IPs that belong to them (CreateNetworkInterface, AttachNetworkInterface), so that a
 * flow or DNS record that names only an interface or an address can be tied to its instance.
 * Kept in detection state, per account, bounded.
 */
export const INVENTORY_STATE_ID = 'instance-inventory';
const MAX_INSTANCES = 20_000;
export const INVENTORY_APIS: ReadonlySet<string> = new Set(['RunInstances', 'CreateNetworkInterface', 'AttachNetworkInterface', 'TerminateInstances']);

interface AccountInventory {
  instances: Record<string, InstanceDetails>;
  /** Network interface id → instance id. */
  interfaces: Record<string, string>;
  /** Private IP → instance id (addresses are unique within a VPC; rarely reused across VPCs of one account). */
  addresses: Record<string, string>;
  /** Instance ids, oldest first, to evict beyond MAX_INSTANCES. */
  order: string[];
}

type Json = Record<string, unknown>;
const object = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
/** EC2's XML-derived JSON wraps lists as `{items: [...]}`. */
const items = (v: unknown): Json[] => {
  const list = object(v).items ?? v;
  return Array.isArray(list) ? list.map(object) : [];
};
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export interface InstanceLookup {
  byId(instanceId: string, accountId: string | null): InstanceDetails | undefined;
  /** The instance of a flow: its instance-id field, else its interface, else the local private IP. */
  forFlow(flow: FlowEvent): InstanceDetails;
  /** The instance that sent a DNS query: `srcids.instance`, else its source IP. */
  forDns(dns: DnsEvent): InstanceDetails;
}

export class InstanceInventory implements InstanceLookup {
  constructor(private readonly state: StateStore) {}

  private account(accountId: string | null): AccountInventory {
    return this.state.get(INVENTORY_STATE_ID, accountId ?? 'unknown', () => ({ instances: {}, interfaces: {}, addresses: {}, order: [] }));
  }

  observe(event: ApiEvent): void {
    if (!INVENTORY_APIS.has(event.api) || event.failed) return;
    const inventory = this.account(event.accountId);
    if (event.api === 'RunInstances') {
      for (const item of items(event.response?.instancesSet)) this.addInstance(inventory, item);
    } else if (event.api === 'CreateNetworkInterface') {
      const eni = object(event.response?.networkInterface);
      const instanceId = str(object(eni.attachment).instanceId);
      const id = str(eni.networkInterfaceId);
      if (id && instanceId) this.link(inventory, instanceId, id, str(eni.privateIpAddress));
    } else if (event.api === 'AttachNetworkInterface') {
      const id = str(event.request?.networkInterfaceId);
      const instanceId = str(event.request?.instanceId);
      if (id && instanceId) this.link(inventory, instanceId, id);
    } else {
      for (const item of items(event.response?.instancesSet)) {
        const instance = inventory.instances[str(item.instanceId) ?? ''];
        if (instance) instance.instanceState = str(object(item.currentState).name) ?? 'shutting-down';
      }
    }
  }

  private addInstance(inventory: AccountInventory, item: Json): void {
    const instanceId = str(item.instanceId);
    if (!instanceId) return;
    const interfaces = items(item.networkInterfaceSet).map((eni) => ({
      networkInterfaceId: str(eni.networkInterfaceId),
      privateIpAddress: str(eni.privateIpAddress),
      privateDnsName: str(eni.privateDnsName),
      subnetId: str(eni.subnetId),
      vpcId: str(eni.vpcId),
      securityGroups: items(eni.groupSet).map((g) => ({ groupId: str(g.groupId), groupName: str(g.groupName) })),
    }));
    if (interfaces.length === 0) {
      interfaces.push({
        networkInterfaceId: undefined,
        privateIpAddress: str(item.privateIpAddress),
        privateDnsName: str(item.privateDnsName),
        subnetId: str(item.subnetId),
        vpcId: str(item.vpcId),
        securityGroups: items(item.groupSet).map((g) => ({ groupId: str(g.groupId), groupName: str(g.groupName) })),
      });
    }
    const profile = object(item.iamInstanceProfile);
    inventory.instances[instanceId] = {
      instanceId,
      availabilityZone: str(object(item.placement).availabilityZone),
      imageId: str(item.imageId),
      instanceType: str(item.instanceType),
      instanceState: str(object(item.instanceState).name) ?? 'pending',
      launchTime: typeof item.launchTime === 'number' ? new Date(item.launchTime).toISOString() : str(item.launchTime),
      platform: str(item.platform) ?? null,
      ...(profile.arn ? { iamInstanceProfile: { arn: str(profile.arn), id: str(profile.id) } } : {}),
      networkInterfaces: interfaces,
      tags: items(item.tagSet).flatMap((t) => (str(t.key) ? [{ key: str(t.key)!, value: str(t.value) ?? '' }] : [])),
    };
    inventory.order.push(instanceId);
    for (const eni of interfaces) this.link(inventory, instanceId, eni.networkInterfaceId, eni.privateIpAddress);
    while (inventory.order.length > MAX_INSTANCES) this.forget(inventory, inventory.order.shift()!);
  }

  private link(inventory: AccountInventory, instanceId: string, interfaceId?: string, address?: string): void {
    if (interfaceId) inventory.interfaces[interfaceId] = instanceId;
    if (address) inventory.addresses[address] = instanceId;
  }

  private forget(inventory: AccountInventory, instanceId: string): void {
    delete inventory.instances[instanceId];
    for (const map of [inventory.interfaces, inventory.addresses]) {
      for (const [key, value] of Object.entries(map)) if (value === instanceId) delete map[key];
    }
  }

  byId(instanceId: string, accountId: string | null): InstanceDetails | undefined {
    return this.account(accountId).instances[instanceId];
  }

  private resolve(accountId: string | null, instanceId: string | null, interfaceId: string | null, address: string | null): InstanceDetails {
    const inventory = this.account(accountId);
    const id = instanceId ?? (interfaceId ? inventory.interfaces[interfaceId] : undefined) ?? (address ? inventory.addresses[address] : undefined);
    const known = id ? inventory.instances[id] : undefined;
    if (known) return known;
    // Unknown to CloudTrail: what the log itself says. An interface stands in for a missing instance id.
    return {
      instanceId: id ?? interfaceId ?? 'unknown',
      networkInterfaces: [{ networkInterfaceId: interfaceId ?? undefined, privateIpAddress: address ?? undefined }],
    };
  }

  forFlow(flow: FlowEvent): InstanceDetails {
    return this.resolve(flow.accountId, flow.instanceId, flow.interfaceId, flowSides(flow).localIp);
  }

  forDns(dns: DnsEvent): InstanceDetails {
    return this.resolve(dns.accountId, dns.instanceId, null, dns.srcIp);
  }
}
