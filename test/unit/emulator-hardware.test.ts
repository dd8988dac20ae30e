/**
 * The emulator's model of MANA-era hardware and guests, as pure rules: which hardware a size
 * runs on, which sizes require Accelerated Networking, and which drivers a guest made from a
 * marketplace image carries (emulator/data/guest-drivers.json over the facts page and
 * shared/data/accelerated-networking.json).
 */
import { guestDriversFromImage } from '../../emulator/providers/compute/virtual-machines/guest-drivers';
import { guestOsFromImage } from '../../emulator/providers/compute/virtual-machines/guest-os';
import {
  firstHardware,
  hardwareAfterResize,
  hardwareClass,
  requiresAcceleratedNetworking,
} from '../../emulator/providers/compute/virtual-machines/hardware';
import { findVmSize } from '../../emulator/skus';

function size(name: string) {
  const found = findVmSize(name);
  if (!found) throw new Error(`no size ${name}`);
  return found;
}

describe('hardware by size', () => {
  it.each([
    // v6: MANA only (shared table manaOnly, "stated" and "inferred" rows alike).
    ['Standard_D4s_v6', 'mana', true],
    ['Standard_E4s_v6', 'mana', false],
    ['Standard_D4ps_v6', 'mana', true],
    // Existing families Azure may move to MANA (manaEligibleExisting).
    ['Standard_D4s_v5', 'either', true],
    ['Standard_E8s_v5', 'either', true],
    ['Standard_D4s_v3', 'either', false],
    ['Standard_F4s_v2', 'either', false],
    ['Standard_D2_v2', 'either', false],
    // Neither: Mellanox.
    ['Standard_D4as_v4', 'mellanox', false],
    ['Standard_B2s', 'mellanox', false],
    ['Standard_D4as_v5', 'mellanox', true],
  ])('when the size is %s, then it runs on %s and requires AN: %s', (name, cls, required) => {
    expect(hardwareClass(size(name))).toBe(cls);
    expect(requiresAcceleratedNetworking(size(name))).toBe(required);
  });

  it('when a VM is created, then v6 starts on MANA and every other size on Mellanox', () => {
    expect(firstHardware(size('Standard_D4s_v6'))).toBe('mana');
    expect(firstHardware(size('Standard_D4s_v5'))).toBe('mellanox');
    expect(firstHardware(size('Standard_B2s'))).toBe('mellanox');
  });

  it('when a VM is resized, then it keeps its hardware if the new size runs on it, else moves', () => {
    expect(hardwareAfterResize(size('Standard_D4s_v6'), 'mellanox')).toBe('mana');
    expect(hardwareAfterResize(size('Standard_D4s_v5'), 'mana')).toBe('mana');
    expect(hardwareAfterResize(size('Standard_D4s_v5'), 'mellanox')).toBe('mellanox');
    expect(hardwareAfterResize(size('Standard_D4as_v4'), 'mana')).toBe('mellanox');
  });
});

describe('guest drivers by image', () => {
  const image = (publisher: string, offer: string, sku: string) => ({ publisher, offer, sku });
  it.each([
    // MANA built in (manaOverview): Ubuntu 22.04 and 24.04, RHEL 8.8+/9.2+, SLES 15 SP4+, Debian 12.
    [image('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2'), true, true],
    [image('Canonical', 'ubuntu-24_04-lts', 'server'), true, true],
    [image('RedHat', 'RHEL', '9_4'), true, true],
    [image('SUSE', 'sles-15-sp5', 'gen2'), true, true],
    [image('Debian', 'debian-12', '12-gen2'), true, true],
    // Older releases: Mellanox only (Ubuntu 20.04 is not counted, see notCounted).
    [image('Canonical', '0001-com-ubuntu-server-focal', '20_04-lts-gen2'), true, false],
    [image('Canonical', 'UbuntuServer', '18.04-LTS'), true, false],
    [image('RedHat', 'RHEL', '7_9'), true, false],
    [image('Debian', 'debian-11', '11-gen2'), true, false],
    // Windows Server: Mellanox; MANA "may need" the driver installed.
    [
      image('MicrosoftWindowsServer', 'WindowsServer', '2022-datacenter-azure-edition'),
      true,
      false,
    ],
    [image('MicrosoftWindowsServer', 'WindowsServer', '2012-R2-Datacenter'), true, false],
    // Below the overview's supported list: no driver at all.
    [image('OpenLogic', 'CentOS', '7.3'), false, false],
    [image('MicrosoftWindowsServer', 'WindowsServer', '2008-R2-SP1'), false, false],
    [image('Canonical', 'UbuntuServer', '12.04.5-LTS'), false, false],
    // Oracle Linux 8/9: MANA only with UEK R7, which an image reference does not show.
    [image('Oracle', 'Oracle-Linux', 'ol94-lvm-gen2'), true, false],
    // An image the tables do not know (a custom image): Mellanox assumed, no MANA.
    [image('contoso', 'appliance', 'v1'), true, false],
  ])('when the image is %o, then the guest has mellanox %s and mana %s', (ref, mellanox, mana) => {
    const os = guestOsFromImage(ref, undefined);
    expect(guestDriversFromImage(ref, os)).toEqual({ mellanox, mana });
  });
});
