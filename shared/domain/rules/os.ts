/**
 * Which guest OSes support Accelerated Networking: Microsoft's supported list (the overview
 * page), read from the guest agent's report, else the image reference, else the OS disk's
 * capability. Pure. Sources: shared/design/accelerated-networking-facts.md.
 */
import type { ImageReference, Reason, VmFacts } from '../model';

// --- versions --------------------------------------------------------------------------------

/** A release as numbers, most significant first: [22, 4] is Ubuntu 22.04, [10, 0, 19044] a Windows build. */
type Version = readonly number[];

/** Whether `v` is at least `min`; undefined when the answer hinges on a part `v` lacks. */
function atLeast(v: Version, min: Version): boolean | undefined {
  for (const [i, wanted] of min.entries()) {
    const part = v[i];
    if (part === undefined) return undefined;
    if (part !== wanted) return part > wanted;
  }
  return true;
}

/** The numbers of a matched version, in order; undefined parts are left out. */
function numbers(...parts: (string | undefined)[]): Version {
  return parts.filter((p): p is string => p !== undefined).map(Number);
}

// --- supported operating systems -------------------------------------------------------------

type OsId =
  | 'windows-server'
  | 'windows-client'
  | 'ubuntu'
  | 'sles'
  | 'rhel'
  | 'centos'
  | 'oracle'
  | 'debian'
  | 'freebsd'
  | 'almalinux'
  | 'rocky'
  | 'coreos'
  | 'flatcar'
  | 'mariner';

interface OsRule {
  label: string;
  /** The supported releases, as the facts file lists them. */
  needs: string;
  /** true/false, or undefined when the version known is not enough to tell. */
  supports: (v: Version | undefined) => boolean | undefined;
}

const since =
  (min: Version) =>
  (v: Version | undefined): boolean | undefined =>
    v === undefined ? undefined : atLeast(v, min);

/** Every release of these distributions supports Accelerated Networking. */
const always = (): boolean => true;

/** Every AlmaLinux and Rocky Linux release is 8 or later. */
const anyOrSince8 = (v: Version | undefined): boolean | undefined =>
  v === undefined ? true : atLeast(v, [8]);

/** 14.04 with the linux-azure kernel, which its Azure images carry, and 16.04 or later. */
function ubuntuSupports(v: Version | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v[0] === 14 && v[1] === 4) return true;
  return atLeast(v, [16, 4]);
}

/** 10.4, 11.1, 12.0 or later. */
function freebsdSupports(v: Version | undefined): boolean | undefined {
  const [major, minor] = v ?? [];
  if (major === undefined) return undefined;
  if (major >= 12) return true;
  if (major < 10) return false;
  if (minor === undefined) return undefined;
  return minor >= (major === 10 ? 4 : 1);
}

const OS_RULES: Readonly<Record<OsId, OsRule>> = {
  'windows-server': {
    label: 'Windows Server',
    needs: 'Windows Server 2012 R2 or later',
    supports: since([6, 3, 9600]),
  },
  'windows-client': {
    label: 'Windows',
    needs: 'Windows 10 21H2 (build 19044) or later, or Windows 11',
    supports: since([10, 0, 19044]),
  },
  ubuntu: {
    label: 'Ubuntu',
    needs: 'Ubuntu 14.04 with the linux-azure kernel, or 16.04 or later',
    supports: ubuntuSupports,
  },
  sles: { label: 'SLES', needs: 'SLES 12 SP3 or later', supports: since([12, 3]) },
  rhel: { label: 'RHEL', needs: 'RHEL 7.4 or later', supports: since([7, 4]) },
  centos: { label: 'CentOS', needs: 'CentOS 7.4 or later', supports: since([7, 4]) },
  oracle: { label: 'Oracle Linux', needs: 'Oracle Linux 7.4 or later', supports: since([7, 4]) },
  debian: {
    label: 'Debian',
    needs: 'Debian 9 (Stretch, with the backports kernel) or later',
    supports: since([9]),
  },
  freebsd: {
    label: 'FreeBSD',
    needs: 'FreeBSD 10.4, 11.1, 12.0 or later',
    supports: freebsdSupports,
  },
  almalinux: { label: 'AlmaLinux', needs: 'AlmaLinux 8 or later', supports: anyOrSince8 },
  rocky: { label: 'Rocky Linux', needs: 'Rocky Linux 8 or later', supports: anyOrSince8 },
  coreos: { label: 'CoreOS', needs: 'CoreOS', supports: always },
  flatcar: { label: 'Flatcar Container Linux', needs: 'Flatcar', supports: always },
  mariner: { label: 'CBL-Mariner/Azure Linux', needs: 'CBL-Mariner', supports: always },
};

