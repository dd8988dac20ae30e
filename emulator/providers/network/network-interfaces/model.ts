import { arr, type JsonObject, obj, str } from '../../../arm/json';
import { recordKind, type ResourceRecord } from '../../../arm/store';

export const NETWORK_INTERFACES_TYPE = 'Microsoft.Network/networkInterfaces';

export interface Nic extends ResourceRecord {
  properties: JsonObject;
  etag: string;
  resourceGuid: string;
  macAddress: string;
  provisioningState: 'Updating' | 'Succeeded' | 'Failed';
  busyOperationId: string | undefined;
  /** The flag as it took effect at the VM's last allocation. */
  effective: boolean;
  /** The id (lower-cased) of the VM the NIC is attached to. */
  vmKey: string | undefined;
}

export const NETWORK_INTERFACES = recordKind<Nic>(NETWORK_INTERFACES_TYPE);

/** Whether the NIC asks for Accelerated Networking (whether or not it took effect). */
export function flagged(nic: Nic | undefined): boolean {
  return nic?.properties.enableAcceleratedNetworking === true;
}

/** The ids (lower-cased) of the public IP addresses the NIC's IP configurations use. */
export function nicPublicIps(nic: Nic): string[] {
  return arr(nic.properties.ipConfigurations)
    .map((c) => str(obj(obj(obj(c).properties).publicIPAddress).id))
    .filter((id): id is string => id !== undefined)
    .map((id) => id.toLowerCase());
}
