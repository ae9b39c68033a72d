import type { InstanceDetails } from '../findings/guardduty-finding.js';
import type { ApiEvent } from './api-event.js';
import type { FlowEvent, DnsEvent } from './network-event.js';
import { flowSides } from './network-event.js';
import type { StateStore } from './runner.js';

/**
 * EC2 instances as CloudTrail describes them when they are launched (RunInstances), the network interfaces
 * and private IPs that belong to them (their launch, CreateNetworkInterface then AttachNetworkInterface),
 * and their state as later calls leave it (Start/Stop/TerminateInstances), so that a flow or DNS record
 * that names only an interface or an address can be tied to its instance. Kept in detection state, per
 * account, bounded.
 */
export const INVENTORY_STATE_ID = 'instance-inventory';
const MAX_INSTANCES = 20_000;
/** Interfaces remembered from CreateNetworkInterface; most never reach an instance (Lambda, endpoints, load balancers). */
const MAX_INTERFACES = 20_000;
const STATE_CHANGES = ['StartInstances', 'StopInstances', 'TerminateInstances'];
export const INVENTORY_APIS: ReadonlySet<string> = new Set(['RunInstances', 'CreateNetworkInterface', 'AttachNetworkInterface', ...STATE_CHANGES]);

type NetworkInterface = NonNullable<InstanceDetails['networkInterfaces']>[number];

interface AccountInventory {
  instances: Record<string, InstanceDetails>;
  /** Network interface id → instance id. */
  interfaces: Record<string, string>;
  /** Private IP → instance id (addresses are unique within a VPC; rarely reused across VPCs of one account). */
  addresses: Record<string, string>;
  /** Instance ids, oldest first, to evict beyond MAX_INSTANCES. */
  order: string[];
  /** Interfaces as created, by id: a real create has no attachment, so its addresses wait for AttachNetworkInterface. */
  created: Record<string, NetworkInterface>;
  createdCount: number;
  /** Instance id → the region its launch was recorded in. */
  regions: Record<string, string>;
}

type Json = Record<string, unknown>;
const object = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
/** EC2's XML-derived JSON wraps lists as `{items: [...]}`, and a few (privateIpAddressesSet) as `{item: [...]}`. */
const items = (v: unknown): Json[] => {
  const list = object(v).items ?? object(v).item ?? v;
  return Array.isArray(list) ? list.map(object) : [];
};
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * A call leaves an instance in a transitional state (pending, stopping, shutting-down) that it leaves within
 * minutes; findings come later, so the inventory keeps the state the call moves it to.
 */
const SETTLED: Record<string, string> = { pending: 'running', stopping: 'stopped', 'shutting-down': 'terminated' };
const settled = (state: string | undefined) => (state === undefined ? undefined : (SETTLED[state] ?? state));

/** An interface as RunInstances (networkInterfaceSet) or CreateNetworkInterface describes it. */
function interfaceOf(eni: Json): NetworkInterface {
  const secondary = items(eni.privateIpAddressesSet).flatMap((a) => {
    const privateIpAddress = str(a.privateIpAddress);
    return privateIpAddress ? [{ privateIpAddress, privateDnsName: str(a.privateDnsName) }] : [];
  });
  return {
    networkInterfaceId: str(eni.networkInterfaceId),
    privateIpAddress: str(eni.privateIpAddress),
    privateDnsName: str(eni.privateDnsName),
    ...(secondary.length > 0 ? { privateIpAddresses: secondary } : {}),
    subnetId: str(eni.subnetId),
    vpcId: str(eni.vpcId),
    securityGroups: items(eni.groupSet).map((g) => ({ groupId: str(g.groupId), groupName: str(g.groupName) })),
  };
}

/** Every private IPv4 address of an interface: its primary and its secondary ones. */
const addressesOf = (eni: NetworkInterface): string[] =>
  [...new Set([eni.privateIpAddress, ...(eni.privateIpAddresses ?? []).map((a) => a.privateIpAddress)])].filter((a): a is string => a !== undefined);

/** `eu-west-1` from `eu-west-1b`, and from Local and Wavelength Zones (`us-west-2-lax-1a`). */
const regionOfZone = (zone: string | undefined) => zone?.match(/^[a-z]{2}(?:-[a-z]+)+-\d+/)?.[0] ?? null;

/**
 * The host a flow or DNS finding is about: its instance when one is known; otherwise (an interface CloudTrail
 * never saw attached, a NAT gateway's or endpoint's interface, a DNS query without `srcids`) its network
 * interface, else its private address. `key` is what its findings aggregate by; `label` names it in a
 * sentence ("EC2 instance i-…", "the host 10.0.1.25").
 */