/** What one source says the OS is. */
interface OsIdentity {
  os: OsId;
  version: Version | undefined;
  /** The OS as a person reads it: "Ubuntu 22.04", "Windows Server 2019 Datacenter 10.0.17763.6414". */
  text: string;
  /** Where it came from: "reported by the guest agent", "marketplace image …". */
  source: string;
}

function describe(identity: OsIdentity): string {
  return `${identity.text} (${identity.source})`;
}

function formatVersion(os: OsId, v: Version): string {
  const [major, minor] = v;
  if (os === 'ubuntu' && minor !== undefined) return `${major}.${String(minor).padStart(2, '0')}`;
  if (os === 'sles' && minor !== undefined) return minor === 0 ? `${major}` : `${major} SP${minor}`;
  return v.join('.');
}

function textOf(os: OsId, version: Version | undefined): string {
  const label = OS_RULES[os].label;
  return version === undefined ? label : `${label} ${formatVersion(os, version)}`;
}

// --- Windows releases ------------------------------------------------------------------------

/** Windows Server releases by name, as [major, minor, build]. */
const WINDOWS_SERVER_BUILDS: Readonly<Record<string, Version>> = {
  '2008': [6, 0, 6003],
  '2008 R2': [6, 1, 7601],
  '2012': [6, 2, 9200],
  '2012 R2': [6, 3, 9600],
  '2016': [10, 0, 14393],
  '2019': [10, 0, 17763],
  '2022': [10, 0, 20348],
  '2025': [10, 0, 26100],
};

/** Windows 10 releases by their marketplace name, as builds. */
const WINDOWS_10_BUILDS: Readonly<Record<string, number>> = {
  rs1: 14393,
  rs2: 15063,
  rs3: 16299,
  rs4: 17134,
  rs5: 17763,
  '19h1': 18362,
  '19h2': 18363,
  '20h1': 19041,
  '20h2': 19042,
  '21h1': 19043,
  '21h2': 19044,
  '22h2': 19045,
};

const WINDOWS_11_BUILD: Version = [10, 0, 22000];

/** "Windows Server 2012 R2 Datacenter" or "2012-R2-Datacenter" -> "2012 R2". */
function windowsServerRelease(text: string): string | undefined {
  const m = /(20(?:08|12|16|19|22|25))(?:[\s_-]*(r2))?/i.exec(text);
  if (m?.[1] === undefined) return undefined;
  return m[2] === undefined ? m[1] : `${m[1]} R2`;
}

/** "10.0.17763.6414" -> [10, 0, 17763]. */
function windowsBuild(osVersion: string | undefined): Version | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(osVersion ?? '');
  return m === null ? undefined : numbers(m[1], m[2], m[3]);
}

// --- the OS as the guest agent reports it ----------------------------------------------------

const GUEST_AGENT = 'reported by the guest agent';

/** Guest agent OS names (lower case), most specific first; openSUSE matches none of them. */
const REPORTED_NAMES: readonly (readonly [RegExp, OsId])[] = [
  [/windows server/, 'windows-server'],
  [/windows/, 'windows-client'],
  [/^ubuntu/, 'ubuntu'],
  [/^(?:sles|sle_|suse)/, 'sles'],
  [/^(?:redhat|red hat|rhel)/, 'rhel'],
  [/^centos/, 'centos'],
  [/^(?:oracle|ol\b)/, 'oracle'],
  [/^debian/, 'debian'],
  [/freebsd/, 'freebsd'],
  [/^alma/, 'almalinux'],
  [/^rocky/, 'rocky'],
  [/coreos/, 'coreos'],
  [/flatcar/, 'flatcar'],
  [/mariner|azurelinux|azure linux/, 'mariner'],
];

