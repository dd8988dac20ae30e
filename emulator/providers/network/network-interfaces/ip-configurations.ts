import {
  invalidRequestFormat,
  invalidResourceReference,
  ipConfigDeleteNotSupported,
  nicWithoutIpConfiguration,
} from '../../../arm/errors';
import { same } from '../../../arm/ids';
import { arr, type JsonObject, obj, str } from '../../../arm/json';
import type { ArmServices } from '../../../arm/services';
import { childJson, trackedKind } from '../../tracked-resource';
import { nextPrivateIp } from '../ip-addresses';
import { PUBLIC_IP_ADDRESSES_TYPE } from '../public-ip-addresses';
import { findSubnet } from '../virtual-networks';
import { NETWORK_INTERFACES_TYPE, type Nic } from './model';

/**
 * The IP configurations of a NIC PUT, as Azure completes them. Rule 3: a PUT must send every
 * existing IP configuration again (400 IpConfigDeleteNotSupported otherwise). A configuration
 * without a subnet is placed in the first one's subnet, as the NetworkInterfaceCreate
 * x-ms-example shows (ipconfig2 sends none, gets ipconfig1's).
 */
export function ipConfigurations(
  arm: ArmServices,
  nicId: string,
  configs: unknown[],
  existing: Nic | undefined,
): JsonObject[] {
  if (existing) {
    const names = new Set(configs.map((c) => (str(obj(c).name) ?? '').toLowerCase()));
    for (const old of arr(existing.properties.ipConfigurations)) {
      const oldName = str(obj(old).name) ?? '';
      if (!names.has(oldName.toLowerCase())) throw ipConfigDeleteNotSupported(oldName, existing.id);
    }
  }
  if (configs.length === 0) throw nicWithoutIpConfiguration(nicId);
  const firstSubnet = obj(obj(obj(configs[0]).properties).subnet);
  return configs.map((c, index) => {
    const props = obj(obj(c).properties);
    const config =
      props.subnet === undefined && index > 0
        ? { ...obj(c), properties: { ...props, subnet: firstSubnet } }
        : obj(c);
    return ipConfiguration(arm, nicId, config, index, existing);
  });
}

function ipConfiguration(
  arm: ArmServices,
  nicId: string,
  config: JsonObject,
  index: number,
  existing: Nic | undefined,
): JsonObject {
  const name = str(config.name);
  if (!name)
    throw invalidRequestFormat(
      `Cannot parse the request. ipConfigurations[${index}].name is required.`,
    );
  const props = obj(config.properties);
  const subnetId = str(obj(props.subnet).id);
  const subnet = subnetId ? findSubnet(arm, subnetId) : undefined;
  if (!subnetId || !subnet) throw invalidResourceReference(subnetId ?? '(none)', nicId);
  const pipId = str(obj(props.publicIPAddress).id);
  if (
    pipId !== undefined &&
    arm.store.of(trackedKind(PUBLIC_IP_ADDRESSES_TYPE)).get(pipId) === undefined
  ) {
    throw invalidResourceReference(pipId, nicId);
  }
  const old = arr(existing?.properties.ipConfigurations)
    .map(obj)
    .find((c) => same(str(c.name) ?? '', name));
  const method = str(props.privateIPAllocationMethod) ?? 'Dynamic';
  const privateIPAddress =
    (method === 'Static' ? str(props.privateIPAddress) : undefined) ??
    str(obj(old?.properties).privateIPAddress) ??
    nextPrivateIp(arm, str(obj(subnet.properties).addressPrefix));
  const { provisioningState: _ps, ...rest } = props;
  return childJson({ id: nicId, type: NETWORK_INTERFACES_TYPE }, 'ipConfigurations', name, {
    ...rest,
    provisioningState: 'Succeeded',
    privateIPAddress,
    privateIPAllocationMethod: method,
    subnet: { id: subnetId },
    ...(pipId !== undefined ? { publicIPAddress: { id: pipId } } : {}),
    primary: typeof props.primary === 'boolean' ? props.primary : index === 0,
    privateIPAddressVersion: str(props.privateIPAddressVersion) ?? 'IPv4',
  });
}
