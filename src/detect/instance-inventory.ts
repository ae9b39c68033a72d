import { type InstanceDetails, interfaceAddress } from '../findings/guardduty-finding.js';
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
 *
 * Addresses are reused (an instance terminated, another launched with its address) and a run reads all its
 * CloudTrail before its flow and DNS records, so owners and states are kept as short timelines and a record
 * is tied to the instance that had its address at the record's time, in the state it was in then: a batch
 * over several days names the same instance as a run per day.
 */
export const INVENTORY_STATE_ID = 'instance-inventory';
const MAX_INSTANCES = 20_000;
/** Interfaces remembered from CreateNetworkInterface; most never reach an instance (Lambda, endpoints, load balancers). */
const MAX_INTERFACES = 20_000;
/** Owners kept per interface or address, and states per instance: enough for reuse within a batch. */
const TIMELINE_LENGTH = 4;
const STATE_CHANGES = ['StartInstances', 'StopInstances', 'TerminateInstances'];
export const INVENTORY_APIS: ReadonlySet<string> = new Set(['RunInstances', 'CreateNetworkInterface', 'AttachNetworkInterface', ...STATE_CHANGES]);

type NetworkInterface = NonNullable<InstanceDetails['networkInterfaces']>[number];

/** A value from a time on (epoch ms), until the next entry of its timeline. */
interface Since<T> {
  from: number;
  value: T;
}
/** Entries oldest first, at most TIMELINE_LENGTH. */
type Timeline<T> = Since<T>[];
/**
 * The instance an interface or address has had since `from`, and those it had before, oldest first. The
 * latest is kept apart from the rest: every record looks it up, and one object to read keeps that as fast
 * as a plain id.
 */
interface Owner {
  id: string;
  from: number;
  earlier?: Timeline<string>;
}
/** A plain id, as earlier versions saved owners: the owner at any time. */
type Owners = Owner | string;