/** "12.3", "12-SP3", "7.9.2009", "11" -> [12, 3], [12, 3], [7, 9], [11]. */
function linuxVersion(text: string): Version | undefined {
  const m = /^(\d+)(?:[._-](?:sp)?(\d+))?/i.exec(text.trim());
  return m === null ? undefined : numbers(m[1], m[2]);
}

function fromGuestAgent(
  osName: string | undefined,
  osVersion: string | undefined,
): OsIdentity | undefined {
  if (osName === undefined || osName.trim() === '') return undefined;
  const name = osName.trim().toLowerCase();
  const os = REPORTED_NAMES.find(([pattern]) => pattern.test(name))?.[1];
  if (os === undefined) return undefined;
  if (os === 'windows-server' || os === 'windows-client') {
    const text = [osName.trim(), osVersion?.trim()].filter(Boolean).join(' ');
    return { os, version: reportedWindowsVersion(os, name, osVersion), text, source: GUEST_AGENT };
  }
  const version = osVersion === undefined ? undefined : linuxVersion(osVersion);
  const text = `${OS_RULES[os].label} ${osVersion ?? ''}`.trim();
  return { os, version, text, source: GUEST_AGENT };
}

function reportedWindowsVersion(
  os: OsId,
  name: string,
  osVersion: string | undefined,
): Version | undefined {
  const build = windowsBuild(osVersion);
  if (build !== undefined) return build;
  if (os === 'windows-client') return /windows 11/.test(name) ? WINDOWS_11_BUILD : undefined;
  const release = windowsServerRelease(name);
  return release === undefined ? undefined : WINDOWS_SERVER_BUILDS[release];
}

// --- the OS from the marketplace image -------------------------------------------------------

