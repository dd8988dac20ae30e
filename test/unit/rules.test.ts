import type {
  Decision,
  ImageReference,
  NicFacts,
  ReasonCode,
  RuleSettings,
  SizeFacts,
  VmFacts,
} from '../../shared/domain/model';
import { assessOs, assessSize, decide } from '../../shared/domain/rules';
import { JAMMY as JAMMY_IMAGE } from '../support/images';

const RG = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app';
const COMPUTE = `${RG}/providers/Microsoft.Compute`;
const NETWORK = `${RG}/providers/Microsoft.Network`;

const JAMMY: ImageReference = { ...JAMMY_IMAGE, version: 'latest' };

const SETTINGS: RuleSettings = {
  exemptTag: 'accelnet-exempt',
  allowUnknownOs: false,
  allowDynamicPublicIp: false,
  allowAvailabilitySets: false,
};

function nic(name: string, overrides: Partial<NicFacts> = {}): NicFacts {
  return {
    id: `${NETWORK}/networkInterfaces/${name}`,
    enableAcceleratedNetworking: false,
    publicIps: [],
    ...overrides,
  };
}

/**
 * A running Standard_D4as_v4 Ubuntu 22.04 VM with one NIC without AN: a size that supports AN
 * without requiring it and does not land on MANA hardware, so it is remediated through a
 * deallocation and no MANA rule applies (sizes that require AN, and sizes that may land on
 * MANA, have their own tables below).
 */
function vm(overrides: Partial<VmFacts> = {}): VmFacts {
  return {
    id: `${COMPUTE}/virtualMachines/web-1`,
    name: 'web-1',
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    resourceGroup: 'rg-app',
    location: 'westus2',
    size: 'Standard_D4as_v4',
    powerState: 'running',
    provisioningState: 'Succeeded',
    osType: 'Linux',
    image: JAMMY,
    osName: 'ubuntu',
    osVersion: '22.04',
    osDiskAcceleratedNetwork: undefined,
    ephemeralOsDisk: false,
    availabilitySetId: undefined,
    scaleSetId: undefined,
    tags: {},
    resourceGroupTags: {},
    nics: [nic('web-1-nic')],
    ...overrides,
  };
}

/** Standard_D4as_v4 as the Resource SKUs API reports it: AN capable, no temporary disk. */
function size(overrides: Partial<SizeFacts> = {}): SizeFacts {
  return {
    name: 'Standard_D4as_v4',
    acceleratedNetworking: true,
    vCPUs: 4,
    vCPUsPerCore: 2,
    family: 'standardDASv4Family',
    hasTempDisk: false,
    ...overrides,
  };
}

function codes(decision: Decision): ReasonCode[] {
  return decision.reasons.map((r) => r.code);
}

function messages(decision: Decision): string {
  return decision.reasons.map((r) => r.message).join('\n');
}

/** The OS facts of a VM known only by its guest agent report. */
function reported(osName: string | undefined, osVersion: string | undefined) {
  return {
    osType: undefined,
    image: undefined,
    osName,
    osVersion,
    osDiskAcceleratedNetwork: undefined,
  };
}

/** The OS facts of a VM known only by its marketplace image. */
function fromImage(publisher: string, offer: string, sku: string, version = 'latest') {
  return {
    osType: undefined,
    image: { publisher, offer, sku, version },
    osName: undefined,
    osVersion: undefined,
    osDiskAcceleratedNetwork: undefined,
  };
}

describe('assessSize', () => {
  test.each<[string, string, SizeFacts | undefined, boolean, ReasonCode | undefined, string]>([
    ['the SKU reports the capability', 'Standard_D4s_v5', size(), true, undefined, ''],
    [
      'the SKU reports no capability',
      'Standard_B2s',
      size({ name: 'Standard_B2s', family: 'standardBSFamily', acceleratedNetworking: false }),
      false,
      'size-not-supported',
      'Standard_B2s does not support Accelerated Networking in westus2',
    ],
    [
      'a size that looks capable by name lacks the capability',
      'Standard_D2s_v3',
      size({ name: 'Standard_D2s_v3', family: 'standardDSv3Family', acceleratedNetworking: false }),
      false,
      'size-not-supported',
      'AcceleratedNetworkingEnabled is False',
    ],
    [
      'a small burstable size reports the capability',
      'Standard_B2ts_v2',
      size({ name: 'Standard_B2ts_v2', family: 'standardBsv2Family', vCPUs: 2 }),
      true,
      undefined,
      '',
    ],
    [
      'the size is not offered in the region',
      'Standard_D4s_v5',
      undefined,
      false,
      'size-unknown',
      'Standard_D4s_v5 is not listed by the Resource SKUs API in westus2',
    ],
  ])('when %s, then eligible is %s', (_when, sizeName, facts, eligible, code, text) => {
    const verdict = assessSize(sizeName, facts, 'westus2');
    expect(verdict.eligible).toBe(eligible);
    expect(verdict.reason?.code).toBe(code);
    expect(verdict.reason?.message ?? '').toContain(text);
  });

  test('when no region is given, then the message says "in its region"', () => {
    const verdict = assessSize('Standard_B2s', size({ acceleratedNetworking: false }));
    expect(verdict.reason?.message).toContain('in its region');
  });
});