export function hostOf(instance: InstanceDetails): { key: string; label: string } {
  if (instance.instanceId) return { key: instance.instanceId, label: `EC2 instance ${instance.instanceId}` };
  const eni = instance.networkInterfaces?.[0];
  if (eni?.networkInterfaceId) return { key: eni.networkInterfaceId, label: `the network interface ${eni.networkInterfaceId}` };
  const address = eni?.privateIpAddress ?? 'unknown';
  return { key: address, label: `the host ${address}` };
}

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
    const inventory = this.state.get<AccountInventory>(INVENTORY_STATE_ID, accountId ?? 'unknown', () => ({
      instances: {}, interfaces: {}, addresses: {}, order: [], created: {}, createdCount: 0, regions: {},
    }));
    // Inventories saved by earlier versions lack the later maps.
    inventory.created ??= {};
    inventory.createdCount ??= Object.keys(inventory.created).length;
    inventory.regions ??= {};
    return inventory;
  }

  observe(event: ApiEvent): void {
    if (!INVENTORY_APIS.has(event.api) || event.failed) return;
    const inventory = this.account(event.accountId);
    if (event.api === 'RunInstances') {
      for (const item of items(event.response?.instancesSet)) this.addInstance(inventory, item, event.region);
    } else if (event.api === 'CreateNetworkInterface') {
      const created = object(event.response?.networkInterface);
      const eni = interfaceOf(created);
      const instanceId = str(object(created.attachment).instanceId);
      if (instanceId) this.attach(inventory, instanceId, eni);
      else if (eni.networkInterfaceId) this.remember(inventory, eni.networkInterfaceId, eni);
    } else if (event.api === 'AttachNetworkInterface') {
      const id = str(event.request?.networkInterfaceId);
      const instanceId = str(event.request?.instanceId);
      if (id && instanceId) this.attach(inventory, instanceId, inventory.created[id] ?? { networkInterfaceId: id });
    } else {
      for (const item of items(event.response?.instancesSet)) {
        const instance = inventory.instances[str(item.instanceId) ?? ''];
        const state = settled(str(object(item.currentState).name));
        if (instance && state) instance.instanceState = state;
      }
    }
  }

  private addInstance(inventory: AccountInventory, item: Json, region: string | null): void {
    const instanceId = str(item.instanceId);
    if (!instanceId) return;
    const interfaces = items(item.networkInterfaceSet).map(interfaceOf);
    // Older launches (EC2-Classic, some SDKs' responses) describe only the primary address, on the instance.
    if (interfaces.length === 0) interfaces.push(interfaceOf(item));
    const profile = object(item.iamInstanceProfile);
    const state = settled(str(object(item.instanceState).name));
    inventory.instances[instanceId] = {
      instanceId,
      availabilityZone: str(object(item.placement).availabilityZone),
      imageId: str(item.imageId),
      instanceType: str(item.instanceType),
      ...(state ? { instanceState: state } : {}),
      launchTime: typeof item.launchTime === 'number' ? new Date(item.launchTime).toISOString() : str(item.launchTime),
      platform: str(item.platform) ?? null,
      ...(profile.arn ? { iamInstanceProfile: { arn: str(profile.arn), id: str(profile.id) } } : {}),
      networkInterfaces: interfaces,
      tags: items(item.tagSet).flatMap((t) => (str(t.key) ? [{ key: str(t.key)!, value: str(t.value) ?? '' }] : [])),
    };
    if (region) inventory.regions[instanceId] = region;
    inventory.order.push(instanceId);
    for (const eni of interfaces) this.link(inventory, instanceId, eni);
    while (inventory.order.length > MAX_INSTANCES) this.forget(inventory, inventory.order.shift()!);
  }

  /** Keeps a created interface until it is attached; beyond MAX_INTERFACES the older half goes. */
  private remember(inventory: AccountInventory, id: string, eni: NetworkInterface): void {
    if (!(id in inventory.created)) inventory.createdCount++;
    inventory.created[id] = eni;
    if (inventory.createdCount <= MAX_INTERFACES) return;
    for (const old in inventory.created) {
      delete inventory.created[old];
      if (--inventory.createdCount <= MAX_INTERFACES / 2) break;
    }
  }

  /** Ties an interface and its addresses to an instance, and lists it among the instance's interfaces. */
  private attach(inventory: AccountInventory, instanceId: string, eni: NetworkInterface): void {
    this.link(inventory, instanceId, eni);
    const instance = inventory.instances[instanceId];
    if (instance && !instance.networkInterfaces?.some((known) => known.networkInterfaceId === eni.networkInterfaceId)) {
      instance.networkInterfaces = [...(instance.networkInterfaces ?? []), eni];
    }
  }

  private link(inventory: AccountInventory, instanceId: string, eni: NetworkInterface): void {
    if (eni.networkInterfaceId) inventory.interfaces[eni.networkInterfaceId] = instanceId;
    for (const address of addressesOf(eni)) inventory.addresses[address] = instanceId;
  }

  private forget(inventory: AccountInventory, instanceId: string): void {
    delete inventory.instances[instanceId];
    delete inventory.regions[instanceId];
    for (const map of [inventory.interfaces, inventory.addresses]) {
      for (const [key, value] of Object.entries(map)) if (value === instanceId) delete map[key];
    }
  }

  byId(instanceId: string, accountId: string | null): InstanceDetails | undefined {
    return this.account(accountId).instances[instanceId];
  }

  /** The region of an instance the inventory knows: its launch's, else its availability zone's. */
  regionOf(instance: InstanceDetails, accountId: string | null): string | null {
    const recorded = instance.instanceId ? this.account(accountId).regions[instance.instanceId] : undefined;
    return recorded ?? regionOfZone(instance.availabilityZone);
  }

  private resolve(accountId: string | null, instanceId: string | null, interfaceId: string | null, address: string | null): InstanceDetails {
    const inventory = this.account(accountId);
    const id = instanceId ?? (interfaceId ? inventory.interfaces[interfaceId] : undefined) ?? (address ? inventory.addresses[address] : undefined);
    const known = id ? inventory.instances[id] : undefined;
    if (known) return known;
    // Unknown to CloudTrail: what the log itself says, and no instance id it does not give.
    return {
      ...(id ? { instanceId: id } : {}),
      networkInterfaces: [{ ...(interfaceId ? { networkInterfaceId: interfaceId } : {}), ...(address ? { privateIpAddress: address } : {}) }],
    };
  }

  forFlow(flow: FlowEvent): InstanceDetails {
    return this.resolve(flow.accountId, flow.instanceId, flow.interfaceId, flowSides(flow).localIp);
  }

  forDns(dns: DnsEvent): InstanceDetails {
    return this.resolve(dns.accountId, dns.instanceId, null, dns.srcIp);
  }
}
