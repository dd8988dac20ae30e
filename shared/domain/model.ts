/** What accelnet knows about a VM when it decides: gathered by the assess activity. */
export type PowerState =
  'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated' | 'unknown';

export interface NicFacts {
  id: string;
  enableAcceleratedNetworking: boolean;
  publicIps: { id: string; allocationMethod: 'Static' | 'Dynamic' }[];
}

export interface ImageReference {
  publisher?: string;
  offer?: string;
  sku?: string;
  version?: string;
  /** Custom or gallery image id. */
  id?: string;
}

export interface VmFacts {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  size: string;
  powerState: PowerState;
  /** properties.provisioningState: Creating, Updating, Succeeded, Failed, Deleting… */
  provisioningState: string;
  osType: 'Linux' | 'Windows' | undefined;
  image: ImageReference | undefined;
  /** From the instance view (the guest agent); absent while the VM is not running. */
  osName: string | undefined;
  osVersion: string | undefined;
  /** The OS disk's supportedCapabilities.acceleratedNetwork, when known. */
  osDiskAcceleratedNetwork: boolean | undefined;
  ephemeralOsDisk: boolean;
  availabilitySetId: string | undefined;
  scaleSetId: string | undefined;
  tags: Record<string, string>;
  resourceGroupTags: Record<string, string>;
  nics: NicFacts[];
}

/** The Resource SKUs API's answer for one size in one region. */
export interface SizeFacts {
  name: string;
  /** Capability AcceleratedNetworkingEnabled = "True". */
  acceleratedNetworking: boolean;
  vCPUs: number;
  vCPUsPerCore: number;
  family: string;
  /** MaxResourceVolumeMB > 0 or NvmeDiskSizeInMiB > 0: deallocation wipes local storage. */
  hasTempDisk: boolean;
}

export interface RuleSettings {
  exemptTag: string;
  allowUnknownOs: boolean;
  allowDynamicPublicIp: boolean;
  allowAvailabilitySets: boolean;
  /**
   * Deallocate VMs of sizes that may land on MANA hardware even when their guest is not known
   * to carry the MANA driver (ACCELNET_ALLOW_MANA_WITHOUT_DRIVER): the operator accepts the risk.
   */
  allowManaWithoutDriver?: boolean;
}

/** Stable reason codes: audit rows, API answers and tests match on them. */
export type ReasonCode =
  | 'already-compliant'
  | 'size-not-supported'
  | 'size-unknown'
  | 'gpu-size-excluded'
  | 'os-not-supported'
  | 'os-unknown'
  | 'image-not-capable'
  | 'ephemeral-os-disk'
  | 'dynamic-public-ip'
  | 'availability-set'
  | 'scale-set-member'
  | 'opted-out'
  | 'resource-group-opted-out'
  | 'provisioning'
  | 'provisioning-failed'
  | 'vm-deleted'
  | 'availability-set-blocked'
  | 'mana-driver-missing'
  | 'legacy-vm-nva'
  | 'eligible';

export interface Reason {
  code: ReasonCode;
  /** A sentence a person can act on. */
  message: string;
}

/**
 * remediate: eligible, not compliant, safe. compliant: every NIC already has the flag.
 * skip: not eligible or not safe (reasons say why). wait: the VM is still settling.
 */
export type Action = 'remediate' | 'compliant' | 'skip' | 'wait';

export interface Decision {
  action: Action;
  eligible: boolean;
  compliant: boolean;
  reasons: Reason[];
  /** NICs that lack the flag (what a remediation would change). */
  nicsToEnable: string[];
  /** Deallocation would wipe a temporary disk / change a dynamic public IP. */
  effects: { tempDiskWiped: boolean; publicIpChanges: boolean; downtime: boolean };
  /** Remediation must be approved by a person even in enforce mode (availability sets). */
  requiresApproval: boolean;
  /**
   * How a remediation changes the VM: `in-place` sets the flag on the running VM (its size
   * requires AN, which Azure enables at runtime whatever the flag: no downtime);
   * `deallocate-cycle` deallocates, sets the flag, starts again what was running.
   */
  method?: RemediationMethod;
}

export type RemediationMethod = 'in-place' | 'deallocate-cycle';