describe('GPU sizes', () => {
  test.each<[string, string, SizeFacts | undefined, ReasonCode | undefined]>([
    [
      'standardNCSv3Family',
      'Standard_NC6s_v3',
      size({ family: 'standardNCSv3Family' }),
      'gpu-size-excluded',
    ],
    [
      'Standard NCASv3_T4 Family',
      'Standard_NC16as_T4_v3',
      size({ family: 'Standard NCASv3_T4 Family' }),
      'gpu-size-excluded',
    ],
    [
      'StandardNCADSA100v4Family',
      'Standard_NC24ads_A100_v4',
      size({ family: 'StandardNCADSA100v4Family' }),
      'gpu-size-excluded',
    ],
    [
      'standardNVSv3Family',
      'Standard_NV12s_v3',
      size({ family: 'standardNVSv3Family' }),
      'gpu-size-excluded',
    ],
    [
      'StandardNVADSA10v5Family',
      'Standard_NV36ads_A10_v5',
      size({ family: 'StandardNVADSA10v5Family' }),
      'gpu-size-excluded',
    ],
    [
      'an empty family (name fallback)',
      'Standard_NC6s_v3',
      size({ family: '' }),
      'gpu-size-excluded',
    ],
    ['no SKU facts (name fallback)', 'Standard_NV6', undefined, 'gpu-size-excluded'],
    [
      'standardNDSv2Family (ND is not excluded)',
      'Standard_ND40rs_v2',
      size({ family: 'standardNDSv2Family' }),
      undefined,
    ],
    ['standardDSv5Family', 'Standard_D4s_v5', size(), undefined],
  ])('when the family is %s, then the reason is %s', (_family, sizeName, facts, code) => {
    const verdict = assessSize(sizeName, facts, 'westus2');
    expect(verdict.reason?.code).toBe(code);
    expect(verdict.eligible).toBe(code === undefined);
    if (code !== undefined) expect(verdict.reason?.message).toContain(sizeName);
  });

  test('when an NC size reports the capability, then decide skips it with gpu-size-excluded', () => {
    const decision = decide(
      vm({ size: 'Standard_NC6s_v3' }),
      size({ name: 'Standard_NC6s_v3', family: 'standardNCSv3Family' }),
      SETTINGS,
    );
    expect(decision.action).toBe('skip');
    expect(codes(decision)).toEqual(['gpu-size-excluded']);
  });
});

describe('assessOs from the guest agent report', () => {
  test.each<
    [
      string | undefined,
      string | undefined,
      'supported' | 'unsupported' | 'unknown',
      ReasonCode | undefined,
    ]
  >([
    ['ubuntu', '22.04', 'supported', undefined],
    ['ubuntu', '16.04', 'supported', undefined],
    ['ubuntu', '14.04', 'supported', undefined],
    ['ubuntu', '12.04', 'unsupported', 'os-not-supported'],
    ['Windows Server 2019 Datacenter', '10.0.17763.6414', 'supported', undefined],
    ['Windows Server 2022 Datacenter Azure Edition', '10.0.20348.2700', 'supported', undefined],
    ['Windows Server 2012 R2 Datacenter', '6.3.9600', 'supported', undefined],
    ['Windows Server 2012 Datacenter', '6.2.9200', 'unsupported', 'os-not-supported'],
    ['Windows Server 2008 R2 Datacenter', '6.1.7601', 'unsupported', 'os-not-supported'],
    ['Windows Server 2016 Datacenter', undefined, 'supported', undefined],
    ['Windows 10 Enterprise', '10.0.19045.5011', 'supported', undefined],
    ['Windows 10 Enterprise', '10.0.19044.1288', 'supported', undefined],
    ['Windows 10 Enterprise', '10.0.19042.1052', 'unsupported', 'os-not-supported'],
    ['Windows 11 Enterprise', undefined, 'supported', undefined],
    ['centos', '7.3', 'unsupported', 'os-not-supported'],
    ['centos', '7.9.2009', 'supported', undefined],
    ['redhat', '8.6', 'supported', undefined],
    ['redhat', '7.4', 'supported', undefined],
    ['rhel', '6.10', 'unsupported', 'os-not-supported'],
    ['sles', '15.5', 'supported', undefined],
    ['sles', '12.3', 'supported', undefined],
    ['sles', '12.2', 'unsupported', 'os-not-supported'],
    ['sles', '11.4', 'unsupported', 'os-not-supported'],
    ['debian', '11', 'supported', undefined],
    ['debian', '9', 'supported', undefined],
    ['debian', '8', 'unsupported', 'os-not-supported'],
    ['oracle', '7.9', 'supported', undefined],
    ['oracle', '7.3', 'unsupported', 'os-not-supported'],
    ['freebsd', '10.4', 'supported', undefined],
    ['freebsd', '11.0', 'unsupported', 'os-not-supported'],
    ['freebsd', '13.2', 'supported', undefined],
    ['almalinux', '9.4', 'supported', undefined],
    ['rocky', '8.9', 'supported', undefined],
    ['flatcar', '3815.2.5', 'supported', undefined],
    ['mariner', '2.0.20240123', 'supported', undefined],
    ['ubuntu', undefined, 'unknown', 'os-unknown'],
    ['opensuse-leap', '15.5', 'unknown', 'os-unknown'],
    [undefined, undefined, 'unknown', 'os-unknown'],
  ])(
    'when the guest agent reports %s %s, then the OS is %s',
    (osName, osVersion, verdict, code) => {
      const os = assessOs(reported(osName, osVersion));
      expect(os.verdict).toBe(verdict);
      expect(os.reason?.code).toBe(code);
    },
  );

  test.each([
    ['centos', '7.3', 'CentOS 7.3 (reported by the guest agent)', 'CentOS 7.4 or later'],
    [
      'Windows Server 2012 Datacenter',
      '6.2.9200',
      'Windows Server 2012 Datacenter 6.2.9200',
      '2012 R2',
    ],
  ])(
    'when the guest agent reports %s %s, then the message names the OS and what is needed',
    (osName, osVersion, names, needs) => {
      const message = assessOs(reported(osName, osVersion)).reason?.message;
      expect(message).toContain(names);
      expect(message).toContain(needs);
    },
  );
});

