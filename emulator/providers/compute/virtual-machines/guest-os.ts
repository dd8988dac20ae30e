import { type JsonObject, str } from '../../../arm/json';

export interface GuestOs {
  osType: 'Linux' | 'Windows';
  /** What the VM agent reports in the instance view, as Azure shows it. */
  osName: string;
  osVersion: string;
}

const WINDOWS_BUILDS: [RegExp, string, string][] = [
  [/2025/, 'Windows Server 2025 Datacenter', '10.0.26100.1742'],
  [/2022/, 'Windows Server 2022 Datacenter', '10.0.20348.2762'],
  [/2019/, 'Windows Server 2019 Datacenter', '10.0.17763.6414'],
  [/2016/, 'Windows Server 2016 Datacenter', '10.0.14393.7428'],
  [/2012-r2/i, 'Windows Server 2012 R2 Datacenter', '6.3.9600.21620'],
  [/2012/, 'Windows Server 2012 Datacenter', '6.2.9200.24414'],
  [/2008/, 'Windows Server 2008 R2 Datacenter', '6.1.7601.24546'],
];

/**
 * What the guest agent of a VM made from a marketplace image reports (osName/osVersion in
 * the instance view). Unknown images report their offer and SKU.
 */
export function guestOsFromImage(image: JsonObject, osTypeHint: string | undefined): GuestOs {
  const publisher = (str(image.publisher) ?? '').toLowerCase();
  const offer = (str(image.offer) ?? '').toLowerCase();
  const sku = (str(image.sku) ?? '').toLowerCase();
  const osType =
    (osTypeHint ?? '').toLowerCase() === 'windows' || publisher.startsWith('microsoftwindows')
      ? 'Windows'
      : 'Linux';

  if (publisher === 'microsoftwindowsserver') {
    for (const [pattern, name, version] of WINDOWS_BUILDS) {
      if (pattern.test(sku)) return { osType: 'Windows', osName: name, osVersion: version };
    }
  }
  if (publisher === 'microsoftwindowsdesktop') {
    if (offer.includes('windows-11'))
      return { osType: 'Windows', osName: 'Windows 11 Enterprise', osVersion: '10.0.22631.4317' };
    const release = /win10-(\d\d)h(\d)/.exec(sku);
    const build = release
      ? `10.0.${release[1] === '21' ? '19044' : release[1] === '22' ? '19045' : '19041'}.5011`
      : '10.0.19045.5011';
    return { osType: 'Windows', osName: 'Windows 10 Enterprise', osVersion: build };
  }
  if (publisher === 'canonical') {
    const fromSku = /(\d\d)[._](\d\d)/.exec(sku) ?? /(\d\d)[._](\d\d)/.exec(offer);
    const named: Record<string, string> = {
      jammy: '22.04',
      focal: '20.04',
      bionic: '18.04',
      xenial: '16.04',
      noble: '24.04',
      trusty: '14.04',
    };
    const codename = Object.keys(named).find((name) => offer.includes(name));
    const version = fromSku
      ? `${fromSku[1]}.${fromSku[2]}`
      : codename
        ? named[codename]
        : undefined;
    return { osType: 'Linux', osName: 'ubuntu', osVersion: version ?? sku };
  }
  const linux: [string, string, (s: string) => string][] = [
    ['redhat', 'redhat', (s) => dotted(s)],
    ['openlogic', 'centos', (s) => dotted(s)],
    ['suse', 'sles', (s) => sles(s, offer)],
    ['debian', 'debian', (s) => /(\d+)/.exec(s)?.[1] ?? s],
    ['oracle', 'oracle', (s) => dotted(s.replace(/^ol/, ''))],
    ['kinvolk', 'flatcar', () => '3975.2.2'],
    ['microsoftcblmariner', 'mariner', () => '2.0'],
    ['almalinux', 'almalinux', (s) => dotted(s)],
    ['thefreebsdfoundation', 'freebsd', (s) => dotted(s)],
    ['microsoftostc', 'freebsd', (s) => dotted(s)],
  ];
  for (const [pub, name, version] of linux) {
    if (publisher === pub) return { osType: 'Linux', osName: name, osVersion: version(sku) };
  }
  return { osType, osName: offer || 'unknown', osVersion: sku || 'unknown' };
}

/** '7_9' / '8-lvm-gen2' / '7.4' / '79' -> '7.9' / '8' / '7.4' / '7.9' */
function dotted(sku: string): string {
  const m = /(\d+)(?:[._-](\d+))?/.exec(sku);
  const major = m?.[1];
  if (!m || major === undefined) return sku;
  if (m[2] !== undefined) return `${major}.${m[2]}`;
  if (major.length === 2) return `${major[0]}.${major[1]}`;
  return major;
}

function sles(sku: string, offer: string): string {
  const m = /(\d+)(?:-sp(\d+))?/.exec(`${offer} ${sku}`.replace(/sles-/g, ''));
  if (!m) return sku;
  return m[2] ? `${m[1]}.${m[2]}` : (m[1] ?? sku);
}
