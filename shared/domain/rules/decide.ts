/**
 * The whole decision for one VM: eligible (size and OS), safe to deallocate, opted in, and
 * whether it is compliant already. Pure: no I/O, no clock, no randomness.
 */
import {
  anRequiredFamily,
  MANA_GUEST_IMAGES,
  manaEligibleExistingFamily,
  manaGuestImage,
  manaOnlyFamily,
} from '../an-tables';
import type {
  Decision,
  Reason,
  ReasonCode,
  RemediationMethod,
  RuleSettings,
  SizeFacts,
  VmFacts,
} from '../model';
import { assessOs, type OsAssessment } from './os';
import { assessSize } from './size';

// --- decide ----------------------------------------------------------------------------------

const SETTLING_PROVISIONING = new Set(['creating', 'updating', 'deleting']);
const SETTLING_POWER = new Set(['starting', 'stopping', 'deallocating']);

/** The last segment of an ARM id: the resource's name. */
function nameOf(id: string): string {
  return id.split('/').filter(Boolean).at(-1) ?? id;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function reason(code: ReasonCode, message: string): Reason {
  return { code, message };
}

function isSettling(vm: VmFacts): boolean {
  return (
    SETTLING_PROVISIONING.has(vm.provisioningState.toLowerCase()) ||
    SETTLING_POWER.has(vm.powerState)
  );
}

/** The exempt tag, matched by name without case; any value but "false" opts out. */
function exemptTag(tags: Record<string, string>, tagName: string): [string, string] | undefined {
  const wanted = tagName.toLowerCase();
  return Object.entries(tags).find(
    ([k, v]) => k.toLowerCase() === wanted && v.trim().toLowerCase() !== 'false',
  );
}

/** "name=value", or just "name" when the value is empty. */
function tagText([name, value]: [string, string]): string {
  return value === '' ? name : `${name}=${value}`;
}

function dynamicPublicIps(vm: VmFacts): { nic: string; ip: string }[] {
  return vm.nics.flatMap((nic) =>
    nic.publicIps
      .filter((ip) => ip.allocationMethod === 'Dynamic')
      .map((ip) => ({ nic: nameOf(nic.id), ip: nameOf(ip.id) })),
  );
}

function optOutReasons(vm: VmFacts, settings: RuleSettings): Reason[] {
  const reasons: Reason[] = [];
  const onVm = exemptTag(vm.tags, settings.exemptTag);
  if (onVm !== undefined) {
    reasons.push(
      reason(
        'opted-out',
        `${vm.name} has the tag ${tagText(onVm)}, which opts it out; remove the tag (or set it to false) to let accelnet enable Accelerated Networking.`,
      ),
    );
  }
  const onGroup = exemptTag(vm.resourceGroupTags, settings.exemptTag);
  if (onGroup !== undefined) {
    reasons.push(
      reason(
        'resource-group-opted-out',
        `Resource group ${vm.resourceGroup} has the tag ${tagText(onGroup)}, which opts every VM in it out; remove the tag (or set it to false) to let accelnet enable Accelerated Networking.`,
      ),
    );
  }
  return reasons;
}

function safetyReasons(vm: VmFacts, settings: RuleSettings, deallocates: boolean): Reason[] {
  const reasons: Reason[] = [];
  if (deallocates && vm.ephemeralOsDisk) {
    reasons.push(
      reason(
        'ephemeral-os-disk',
        `${vm.name} has an ephemeral OS disk and cannot be deallocated, so Accelerated Networking cannot be enabled in place; recreate the VM with it enabled.`,
      ),
    );
  }
  if (vm.scaleSetId !== undefined) {
    reasons.push(
      reason(
        'scale-set-member',
        `${vm.name} is a member of scale set ${nameOf(vm.scaleSetId)}, which is changed through its model, not VM by VM; enable Accelerated Networking in the scale set's network profile and upgrade its instances.`,
      ),
    );
  }
  if (deallocates && vm.availabilitySetId !== undefined && !settings.allowAvailabilitySets) {
    reasons.push(
      reason(
        'availability-set',
        `${vm.name} is in availability set ${nameOf(vm.availabilitySetId)}, whose VMs must all be deallocated together; set ACCELNET_ALLOW_AVAILABILITY_SETS=true to remediate the whole set at once, after approval.`,
      ),
    );
  }
  const dynamic = dynamicPublicIps(vm);
  if (deallocates && dynamic.length > 0 && !settings.allowDynamicPublicIp) {
    const which = dynamic.map((d) => `${d.ip} on ${d.nic}`).join(', ');
    reasons.push(
      reason(
        'dynamic-public-ip',
        `${vm.name} has a dynamic public IP (${which}) whose address changes when the VM is deallocated; make it static, or set ACCELNET_ALLOW_DYNAMIC_PUBLIC_IP=true to accept a new address.`,
      ),
    );
  }
  return [...reasons, ...optOutReasons(vm, settings)];
}

type Effects = Decision['effects'];

function effectsOf(vm: VmFacts, size: SizeFacts | undefined, method: RemediationMethod): Effects {
  if (method === 'in-place')
    return { tempDiskWiped: false, publicIpChanges: false, downtime: false };
  return {
    tempDiskWiped: size?.hasTempDisk ?? false,
    publicIpChanges: dynamicPublicIps(vm).length > 0,
    // A VM whose power state is not known may be running: count it as going down.
    downtime: vm.powerState === 'running' || vm.powerState === 'unknown',
  };
}

/**
 * How a VM would be remediated. On sizes that require Accelerated Networking, Azure enables it
 * at runtime whatever the NIC flag (the family's size page, "Accelerated Networking: Required";
 * the manage page; shared/data/accelerated-networking.json cites them): the flag can be set on
 * the running VM, with no deallocation. Every other case is Microsoft's documented procedure.
 */
export function methodOf(vm: VmFacts, size: SizeFacts | undefined): RemediationMethod {
  const running = vm.powerState === 'running';
  return running && size !== undefined && anRequiredFamily(size.family) !== undefined
    ? 'in-place'
    : 'deallocate-cycle';
}

/** The tag Azure's built-in policy puts on network virtual appliances to hold them off MANA. */
export const LEGACY_NVA_TAG = 'LegacyVMNVA';

function nvaReason(vm: VmFacts): Reason | undefined {
  const tagged = Object.keys(vm.tags).some((k) => k.toLowerCase() === LEGACY_NVA_TAG.toLowerCase());
  if (!tagged) return undefined;
  return reason(
    'legacy-vm-nva',
    `${vm.name} carries the ${LEGACY_NVA_TAG} tag: it is a network virtual appliance held off MANA hardware (until 2027-05-31), so accelnet never deallocates it or changes its NICs.`,
  );
}

/** Images known to carry the MANA driver, for a sentence a person can act on. */
const MANA_IMAGES_TEXT = [
  ...new Set(
    MANA_GUEST_IMAGES.filter((i) => i.driver === 'builtIn').map((i) => `${i.distro} ${i.versions}`),
  ),
].join('; ');

/**
 * A deallocation and start can move a VM of an existing size onto MANA hardware, where a guest
 * without the MANA driver falls back to the synthetic path: AN shows enabled and does nothing
 * (accelerated-networking-mana-existing-sizes.md). So a VM that accelnet would take down and
 * start again, of a size that may land on MANA, needs a guest known to carry the driver.
 */
function manaReason(
  vm: VmFacts,
  size: SizeFacts | undefined,
  method: RemediationMethod,
  settings: RuleSettings,
): Reason | undefined {
  if (method !== 'deallocate-cycle' || settings.allowManaWithoutDriver === true) return undefined;
  if (vm.powerState !== 'running' && vm.powerState !== 'unknown') return undefined;
  if (size === undefined) return undefined;
  const mayLand =
    manaEligibleExistingFamily(size.family) !== undefined ||
    manaOnlyFamily(size.family) !== undefined;
  if (!mayLand) return undefined;
  const image = vm.image ? manaGuestImage(vm.image) : undefined;
  if (image?.driver === 'builtIn') return undefined;
  const guest = image
    ? `its image (${image.distro} ${image.versions}) ${image.driver === 'mayNeedInstall' ? 'may need the MANA driver installed' : 'carries the MANA driver only with some kernels'}`
    : 'its image is not known to carry the MANA driver';
  return reason(
    'mana-driver-missing',
    `${vm.name} (${vm.size}) may land on MANA hardware when it is deallocated and started, and ${guest}: it would run without Accelerated Networking. Images that carry the driver: ${MANA_IMAGES_TEXT}. Install the driver, or set ACCELNET_ALLOW_MANA_WITHOUT_DRIVER=true to accept the risk.`,
  );
}

function eligibleReason(
  vm: VmFacts,
  nics: number,
  effects: Effects,
  os: OsAssessment,
  approval: boolean,
  inPlace: boolean,
): Reason {
  const enable = `enable Accelerated Networking on ${plural(nics, 'NIC')}`;
  const plan = inPlace
    ? `Will ${enable} of ${vm.name} while it runs: its size requires Accelerated Networking, which Azure enables at runtime, so no deallocation and no downtime`
    : vm.powerState === 'deallocated'
      ? `Will ${enable} of ${vm.name} while it is deallocated, and leave it deallocated`
      : vm.powerState === 'stopped'
        ? `Will deallocate ${vm.name}, ${enable}, and leave it deallocated (stopped VMs are not booted)`
        : `Will deallocate ${vm.name}, ${enable}, and start it again`;
  const notes = [
    effects.downtime ? `${vm.name} is down meanwhile` : undefined,
    effects.tempDiskWiped ? 'its temporary disk is wiped' : undefined,
    effects.publicIpChanges ? 'its dynamic public IP address changes' : undefined,
    os.verdict === 'unknown' ? 'its OS is unknown and ACCELNET_ALLOW_UNKNOWN_OS=true' : undefined,
    approval && !inPlace
      ? 'the whole availability set goes down together, so a person must approve'
      : undefined,
  ].filter((n): n is string => n !== undefined);
  return reason('eligible', [plan, ...notes].join('; ') + '.');
}

function settlingReason(vm: VmFacts): Reason {
  return reason(
    'provisioning',
    `${vm.name} is still settling (provisioning state ${vm.provisioningState}, power state ${vm.powerState}); it will be assessed again when it does.`,
  );
}

function failedReason(vm: VmFacts): Reason | undefined {
  if (vm.provisioningState.toLowerCase() !== 'failed') return undefined;
  return reason(
    'provisioning-failed',
    `${vm.name} is in provisioning state Failed; repair it (for example redeploy or reapply it) so accelnet can change it.`,
  );
}

/** The whole decision for one VM. */
export function decide(vm: VmFacts, size: SizeFacts | undefined, settings: RuleSettings): Decision {
  const sizeVerdict = assessSize(vm.size, size, vm.location);
  const os = assessOs(vm);
  const osAllowed =
    os.verdict === 'supported' || (os.verdict === 'unknown' && settings.allowUnknownOs);
  const eligible = sizeVerdict.eligible && osAllowed;
  const nicsToEnable = vm.nics.filter((n) => !n.enableAcceleratedNetworking).map((n) => n.id);
  const compliant = nicsToEnable.length === 0;
  const method = methodOf(vm, size);
  const effects = effectsOf(vm, size, method);
  const base = { eligible, compliant, nicsToEnable, effects, requiresApproval: false };

  if (isSettling(vm)) return { ...base, action: 'wait', reasons: [settlingReason(vm)] };
  const failed = failedReason(vm);
  if (compliant && failed === undefined) {
    const message = `Every NIC of ${vm.name} already has Accelerated Networking enabled; nothing to do.`;
    return { ...base, action: 'compliant', reasons: [reason('already-compliant', message)] };
  }
  const deallocates = method === 'deallocate-cycle';
  const blockers = [
    failed,
    sizeVerdict.reason,
    osAllowed ? undefined : os.reason,
    nvaReason(vm),
    ...safetyReasons(vm, settings, deallocates),
    manaReason(vm, size, method, settings),
  ].filter((r): r is Reason => r !== undefined);
  if (blockers.length > 0 || !eligible) return { ...base, action: 'skip', reasons: blockers };
  // A set goes down as a whole; setting the flag on running members of a size that requires AN
  // takes none of them down.
  const requiresApproval = vm.availabilitySetId !== undefined && deallocates;
  return {
    ...base,
    action: 'remediate',
    reasons: [eligibleReason(vm, nicsToEnable.length, effects, os, requiresApproval, !deallocates)],
    requiresApproval,
    method,
  };
}