describe('assessOs from the marketplace image', () => {
  test.each<
    [string, string, string, 'supported' | 'unsupported' | 'unknown', ReasonCode | undefined]
  >([
    ['Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2', 'supported', undefined],
    ['Canonical', 'UbuntuServer', '18.04-LTS', 'supported', undefined],
    ['Canonical', 'ubuntu-24_04-lts', 'server', 'supported', undefined],
    ['Canonical', 'UbuntuServer', '14.04.5-LTS', 'supported', undefined],
    ['Canonical', 'UbuntuServer', '12.04.5-LTS', 'unsupported', 'os-not-supported'],
    ['MicrosoftWindowsServer', 'WindowsServer', '2019-Datacenter', 'supported', undefined],
    [
      'MicrosoftWindowsServer',
      'WindowsServer',
      '2022-datacenter-azure-edition',
      'supported',
      undefined,
    ],
    ['MicrosoftWindowsServer', 'WindowsServer', '2012-R2-Datacenter', 'supported', undefined],
    [
      'MicrosoftWindowsServer',
      'WindowsServer',
      '2012-Datacenter',
      'unsupported',
      'os-not-supported',
    ],
    ['MicrosoftWindowsServer', 'WindowsServer', '2008-R2-SP1', 'unsupported', 'os-not-supported'],
    ['MicrosoftWindowsDesktop', 'windows-11', 'win11-22h2-pro', 'supported', undefined],
    ['MicrosoftWindowsDesktop', 'Windows-10', 'win10-21h2-pro', 'supported', undefined],
    ['MicrosoftWindowsDesktop', 'Windows-10', '20h2-pro', 'unsupported', 'os-not-supported'],
    ['MicrosoftWindowsDesktop', 'Windows-10', 'rs5-pro', 'unsupported', 'os-not-supported'],
    ['RedHat', 'RHEL', '7.3', 'unsupported', 'os-not-supported'],
    ['RedHat', 'RHEL', '8-lvm-gen2', 'supported', undefined],
    ['RedHat', 'RHEL', '86-gen2', 'supported', undefined],
    ['RedHat', 'RHEL', '7-LVM', 'unknown', 'os-unknown'],
    ['OpenLogic', 'CentOS', '7.3', 'unsupported', 'os-not-supported'],
    ['OpenLogic', 'CentOS', '7_9', 'supported', undefined],
    ['SUSE', 'sles-15-sp5', 'gen2', 'supported', undefined],
    ['SUSE', 'SLES', '12-SP3', 'supported', undefined],
    ['SUSE', 'SLES', '11-SP4', 'unsupported', 'os-not-supported'],
    ['Debian', 'debian-11', '11', 'supported', undefined],
    ['credativ', 'Debian', '8', 'unsupported', 'os-not-supported'],
    ['Oracle', 'Oracle-Linux', 'ol79', 'supported', undefined],
    ['Oracle', 'Oracle-Linux', '7.3', 'unsupported', 'os-not-supported'],
    ['thefreebsdfoundation', 'freebsd-14_0', '14_0-release-zfs', 'supported', undefined],
    ['MicrosoftOSTC', 'FreeBSD', '10.3', 'unsupported', 'os-not-supported'],
    ['almalinux', 'almalinux-x86_64', '9-gen2', 'supported', undefined],
    ['kinvolk', 'flatcar-container-linux', 'stable', 'supported', undefined],
    ['MicrosoftCBLMariner', 'cbl-mariner', 'cbl-mariner-2-gen2', 'supported', undefined],
    ['SUSE', 'opensuse-leap-15-5', 'gen2', 'unknown', 'os-unknown'],
    ['some-vendor', 'appliance', 'v1', 'unknown', 'os-unknown'],
  ])('when the image is %s %s %s, then the OS is %s', (publisher, offer, sku, verdict, code) => {
    const os = assessOs(fromImage(publisher, offer, sku));
    expect(os.verdict).toBe(verdict);
    expect(os.reason?.code).toBe(code);
  });

  test.each([
    ['RedHat', 'RHEL', '7-LVM', '7.9.2022032206', 'supported'],
    ['RedHat', 'RHEL', '7-LVM', '7.3.2017090723', 'unsupported'],
  ])(
    'when the sku %s %s %s names only a major and the image version is %s, then the OS is %s',
    (publisher, offer, sku, version, verdict) => {
      expect(assessOs(fromImage(publisher, offer, sku, version)).verdict).toBe(verdict);
    },
  );

  test('when the image is RHEL 7.3, then the message names the image and the OS', () => {
    const message = assessOs(fromImage('RedHat', 'RHEL', '7.3')).reason?.message;
    expect(message).toContain('RHEL 7.3 (marketplace image RedHat/RHEL/7.3)');
    expect(message).toContain('RHEL 7.4 or later');
  });
});