interface AccountInventory {
  instances: Record<string, InstanceDetails>;
  /** Network interface id → its instances over time. */
  interfaces: Record<string, Owners>;
  /** Private IP → its instances over time (addresses are unique within a VPC; rarely reused across VPCs of one account). */
  addresses: Record<string, Owners>;
  /** Instance id → its states over time; `instanceState` is the latest. Not kept for instances saved by earlier versions. */
  states: Record<string, Timeline<string>>;
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

/**
 * Adds `value` from `from` on, in time order (CloudTrail can arrive late), keeping the newest entries. A value
 * the timeline already has at that time is kept as is; one that follows it unchanged now starts earlier.
 */
function insertSince<T>(timeline: Timeline<T>, from: number, value: T): void {
  let at = timeline.length;
  while (at > 0 && timeline[at - 1]!.from > from) at--;
  if (timeline[at - 1]?.value === value) return;
  if (timeline[at]?.value === value) timeline[at]!.from = from;
  else timeline.splice(at, 0, { from, value });
  if (timeline.length > TIMELINE_LENGTH) timeline.shift();
}

/** The value at `time`: the latest entry from before it; none before the first. Allocates nothing (hot path). */
function valueAt<T>(timeline: Timeline<T>, time: number): T | undefined {
  for (let i = timeline.length - 1; i >= 0; i--) if (timeline[i]!.from <= time) return timeline[i]!.value;
  return undefined;
}

/** The owner at `time`: nearly every record is from after the latest got the interface or address. */
function ownerAt(owners: Owners | undefined, time: number): string | undefined {
  if (typeof owners !== 'object') return owners;
  if (owners.from <= time) return owners.id;
  return owners.earlier && valueAt(owners.earlier, time);
}

/** All owners as one timeline; a plain id saved by an earlier version owned it since ever. */
function ownersTimeline(owners: Owners | undefined): Timeline<string> {
  if (owners === undefined) return [];
  if (typeof owners === 'string') return [{ from: 0, value: owners }];
  return [...(owners.earlier ?? []), { from: owners.from, value: owners.id }];
}

/** A (non-empty) timeline of owners as the latest and the earlier ones. */
function ownersOf(timeline: Timeline<string>): Owner {
  const { from, value: id } = timeline[timeline.length - 1]!;
  return timeline.length > 1 ? { id, from, earlier: timeline.slice(0, -1) } : { id, from };
}

const ownedBy = (owners: Owners, instanceId: string): boolean =>
  typeof owners === 'string' ? owners === instanceId : owners.id === instanceId || (owners.earlier?.some((o) => o.value === instanceId) ?? false);

function addOwner(map: Record<string, Owners>, key: string, instanceId: string, time: number): void {
  const timeline = ownersTimeline(map[key]);
  insertSince(timeline, time, instanceId);
  map[key] = ownersOf(timeline);
}

/** An interface as RunInstances (networkInterfaceSet) or CreateNetworkInterface describes it. */
function interfaceOf(eni: Json): NetworkInterface {
  const secondary = items(eni.privateIpAddressesSet).flatMap((a) => {
    const privateIpAddress = str(a.privateIpAddress);
    return privateIpAddress ? [{ privateIpAddress, privateDnsName: str(a.privateDnsName) }] : [];
  });
  const ipv6Addresses = items(eni.ipv6AddressesSet).flatMap((a) => str(a.ipv6Address) ?? []);
  // A launch response rarely has the public address yet; when it does, on the interface's association
  // (or, for an instance described without interfaces, as its ipAddress and dnsName).
  const association = object(eni.association);
  const publicIp = str(association.publicIp) ?? str(eni.ipAddress);
  const publicDnsName = str(association.publicDnsName) ?? str(eni.dnsName);
  return {
    networkInterfaceId: str(eni.networkInterfaceId),
    privateIpAddress: str(eni.privateIpAddress),
    privateDnsName: str(eni.privateDnsName),
    ...(secondary.length > 0 ? { privateIpAddresses: secondary } : {}),
    ...(publicIp ? { publicIp } : {}),
    ...(publicDnsName ? { publicDnsName } : {}),
    ...(ipv6Addresses.length > 0 ? { ipv6Addresses } : {}),
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
  const address = interfaceAddress(eni) ?? 'unknown';
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
      instances: {}, interfaces: {}, addresses: {}, states: {}, order: [], created: {}, createdCount: 0, regions: {},
    }));
    // Inventories saved by earlier versions lack the later maps (and hold plain ids as owners: see Owners).
    inventory.created ??= {};
    inventory.createdCount ??= Object.keys(inventory.created).length;
    inventory.regions ??= {};
    inventory.states ??= {};
    return inventory;
  }

  observe(event: ApiEvent): void {
    if (!INVENTORY_APIS.has(event.api) || event.failed) return;
    const inventory = this.account(event.accountId);
    const { time } = event;
    if (event.api === 'RunInstances') {
      for (const item of items(event.response?.instancesSet)) this.addInstance(inventory, item, event.region, time);
    } else if (event.api === 'CreateNetworkInterface') {
      const created = object(event.response?.networkInterface);
      const eni = interfaceOf(created);
      const instanceId = str(object(created.attachment).instanceId);
      if (instanceId) this.attach(inventory, instanceId, eni, time);
      else if (eni.networkInterfaceId) this.remember(inventory, eni.networkInterfaceId, eni);
    } else if (event.api === 'AttachNetworkInterface') {
      const id = str(event.request?.networkInterfaceId);
      const instanceId = str(event.request?.instanceId);
      if (id && instanceId) this.attach(inventory, instanceId, inventory.created[id] ?? { networkInterfaceId: id }, time);
    } else {
      for (const item of items(event.response?.instancesSet)) {
        const instance = inventory.instances[str(item.instanceId) ?? ''];
        const state = settled(str(object(item.currentState).name));
        if (instance && state) this.changeState(inventory, instance, state, time);
      }
    }
  }

  private addInstance(inventory: AccountInventory, item: Json, region: string | null, time: number): void {
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
    // A launch starts the instance's timeline (a saved one of the same id would be of a launch replayed).
    inventory.states[instanceId] = [];
    if (state) this.changeState(inventory, inventory.instances[instanceId]!, state, time);
    inventory.order.push(instanceId);
    for (const eni of interfaces) this.link(inventory, instanceId, eni, time);
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

  /** Records the state a call moved an instance to; `instanceState` stays the latest, whatever order calls arrive in. */
  private changeState(inventory: AccountInventory, instance: InstanceDetails, state: string, time: number): void {
    const id = instance.instanceId!;
    // An instance saved by an earlier version has its state from an unknown time: kept as the state since ever.
    const states = (inventory.states[id] ??= instance.instanceState ? [{ from: 0, value: instance.instanceState }] : []);
    insertSince(states, time, state);
    instance.instanceState = states[states.length - 1]!.value;
  }

  /** Ties an interface and its addresses to an instance, and lists it among the instance's interfaces. */
  private attach(inventory: AccountInventory, instanceId: string, eni: NetworkInterface, time: number): void {
    this.link(inventory, instanceId, eni, time);
    const instance = inventory.instances[instanceId];
    if (instance && !instance.networkInterfaces?.some((known) => known.networkInterfaceId === eni.networkInterfaceId)) {
      instance.networkInterfaces = [...(instance.networkInterfaces ?? []), eni];
    }
  }

  /** The interface and its addresses belong to the instance from `time` on. */
  private link(inventory: AccountInventory, instanceId: string, eni: NetworkInterface, time: number): void {
    if (eni.networkInterfaceId) addOwner(inventory.interfaces, eni.networkInterfaceId, instanceId, time);
    for (const address of addressesOf(eni)) addOwner(inventory.addresses, address, instanceId, time);
  }

  private forget(inventory: AccountInventory, instanceId: string): void {
    delete inventory.instances[instanceId];
    delete inventory.regions[instanceId];
    delete inventory.states[instanceId];
    for (const map of [inventory.interfaces, inventory.addresses]) {
      for (const [key, owners] of Object.entries(map)) {
        if (!ownedBy(owners, instanceId)) continue;
        const rest = ownersTimeline(owners).filter((owner) => owner.value !== instanceId);
        if (rest.length === 0) delete map[key];
        else map[key] = ownersOf(rest);
      }
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

  /** The instance of a record at `time`, as it was then. */
  private resolve(accountId: string | null, time: number, instanceId: string | null, interfaceId: string | null, address: string | null): InstanceDetails {
    const inventory = this.account(accountId);
    const id =
      instanceId ?? (interfaceId ? ownerAt(inventory.interfaces[interfaceId], time) : undefined) ?? this.addressOwner(inventory, address, interfaceId, time);
    const known = id ? inventory.instances[id] : undefined;
    if (known) return this.asOf(inventory, known, time);
    // Unknown to CloudTrail: what the log itself says, and no instance id it does not give.
    return {
      ...(id ? { instanceId: id } : {}),
      // GuardDuty's privateIpAddress is IPv4 only; an IPv6 source goes with the interface's IPv6 addresses.
      networkInterfaces: [{ ...(interfaceId ? { networkInterfaceId: interfaceId } : {}), ...(address ? (address.includes(':') ? { ipv6Addresses: [address] } : { privateIpAddress: address }) : {}) }],
    };
  }

  /**
   * The instance that had `address` at `time`, unless the record's interface is not one of its own: the
   * address of a terminated instance reused by a load balancer, or the same address in another VPC, is
   * another host.
   */
  private addressOwner(inventory: AccountInventory, address: string | null, interfaceId: string | null, time: number): string | undefined {
    const id = address ? ownerAt(inventory.addresses[address], time) : undefined;
    const interfaces = id ? inventory.instances[id]?.networkInterfaces : undefined;
    if (!interfaceId || !interfaces?.some((eni) => eni.networkInterfaceId)) return id;
    return interfaces.some((eni) => eni.networkInterfaceId === interfaceId) ? id : undefined;
  }

  /**
   * An instance as it was at `time`: itself when its state then is its latest (the usual case, no copy), else a
   * copy with the state then; with none known then (a record from before its launch), no state.
   */
  private asOf(inventory: AccountInventory, instance: InstanceDetails, time: number): InstanceDetails {
    // A running instance's records are from times it ran (a stopped one keeps its addresses but sends nothing):
    // no need to read its states, on the lookup of every record.
    if (instance.instanceState === 'running') return instance;
    const states = inventory.states[instance.instanceId!];
    const state = states ? valueAt(states, time) : instance.instanceState;
    if (state === instance.instanceState) return instance;
    const { instanceState: _latest, ...rest } = instance;
    return state === undefined ? rest : { ...rest, instanceState: state };
  }

  forFlow(flow: FlowEvent): InstanceDetails {
    return this.resolve(flow.accountId, flow.time, flow.instanceId, flow.interfaceId, flowSides(flow).localIp);
  }

  forDns(dns: DnsEvent): InstanceDetails {
    return this.resolve(dns.accountId, dns.time, dns.instanceId, null, dns.srcIp);
  }
}