/** An image reference with every part lower case and present. */
interface Marketplace {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

type ImageReader = (
  image: Marketplace,
) => { os: OsId; version: Version | undefined; text?: string } | undefined;

/** "22_04-lts-gen2", "18.04-LTS", "ubuntu-24_04-lts" -> [22, 4] …; codenames as a fallback. */
const UBUNTU_CODENAMES: Readonly<Record<string, Version>> = {
  trusty: [14, 4],
  xenial: [16, 4],
  bionic: [18, 4],
  focal: [20, 4],
  jammy: [22, 4],
  noble: [24, 4],
};

function ubuntuVersion(image: Marketplace): Version | undefined {
  for (const text of [image.sku, image.offer]) {
    const m = /(\d{2})[._](\d{2})/.exec(text);
    if (m !== null) return numbers(m[1], m[2]);
  }
  const codename = Object.keys(UBUNTU_CODENAMES).find((c) => image.offer.includes(c));
  return codename === undefined ? undefined : UBUNTU_CODENAMES[codename];
}

/**
 * Skus of single-digit-major distributions: "7.3", "7_9-gen2", "86-gen2" (8.6), "ol79" (7.9),
 * "8-lvm-gen2" (8). A major alone is refined by an image version such as "7.9.2022032206".
 */
function compactVersion(image: Marketplace): Version | undefined {
  const sku = image.sku.replace(/^[a-z-]*/, '');
  const m = /^(\d+)[._](\d+)/.exec(sku) ?? /^(\d)(\d{1,2})(?!\d)/.exec(sku) ?? /^(\d+)/.exec(sku);
  if (m === null) return undefined;
  const version = numbers(m[1], m[2]);
  const refined = /^(\d+)\.(\d+)\./.exec(image.version);
  if (version.length === 1 && refined !== null && refined[1] === m[1]) {
    return numbers(refined[1], refined[2]);
  }
  return version;
}

/** "sles-15-sp5", "SLES" "12-SP3", "sles-12-sp5-byos" -> [15, 5], [12, 3], [12, 5]. */
function slesVersion(image: Marketplace): Version | undefined {
  const m = /(?:^|\D)(1\d)(?:-sp(\d+))?(?!\d)/.exec(`${image.offer} ${image.sku}`);
  return m === null ? undefined : numbers(m[1], m[2] ?? '0');
}

/** "debian-11" or "Debian" "9" -> [11], [9]. */
function debianVersion(image: Marketplace): Version | undefined {
  const m = /(?:^|\D)(\d{1,2})(?!\d)/.exec(image.offer) ?? /^(\d{1,2})(?!\d)/.exec(image.sku);
  return m === null ? undefined : numbers(m[1]);
}

/** "12.0", "14_0-release-zfs", offer "freebsd-14_0" -> [12, 0], [14, 0], [14, 0]. */
function freebsdVersion(image: Marketplace): Version | undefined {
  const m = /(\d{1,2})[._](\d)/.exec(image.sku) ?? /(\d{1,2})[._](\d)/.exec(image.offer);
  return m === null ? undefined : numbers(m[1], m[2]);
}

function readWindowsServer(image: Marketplace): ReturnType<ImageReader> {
  if (image.publisher !== 'microsoftwindowsserver') return undefined;
  const release = windowsServerRelease(image.sku);
  const version = release === undefined ? undefined : WINDOWS_SERVER_BUILDS[release];
  const text = release === undefined ? undefined : `Windows Server ${release}`;
  return { os: 'windows-server', version, ...(text === undefined ? {} : { text }) };
}

function readWindowsClient(image: Marketplace): ReturnType<ImageReader> {
  if (image.publisher !== 'microsoftwindowsdesktop') return undefined;
  const both = `${image.offer} ${image.sku}`;
  if (/win(?:dows)?-?11/.test(both)) {
    return { os: 'windows-client', version: WINDOWS_11_BUILD, text: 'Windows 11' };
  }
  const release = /(rs[1-5]|\d{2}h[12])/.exec(image.sku)?.[1];
  const build = release === undefined ? undefined : WINDOWS_10_BUILDS[release];
  if (release === undefined || build === undefined)
    return { os: 'windows-client', version: undefined };
  return {
    os: 'windows-client',
    version: [10, 0, build],
    text: `Windows 10 ${release.toUpperCase()}`,
  };
}

const when =
  (
    test: (image: Marketplace) => boolean,
    os: OsId,
    version: (image: Marketplace) => Version | undefined,
  ): ImageReader =>
  (image) =>
    test(image) ? { os, version: version(image) } : undefined;

const none = (): undefined => undefined;

/** Marketplace publishers and offers, first match wins. */
const IMAGE_READERS: readonly ImageReader[] = [
  readWindowsServer,
  readWindowsClient,
  when((i) => i.publisher === 'canonical', 'ubuntu', ubuntuVersion),
  when((i) => i.publisher === 'redhat', 'rhel', compactVersion),
  when(
    (i) => i.publisher === 'openlogic' || i.offer.startsWith('centos'),
    'centos',
    compactVersion,
  ),
  when((i) => i.publisher === 'oracle' && i.offer.includes('linux'), 'oracle', compactVersion),
  when(
    (i) => i.publisher === 'suse' && /sles|sle-/.test(`${i.offer} ${i.sku}`),
    'sles',
    slesVersion,
  ),
  when((i) => i.publisher === 'debian' || i.publisher === 'credativ', 'debian', debianVersion),
  when((i) => i.offer.includes('freebsd'), 'freebsd', freebsdVersion),
  when((i) => i.offer.includes('almalinux'), 'almalinux', compactVersion),
  when((i) => i.offer.includes('rocky'), 'rocky', compactVersion),
  when((i) => i.publisher === 'coreos', 'coreos', none),
  when((i) => i.publisher === 'kinvolk' || i.offer.includes('flatcar'), 'flatcar', none),
  when(
    (i) => /mariner|azure-linux/.test(i.offer) || i.publisher === 'microsoftcblmariner',
    'mariner',
    none,
  ),
];

function fromImage(image: ImageReference | undefined): OsIdentity | undefined {
  if (image?.publisher === undefined || image.offer === undefined || image.sku === undefined)
    return undefined;
  const source = `marketplace image ${image.publisher}/${image.offer}/${image.sku}`;
  const lower: Marketplace = {
    publisher: image.publisher.toLowerCase(),
    offer: image.offer.toLowerCase(),
    sku: image.sku.toLowerCase(),
    version: (image.version ?? '').toLowerCase(),
  };
  for (const read of IMAGE_READERS) {
    const found = read(lower);
    if (found === undefined) continue;
    const text = found.text ?? textOf(found.os, found.version);
    return { os: found.os, version: found.version, text, source };
  }
  return undefined;
}

// --- assessOs --------------------------------------------------------------------------------

type OsFacts = Pick<
  VmFacts,
  'osType' | 'image' | 'osName' | 'osVersion' | 'osDiskAcceleratedNetwork'
>;

export interface OsAssessment {
  verdict: 'supported' | 'unsupported' | 'unknown';
  reason: Reason | undefined;
  /** What the OS is and how accelnet knows: "Ubuntu 22.04 (reported by the guest agent)". */
  description: string;
}

const IMAGE_NOT_CAPABLE =
  "its OS disk's image does not declare Accelerated Networking support (supportedCapabilities.acceleratedNetwork is false); " +
  'rebuild the image with the Mellanox mlx4/mlx5 drivers and mark it capable, or move to a supported marketplace image, to enable it.';

function imageNotCapable(description: string): OsAssessment {
  return {
    verdict: 'unsupported',
    reason: { code: 'image-not-capable', message: `${description}: ${IMAGE_NOT_CAPABLE}` },
    description,
  };
}

function osNotSupported(found: OsIdentity): OsAssessment {
  const description = describe(found);
  const message =
    `${description} does not support Accelerated Networking (${OS_RULES[found.os].needs} does); ` +
    'upgrade the OS to enable it.';
  return { verdict: 'unsupported', reason: { code: 'os-not-supported', message }, description };
}

const ALLOW_UNKNOWN = 'set ACCELNET_ALLOW_UNKNOWN_OS=true to remediate anyway.';

function osUnknown(osType: OsFacts['osType'], hint: OsIdentity | undefined): OsAssessment {
  if (hint !== undefined) {
    const description = describe(hint);
    const message =
      `Cannot tell whether ${description} supports Accelerated Networking (${OS_RULES[hint.os].needs} does); ` +
      `check that it does, then ${ALLOW_UNKNOWN}`;
    return { verdict: 'unknown', reason: { code: 'os-unknown', message }, description };
  }
  const description = osType === undefined ? 'an unidentified OS' : `an unidentified ${osType} OS`;
  const vm = osType === undefined ? 'VM' : `${osType} VM`;
  const message =
    `Cannot tell the OS of this ${vm}: no guest agent report, marketplace image or OS disk capability names it; ` +
    `check that it supports Accelerated Networking, then ${ALLOW_UNKNOWN}`;
  return { verdict: 'unknown', reason: { code: 'os-unknown', message }, description };
}

/** Is this OS supported for AN? From the guest agent, then the marketplace image, then the OS disk capability. */
export function assessOs(vm: OsFacts): OsAssessment {
  const found = [fromGuestAgent(vm.osName, vm.osVersion), fromImage(vm.image)].filter(
    (i): i is OsIdentity => i !== undefined,
  );
  for (const candidate of found) {
    const supported = OS_RULES[candidate.os].supports(candidate.version);
    if (supported === false) return osNotSupported(candidate);
    if (supported === true) {
      const description = describe(candidate);
      if (vm.osDiskAcceleratedNetwork === false) return imageNotCapable(description);
      return { verdict: 'supported', reason: undefined, description };
    }
  }
  if (vm.osDiskAcceleratedNetwork === true) {
    return {
      verdict: 'supported',
      reason: undefined,
      description: 'an image whose OS disk declares Accelerated Networking support',
    };
  }
  if (vm.osDiskAcceleratedNetwork === false)
    return imageNotCapable('an image of an unidentified OS');
  return osUnknown(vm.osType, found[0]);
}