describe('assessOs from the OS disk capability', () => {
  const gallery: ImageReference = {
    id: `${COMPUTE}/galleries/images/images/golden/versions/1.0.0`,
  };
  test.each<
    [
      string,
      ImageReference | undefined,
      boolean | undefined,
      'supported' | 'unsupported' | 'unknown',
      ReasonCode | undefined,
    ]
  >([
    ['a custom image declares the capability', gallery, true, 'supported', undefined],
    ['a custom image declares no capability', gallery, false, 'unsupported', 'image-not-capable'],
    ['a custom image says nothing', gallery, undefined, 'unknown', 'os-unknown'],
    [
      'a supported marketplace image has a disk marked not capable',
      JAMMY,
      false,
      'unsupported',
      'image-not-capable',
    ],
    [
      'a supported marketplace image has a disk marked capable',
      JAMMY,
      true,
      'supported',
      undefined,
    ],
  ])('when %s, then the OS is %s', (_when, image, capable, verdict, code) => {
    const os = assessOs({
      osType: 'Linux',
      image,
      osName: undefined,
      osVersion: undefined,
      osDiskAcceleratedNetwork: capable,
    });
    expect(os.verdict).toBe(verdict);
    expect(os.reason?.code).toBe(code);
  });

  test('when nothing tells the OS, then the message says how to remediate anyway', () => {
    const message = assessOs({
      osType: 'Linux',
      image: gallery,
      osName: undefined,
      osVersion: undefined,
      osDiskAcceleratedNetwork: undefined,
    }).reason?.message;
    expect(message).toContain('Linux VM');
    expect(message).toContain('ACCELNET_ALLOW_UNKNOWN_OS=true');
  });
});

describe('assessOs source order', () => {
  test.each<[string, Partial<VmFacts>, 'supported' | 'unsupported' | 'unknown', string]>([
    [
      'the guest agent and the image disagree',
      {
        osName: 'ubuntu',
        osVersion: '22.04',
        image: { publisher: 'Canonical', offer: 'UbuntuServer', sku: '12.04.5-LTS' },
      },
      'supported',
      'Ubuntu 22.04 (reported by the guest agent)',
    ],
    [
      'the guest agent gives no version',
      { osName: 'ubuntu', osVersion: undefined, image: JAMMY },
      'supported',
      'Ubuntu 22.04 (marketplace image',
    ],
    [
      'the guest agent name is not recognised',
      {
        osName: 'Some Appliance OS',
        osVersion: '1.0',
        image: { publisher: 'OpenLogic', offer: 'CentOS', sku: '7.3' },
      },
      'unsupported',
      'CentOS 7.3 (marketplace image OpenLogic/CentOS/7.3)',
    ],
    [
      'the VM is deallocated (no guest agent report)',
      { osName: undefined, osVersion: undefined, image: JAMMY },
      'supported',
      'marketplace image Canonical',
    ],
  ])('when %s, then the OS is %s', (_when, overrides, verdict, description) => {
    const os = assessOs(vm(overrides));
    expect(os.verdict).toBe(verdict);
    expect(os.description).toContain(description);
  });
});

describe('decide: compliance', () => {
  test.each<[string, Partial<VmFacts>, SizeFacts | undefined, boolean]>([
    [
      'every NIC has the flag',
      { nics: [nic('a', { enableAcceleratedNetworking: true })] },
      size(),
      true,
    ],
    [
      'every NIC of two has the flag',
      {
        nics: [
          nic('a', { enableAcceleratedNetworking: true }),
          nic('b', { enableAcceleratedNetworking: true }),
        ],
      },
      size(),
      true,
    ],
    [
      'every NIC has the flag on a size without the capability',
      { nics: [nic('a', { enableAcceleratedNetworking: true })] },
      size({ acceleratedNetworking: false }),
      false,
    ],
    [
      'every NIC has the flag on an opted-out scale set member',
      {
        nics: [nic('a', { enableAcceleratedNetworking: true })],
        tags: { 'accelnet-exempt': 'true' },
        scaleSetId: `${COMPUTE}/virtualMachineScaleSets/ss`,
      },
      size(),
      true,
    ],
  ])('when %s, then it is compliant (eligible %s)', (_when, overrides, facts, eligible) => {
    const decision = decide(vm(overrides), facts, SETTINGS);
    expect(decision.action).toBe('compliant');
    expect(codes(decision)).toEqual(['already-compliant']);
    expect(decision.compliant).toBe(true);
    expect(decision.eligible).toBe(eligible);
    expect(decision.nicsToEnable).toEqual([]);
  });

  test('when one NIC of two lacks the flag, then only that NIC is to be enabled', () => {
    const decision = decide(
      vm({ nics: [nic('a', { enableAcceleratedNetworking: true }), nic('b')] }),
      size(),
      SETTINGS,
    );
    expect(decision.action).toBe('remediate');
    expect(decision.compliant).toBe(false);
    expect(decision.nicsToEnable).toEqual([`${NETWORK}/networkInterfaces/b`]);
  });
});

describe('decide: provisioning', () => {
  test.each<[string, Partial<VmFacts>, Decision['action'], ReasonCode[]]>([
    ['provisioning state is Creating', { provisioningState: 'Creating' }, 'wait', ['provisioning']],
    ['provisioning state is Updating', { provisioningState: 'Updating' }, 'wait', ['provisioning']],
    ['provisioning state is Deleting', { provisioningState: 'Deleting' }, 'wait', ['provisioning']],
    ['the power state is starting', { powerState: 'starting' }, 'wait', ['provisioning']],
    ['the power state is stopping', { powerState: 'stopping' }, 'wait', ['provisioning']],
    ['the power state is deallocating', { powerState: 'deallocating' }, 'wait', ['provisioning']],
    [
      'a compliant VM is updating',
      { provisioningState: 'Updating', nics: [nic('a', { enableAcceleratedNetworking: true })] },
      'wait',
      ['provisioning'],
    ],
    [
      'provisioning state is Failed',
      { provisioningState: 'Failed' },
      'skip',
      ['provisioning-failed'],
    ],
    [
      'a compliant VM has failed',
      { provisioningState: 'Failed', nics: [nic('a', { enableAcceleratedNetworking: true })] },
      'skip',
      ['provisioning-failed'],
    ],
    [
      'provisioning state is Succeeded',
      { provisioningState: 'Succeeded' },
      'remediate',
      ['eligible'],
    ],
  ])('when %s, then the action is %s', (_when, overrides, action, expected) => {
    const decision = decide(vm(overrides), size(), SETTINGS);
    expect(decision.action).toBe(action);
    expect(codes(decision)).toEqual(expected);
  });

  test('when the VM is settling, then eligibility is still reported', () => {
    const decision = decide(
      vm({ provisioningState: 'Updating' }),
      size({ acceleratedNetworking: false }),
      SETTINGS,
    );
    expect(decision.eligible).toBe(false);
    expect(messages(decision)).toContain('will be assessed again');
  });
});

describe('decide: size', () => {
  test.each<[string, SizeFacts | undefined, Decision['action'], ReasonCode[]]>([
    ['the size has the capability', size(), 'remediate', ['eligible']],
    [
      'the size lacks the capability',
      size({ acceleratedNetworking: false }),
      'skip',
      ['size-not-supported'],
    ],
    ['the size is not offered in the region', undefined, 'skip', ['size-unknown']],
  ])('when %s, then the action is %s', (_when, facts, action, expected) => {
    const decision = decide(vm(), facts, SETTINGS);
    expect(decision.action).toBe(action);
    expect(codes(decision)).toEqual(expected);
    expect(decision.eligible).toBe(action === 'remediate');
  });

  test('when Standard_B2s lacks the capability, then the message names the size, region and a fix', () => {
    const decision = decide(
      vm({ size: 'Standard_B2s' }),
      size({ name: 'Standard_B2s', acceleratedNetworking: false }),
      SETTINGS,
    );
    expect(messages(decision)).toBe(
      'Standard_B2s does not support Accelerated Networking in westus2 (Resource SKUs capability AcceleratedNetworkingEnabled is False); ' +
        'resize to a size that supports it, such as a Dsv5 size, to enable it.',
    );
  });
});

describe('decide: OS', () => {
  test.each<[string, Partial<VmFacts>, Decision['action'], ReasonCode[], boolean]>([
    ['the OS is supported', {}, 'remediate', ['eligible'], true],
    [
      'the OS is CentOS 7.3',
      { osName: 'centos', osVersion: '7.3', image: undefined },
      'skip',
      ['os-not-supported'],
      false,
    ],
    [
      'the OS disk is not capable',
      { osDiskAcceleratedNetwork: false },
      'skip',
      ['image-not-capable'],
      false,
    ],
    [
      'the OS cannot be told',
      { osName: undefined, osVersion: undefined, image: { id: `${COMPUTE}/images/golden` } },
      'skip',
      ['os-unknown'],
      false,
    ],
  ])('when %s, then the action is %s', (_when, overrides, action, expected, eligible) => {
    const decision = decide(vm(overrides), size(), SETTINGS);
    expect(decision.action).toBe(action);
    expect(codes(decision)).toEqual(expected);
    expect(decision.eligible).toBe(eligible);
  });
});

describe('decide: ephemeral OS disk', () => {
  test.each<[string, RuleSettings, Decision['action'], ReasonCode[]]>([
    ['default settings', SETTINGS, 'skip', ['ephemeral-os-disk']],
    [
      'every allow setting on',
      {
        ...SETTINGS,
        allowUnknownOs: true,
        allowDynamicPublicIp: true,
        allowAvailabilitySets: true,
      },
      'skip',
      ['ephemeral-os-disk'],
    ],
  ])(
    'when the OS disk is ephemeral with %s, then the action is %s',
    (_when, settings, action, expected) => {
      const decision = decide(vm({ ephemeralOsDisk: true }), size(), settings);
      expect(decision.action).toBe(action);
      expect(codes(decision)).toEqual(expected);
      expect(decision.eligible).toBe(true);
    },
  );
});

describe('decide: dynamic public IP', () => {
  const withIp = (allocationMethod: 'Static' | 'Dynamic'): Partial<VmFacts> => ({
    nics: [
      nic('web-1-nic', {
        publicIps: [{ id: `${NETWORK}/publicIPAddresses/web-1-ip`, allocationMethod }],
      }),
    ],
  });
  test.each<[string, Partial<VmFacts>, boolean, Decision['action'], ReasonCode[], boolean]>([
    [
      'a NIC has a dynamic public IP',
      withIp('Dynamic'),
      false,
      'skip',
      ['dynamic-public-ip'],
      true,
    ],
    [
      'a NIC has a dynamic public IP and they are allowed',
      withIp('Dynamic'),
      true,
      'remediate',
      ['eligible'],
      true,
    ],
    ['a NIC has a static public IP', withIp('Static'), false, 'remediate', ['eligible'], false],
    [
      'the second NIC has a dynamic public IP',
      {
        nics: [
          nic('a'),
          nic('b', {
            publicIps: [{ id: `${NETWORK}/publicIPAddresses/b-ip`, allocationMethod: 'Dynamic' }],
          }),
        ],
      },
      false,
      'skip',
      ['dynamic-public-ip'],
      true,
    ],
  ])(
    'when %s (allowed %s), then the action is %s',
    (_when, overrides, allow, action, expected, changes) => {
      const decision = decide(vm(overrides), size(), { ...SETTINGS, allowDynamicPublicIp: allow });
      expect(decision.action).toBe(action);
      expect(codes(decision)).toEqual(expected);
      expect(decision.effects.publicIpChanges).toBe(changes);
    },
  );

  test('when a dynamic public IP blocks, then the message names the IP and the setting', () => {
    const decision = decide(vm(withIp('Dynamic')), size(), SETTINGS);
    expect(messages(decision)).toContain('web-1-ip on web-1-nic');
    expect(messages(decision)).toContain('ACCELNET_ALLOW_DYNAMIC_PUBLIC_IP=true');
  });
});

describe('decide: availability set', () => {
  const inSet: Partial<VmFacts> = { availabilitySetId: `${COMPUTE}/availabilitySets/as-web` };
  test.each<[string, Partial<VmFacts>, boolean, Decision['action'], ReasonCode[], boolean]>([
    ['the VM is in an availability set', inSet, false, 'skip', ['availability-set'], false],
    [
      'the VM is in an availability set and sets are allowed',
      inSet,
      true,
      'remediate',
      ['eligible'],
      true,
    ],
    ['the VM is in no availability set', {}, false, 'remediate', ['eligible'], false],
  ])('when %s, then the action is %s', (_when, overrides, allow, action, expected, approval) => {
    const decision = decide(vm(overrides), size(), { ...SETTINGS, allowAvailabilitySets: allow });
    expect(decision.action).toBe(action);
    expect(codes(decision)).toEqual(expected);
    expect(decision.requiresApproval).toBe(approval);
  });

  test('when an availability set blocks, then the message names the set', () => {
    expect(messages(decide(vm(inSet), size(), SETTINGS))).toContain('availability set as-web');
  });
});

describe('decide: scale set member', () => {
  const member: Partial<VmFacts> = { scaleSetId: `${COMPUTE}/virtualMachineScaleSets/ss-web` };
  test.each<[string, RuleSettings]>([
    ['default settings', SETTINGS],
    [
      'every allow setting on',
      {
        ...SETTINGS,
        allowUnknownOs: true,
        allowDynamicPublicIp: true,
        allowAvailabilitySets: true,
      },
    ],
  ])('when the VM is a scale set member with %s, then it is skipped', (_when, settings) => {
    const decision = decide(vm(member), size(), settings);
    expect(decision.action).toBe('skip');
    expect(codes(decision)).toEqual(['scale-set-member']);
    expect(messages(decision)).toContain('scale set ss-web');
  });
});

describe('decide: opted out on the VM', () => {
  test.each<[string, Record<string, string>, Decision['action'], ReasonCode[]]>([
    ['the tag is true', { 'accelnet-exempt': 'true' }, 'skip', ['opted-out']],
    ['the tag is empty', { 'accelnet-exempt': '' }, 'skip', ['opted-out']],
    ['the tag name differs in case', { 'AccelNet-Exempt': 'yes' }, 'skip', ['opted-out']],
    ['the tag is false', { 'accelnet-exempt': 'false' }, 'remediate', ['eligible']],
    ['the tag is FALSE', { 'accelnet-exempt': 'FALSE' }, 'remediate', ['eligible']],
    ['another tag is set', { owner: 'team-a' }, 'remediate', ['eligible']],
  ])('when %s, then the action is %s', (_when, tags, action, expected) => {
    const decision = decide(vm({ tags }), size(), SETTINGS);
    expect(decision.action).toBe(action);
    expect(codes(decision)).toEqual(expected);
  });

  test('when a custom exempt tag is set, then the message names it', () => {
    const decision = decide(vm({ tags: { 'no-an': 'true' } }), size(), {
      ...SETTINGS,
      exemptTag: 'no-an',
    });
    expect(codes(decision)).toEqual(['opted-out']);
    expect(messages(decision)).toContain('no-an=true');
  });
});

describe('decide: opted out on the resource group', () => {
  test.each<[string, Record<string, string>, Decision['action'], ReasonCode[]]>([
    ['the group tag is true', { 'accelnet-exempt': 'true' }, 'skip', ['resource-group-opted-out']],
    [
      'the group tag name differs in case',
      { 'ACCELNET-EXEMPT': '1' },
      'skip',
      ['resource-group-opted-out'],
    ],
    ['the group tag is false', { 'accelnet-exempt': 'False' }, 'remediate', ['eligible']],
  ])('when %s, then the action is %s', (_when, resourceGroupTags, action, expected) => {
    const decision = decide(vm({ resourceGroupTags }), size(), SETTINGS);
    expect(decision.action).toBe(action);
    expect(codes(decision)).toEqual(expected);
  });

  test('when the group opts out, then the message names the group', () => {
    const decision = decide(
      vm({ resourceGroupTags: { 'accelnet-exempt': 'true' } }),
      size(),
      SETTINGS,
    );
    expect(messages(decision)).toContain('Resource group rg-app');
  });
});

describe('decide: settings toggles', () => {
  const unknownOs: Partial<VmFacts> = {
    osName: undefined,
    osVersion: undefined,
    image: { id: `${COMPUTE}/images/golden` },
  };
  test.each<
    [string, Partial<VmFacts>, Partial<RuleSettings>, Decision['action'], ReasonCode[], boolean]
  >([
    ['an unknown OS is not allowed', unknownOs, {}, 'skip', ['os-unknown'], false],
    [
      'an unknown OS is allowed',
      unknownOs,
      { allowUnknownOs: true },
      'remediate',
      ['eligible'],
      true,
    ],
    [
      'an unknown OS is allowed but the OS is known unsupported',
      { osName: 'centos', osVersion: '7.3' },
      { allowUnknownOs: true },
      'skip',
      ['os-not-supported'],
      false,
    ],
    [
      'an unknown OS is allowed but the disk is not capable',
      { ...unknownOs, osDiskAcceleratedNetwork: false },
      { allowUnknownOs: true },
      'skip',
      ['image-not-capable'],
      false,
    ],
  ])('when %s, then the action is %s', (_when, overrides, settings, action, expected, eligible) => {
    const decision = decide(vm(overrides), size(), { ...SETTINGS, ...settings });
    expect(decision.action).toBe(action);
    expect(codes(decision)).toEqual(expected);
    expect(decision.eligible).toBe(eligible);
  });
});

describe('decide: multiple reasons', () => {
  test.each<[string, Partial<VmFacts>, SizeFacts | undefined, ReasonCode[]]>([
    [
      'the size and the OS both fail',
      { osName: 'centos', osVersion: '7.3' },
      size({ acceleratedNetworking: false }),
      ['size-not-supported', 'os-not-supported'],
    ],
    [
      'every safety rule applies',
      {
        ephemeralOsDisk: true,
        scaleSetId: `${COMPUTE}/virtualMachineScaleSets/ss`,
        availabilitySetId: `${COMPUTE}/availabilitySets/as`,
        nics: [
          nic('a', {
            publicIps: [{ id: `${NETWORK}/publicIPAddresses/ip`, allocationMethod: 'Dynamic' }],
          }),
        ],
        tags: { 'accelnet-exempt': 'true' },
        resourceGroupTags: { 'accelnet-exempt': 'true' },
      },
      size(),
      [
        'ephemeral-os-disk',
        'scale-set-member',
        'availability-set',
        'dynamic-public-ip',
        'opted-out',
        'resource-group-opted-out',
      ],
    ],
    [
      'a failed VM of an unknown size is opted out',
      { provisioningState: 'Failed', tags: { 'accelnet-exempt': 'true' } },
      undefined,
      ['provisioning-failed', 'size-unknown', 'opted-out'],
    ],
    [
      'a GPU size in an availability set has an unknown OS',
      {
        size: 'Standard_NV12s_v3',
        osName: undefined,
        osVersion: undefined,
        image: undefined,
        availabilitySetId: `${COMPUTE}/availabilitySets/as`,
      },
      size({ family: 'standardNVSv3Family' }),
      ['gpu-size-excluded', 'os-unknown', 'availability-set'],
    ],
  ])('when %s, then every reason is reported', (_when, overrides, facts, expected) => {
    const decision = decide(vm(overrides), facts, SETTINGS);
    expect(decision.action).toBe('skip');
    expect(codes(decision)).toEqual(expected);
  });
});

describe('decide: remediation and its effects', () => {
  test.each<[string, Partial<VmFacts>, SizeFacts, Decision['effects'], string]>([
    [
      'a running VM without a temporary disk',
      {},
      size(),
      { tempDiskWiped: false, publicIpChanges: false, downtime: true },
      'Will deallocate web-1, enable Accelerated Networking on 1 NIC, and start it again; web-1 is down meanwhile.',
    ],
    [
      'a running VM with a temporary disk and two NICs',
      { nics: [nic('a'), nic('b')] },
      size({ hasTempDisk: true }),
      { tempDiskWiped: true, publicIpChanges: false, downtime: true },
      'on 2 NICs, and start it again; web-1 is down meanwhile; its temporary disk is wiped.',
    ],
    [
      'a deallocated VM',
      { powerState: 'deallocated', osName: undefined, osVersion: undefined },
      size(),
      { tempDiskWiped: false, publicIpChanges: false, downtime: false },
      'while it is deallocated, and leave it deallocated.',
    ],
    [
      'a stopped VM',
      { powerState: 'stopped' },
      size(),
      { tempDiskWiped: false, publicIpChanges: false, downtime: false },
      'and leave it deallocated (stopped VMs are not booted).',
    ],
    [
      'a VM whose power state is unknown',
      { powerState: 'unknown' },
      size(),
      { tempDiskWiped: false, publicIpChanges: false, downtime: true },
      'start it again',
    ],
  ])(
    'when %s, then it is remediated with these effects',
    (_when, overrides, facts, effects, plan) => {
      const decision = decide(vm(overrides), facts, SETTINGS);
      expect(decision.action).toBe('remediate');
      expect(codes(decision)).toEqual(['eligible']);
      expect(decision.eligible).toBe(true);
      expect(decision.requiresApproval).toBe(false);
      expect(decision.effects).toEqual(effects);
      expect(messages(decision)).toContain(plan);
    },
  );
});

describe('decide: the 2026 fleet', () => {
  const v5 = size({ name: 'Standard_D4s_v5', family: 'standardDSv5Family' });
  const v3 = size({ name: 'Standard_D4s_v3', family: 'standardDSv3Family' });
  const UBUNTU_1804: ImageReference = {
    publisher: 'Canonical',
    offer: 'UbuntuServer',
    sku: '18.04-LTS',
    version: 'latest',
  };
  const WINDOWS_2022: ImageReference = {
    publisher: 'MicrosoftWindowsServer',
    offer: 'WindowsServer',
    sku: '2022-datacenter-azure-edition',
    version: 'latest',
  };

  test.each([
    {
      what: 'a running VM of a size that requires AN',
      facts: {},
      sz: v5,
      method: 'in-place',
      downtime: false,
    },
    {
      what: 'a deallocated VM of a size that requires AN',
      facts: { powerState: 'deallocated' as const },
      sz: v5,
      method: 'deallocate-cycle',
      downtime: false,
    },
    {
      what: 'a running VM of a size that only supports AN',
      facts: {},
      sz: v3,
      method: 'deallocate-cycle',
      downtime: true,
    },
  ])(
    'when $what lacks the flag, then it is remediated $method (downtime: $downtime)',
    ({ facts, sz, method, downtime }) => {
      const decision = decide(vm({ size: sz.name, ...facts }), sz, SETTINGS);
      expect(decision).toMatchObject({ action: 'remediate', method, effects: { downtime } });
    },
  );

  test('when a running VM of a size that requires AN has an ephemeral OS disk, a dynamic public IP and a set, then none of those blocks: nothing is deallocated', () => {
    const decision = decide(
      vm({
        size: 'Standard_D4s_v5',
        ephemeralOsDisk: true,
        availabilitySetId: `${COMPUTE}/availabilitySets/as-1`,
        nics: [
          nic('web-1-nic', {
            publicIps: [{ id: `${NETWORK}/publicIPAddresses/pip`, allocationMethod: 'Dynamic' }],
          }),
        ],
      }),
      v5,
      SETTINGS,
    );
    expect(decision).toMatchObject({
      action: 'remediate',
      method: 'in-place',
      requiresApproval: false,
    });
    expect(decision.reasons[0]?.message).toMatch(/while it runs.*no deallocation and no downtime/);
  });

  test.each([
    {
      what: 'Ubuntu 22.04 (MANA driver built in)',
      image: JAMMY,
      action: 'remediate',
      code: 'eligible',
    },
    {
      what: 'Ubuntu 18.04 (no MANA driver)',
      image: UBUNTU_1804,
      action: 'skip',
      code: 'mana-driver-missing',
    },
    {
      what: 'Windows Server 2022 (driver may need installing)',
      image: WINDOWS_2022,
      action: 'skip',
      code: 'mana-driver-missing',
    },
    {
      what: 'a custom image',
      image: { id: `${COMPUTE}/images/golden` },
      action: 'skip',
      code: 'mana-driver-missing',
    },
  ])(
    'when a running VM of a size that may land on MANA runs $what, then it is $action ($code)',
    ({ image, action, code }) => {
      const decision = decide(
        vm({
          size: 'Standard_D4s_v3',
          image,
          osName: undefined,
          osVersion: undefined,
          osType: image === WINDOWS_2022 ? 'Windows' : 'Linux',
          osDiskAcceleratedNetwork: true,
        }),
        v3,
        { ...SETTINGS, allowUnknownOs: true },
      );
      expect(decision.action).toBe(action);
      expect(codes(decision)).toContain(code);
    },
  );

  test('when the MANA driver is missing, then the sentence names the images that carry it and the setting that accepts the risk', () => {
    const decision = decide(
      vm({ size: 'Standard_D4s_v3', image: UBUNTU_1804, osName: 'ubuntu', osVersion: '18.04' }),
      v3,
      SETTINGS,
    );
    const text = messages(decision);
    expect(text).toMatch(/may land on MANA hardware/);
    expect(text).toMatch(/Ubuntu 22\.04/);
    expect(text).toMatch(/ACCELNET_ALLOW_MANA_WITHOUT_DRIVER=true/);
  });

  test('when the operator accepts the MANA risk, then such a VM is remediated', () => {
    const decision = decide(
      vm({ size: 'Standard_D4s_v3', image: UBUNTU_1804, osName: 'ubuntu', osVersion: '18.04' }),
      v3,
      { ...SETTINGS, allowManaWithoutDriver: true },
    );
    expect(decision.action).toBe('remediate');
  });

  test('when a VM of a size that may land on MANA is deallocated, then accelnet does not start it, so the MANA rule does not apply', () => {
    const decision = decide(
      vm({
        size: 'Standard_D4s_v3',
        image: UBUNTU_1804,
        osName: undefined,
        osVersion: undefined,
        powerState: 'deallocated',
      }),
      v3,
      SETTINGS,
    );
    expect(codes(decision)).not.toContain('mana-driver-missing');
  });

  test.each([
    { what: 'of a size that requires AN', sz: v5, name: 'Standard_D4s_v5' },
    { what: 'of a size that only supports AN', sz: v3, name: 'Standard_D4s_v3' },
  ])(
    'when a network virtual appliance $what carries LegacyVMNVA, then it is skipped (legacy-vm-nva), whatever the tag value',
    ({ sz, name }) => {
      const tagSets: Record<string, string>[] = [{ LegacyVMNVA: '' }, { legacyvmnva: 'true' }];
      for (const tags of tagSets) {
        const decision = decide(vm({ size: name, tags }), sz, SETTINGS);
        expect(decision.action).toBe('skip');
        expect(codes(decision)).toContain('legacy-vm-nva');
      }
    },
  );
});
