import {
  CATALOG_EXCLUDED,
  CATALOG_FAMILIES,
  CATALOG_REGIONS,
  CATALOG_SIZES,
  CATALOG_SOURCES,
  catalogFamily,
  type CatalogSize,
  catalogSize,
} from '../../emulator/vm-catalog';
import {
  AN_REQUIRED_FAMILIES,
  AN_SOURCES,
  anRequiredFamily,
  type Citation,
  GPU_CAPABILITY_WITHOUT_AN,
  MANA_ELIGIBLE_EXISTING_FAMILIES,
  MANA_GUEST_IMAGES,
  MANA_ONLY_FAMILIES,
  manaEligibleExistingFamily,
  manaGuestImage,
  manaOnlyFamily,
} from '../../shared/domain/an-tables';

function size(name: string): CatalogSize {
  const found = catalogSize(name);
  if (found === undefined) throw new Error(`${name} missing from the catalog`);
  return found;
}

/** A size page read at a commit, or a named catalog source, or an inference that says how. */
function isCited(c: Citation): boolean {
  const page =
    typeof c.repo === 'string' &&
    typeof c.path === 'string' &&
    /^[0-9a-f]{40}$/.test(c.commit ?? '') &&
    typeof c.readOn === 'string';
  const source = typeof c.source === 'string' && c.source in CATALOG_SOURCES;
  const inferred = typeof c.inferred === 'string' && c.inferred.length > 20;
  return page || source || inferred;
}

describe('VM size catalog (emulator/data/vm-sizes.json)', () => {
  it('when every size is read, then it has every capability the rules and the SKUs API need', () => {
    expect(CATALOG_SIZES.length).toBeGreaterThan(1000);
    const bad = CATALOG_SIZES.filter(
      (s) =>
        !/^Standard_[A-Za-z0-9_-]+$/.test(s.name) ||
        !Number.isInteger(s.vCPUs) ||
        s.vCPUs < 1 ||
        !Number.isInteger(s.vCPUsAvailable) ||
        s.vCPUsAvailable < 1 ||
        s.vCPUsAvailable > s.vCPUs ||
        (s.vCPUsPerCore !== 1 && s.vCPUsPerCore !== 2) ||
        !(s.memoryGB > 0) ||
        !Number.isInteger(s.maxResourceVolumeMB) ||
        s.maxResourceVolumeMB < 0 ||
        !Number.isInteger(s.nvmeDiskSizeInMiB) ||
        s.nvmeDiskSizeInMiB < 0 ||
        !(s.maxDataDiskCount >= 1 && s.maxDataDiskCount <= 64) ||
        !(s.maxNetworkInterfaces >= 1 && s.maxNetworkInterfaces <= 15) ||
        typeof s.acceleratedNetworkingEnabled !== 'boolean' ||
        typeof s.premiumIO !== 'boolean' ||
        typeof s.ephemeralOSDiskSupported !== 'boolean' ||
        !['x64', 'Arm64'].includes(s.cpuArchitectureType) ||
        !['V1', 'V2', 'V1,V2'].includes(s.hyperVGenerations) ||
        s.regions.length === 0 ||
        s.regions.some((r) => !CATALOG_REGIONS.includes(r)) ||
        !['docs', 'api2020', 'derived'].includes(s.valuesFrom),
    );
    expect(bad.map((s) => s.name)).toEqual([]);
    expect(new Set(CATALOG_SIZES.map((s) => s.name.toLowerCase())).size).toBe(CATALOG_SIZES.length);
  });

  it('when every family is read, then it names its source: a size page at a commit, an API capture, or how it was inferred', () => {
    expect(CATALOG_FAMILIES.length).toBeGreaterThan(150);
    expect(CATALOG_FAMILIES.filter((f) => !isCited(f.source)).map((f) => f.family)).toEqual([]);
    for (const key of ['knownSkus', 'prices', 'api2020', 'apiFakes']) {
      expect(CATALOG_SOURCES[key]?.what).toEqual(expect.any(String));
    }
    // Inferred families say so in their notes.
    const inferred = CATALOG_FAMILIES.filter((f) => f.source.inferred !== undefined);
    expect(inferred.length).toBeGreaterThan(0);
    for (const f of inferred) expect(f.notes.join(' ')).toMatch(/no size page read/);
  });

  it('when a size was derived or corrected, then it says how', () => {
    const derived = CATALOG_SIZES.filter((s) => s.valuesFrom === 'derived');
    expect(derived.length).toBeGreaterThan(100);
    expect(derived.filter((s) => !s.parentSize || !catalogSize(s.parentSize))).toEqual([]);
    // Constrained-vCPU sizes keep the parent's vCPUs and expose fewer, as the API reports them.
    const constrained = CATALOG_SIZES.filter((s) => /^Standard_[A-Z]+\d+-\d+/.test(s.name));
    expect(constrained.filter((s) => s.vCPUsAvailable >= s.vCPUs).map((s) => s.name)).toEqual([]);
    expect(size('Standard_E4-2s_v5')).toMatchObject({
      vCPUs: 4,
      vCPUsAvailable: 2,
      parentSize: 'Standard_E4s_v5',
    });
    expect(size('Standard_M16ms').note).toMatch(/inferred/);
  });

  it('when Standard_D4s_v5 is read, then it carries the values its size page and the API give', () => {
    expect(size('Standard_D4s_v5')).toMatchObject({
      family: 'standardDSv5Family',
      vCPUs: 4,
      vCPUsAvailable: 4,
      vCPUsPerCore: 2,
      memoryGB: 16,
      maxResourceVolumeMB: 0,
      nvmeDiskSizeInMiB: 0,
      maxDataDiskCount: 8,
      maxNetworkInterfaces: 2,
      acceleratedNetworkingEnabled: true,
      cpuArchitectureType: 'x64',
      hyperVGenerations: 'V1,V2',
      premiumIO: true,
      ephemeralOSDiskSupported: false,
    });
    expect(size('Standard_D4s_v5').regions).toEqual(CATALOG_REGIONS);
    expect(catalogFamily('standardDSv5Family')?.acceleratedNetworkingOnPage).toBe('Required');
  });

  it('when Standard_B2s is read, then it has a temp disk, three NICs and no Accelerated Networking', () => {
    expect(size('Standard_B2s')).toMatchObject({
      family: 'standardBSFamily',
      vCPUs: 2,
      vCPUsPerCore: 1,
      memoryGB: 4,
      maxResourceVolumeMB: 8192,
      maxDataDiskCount: 4,
      maxNetworkInterfaces: 3,
      acceleratedNetworkingEnabled: false,
    });
    // The larger B v1 sizes do have it.
    expect(size('Standard_B12ms').acceleratedNetworkingEnabled).toBe(true);
  });

  it('when Standard_NC6s_v3 is read, then it carries the live API values, which its size page contradicts on AN', () => {
    expect(size('Standard_NC6s_v3')).toMatchObject({
      family: 'standardNCSv3Family',
      vCPUs: 6,
      vCPUsPerCore: 1,
      memoryGB: 112,
      maxResourceVolumeMB: 753664, // 736 GiB
      maxDataDiskCount: 12,
      maxNetworkInterfaces: 4,
      acceleratedNetworkingEnabled: true,
      apiCapture: expect.stringMatching(/^southcentralus@/),
    });
    const family = catalogFamily('standardNCSv3Family');
    expect(family?.acceleratedNetworkingOnPage).toBe('Not Supported');
    expect(family?.notes.join(' ')).toMatch(/the API value is used/);
  });

  it('when Standard_D2ps_v6 is read, then it is an Arm64, Gen2-only size on MANA', () => {
    const d2ps = size('Standard_D2ps_v6');
    expect(d2ps).toMatchObject({
      family: 'StandardDpsv6Family',
      vCPUs: 2,
      vCPUsPerCore: 1,
      memoryGB: 8,
      maxResourceVolumeMB: 0,
      cpuArchitectureType: 'Arm64',
      hyperVGenerations: 'V2',
      acceleratedNetworkingEnabled: true,
    });
    expect(manaOnlyFamily(d2ps.family)).toBeDefined();
    expect(anRequiredFamily(d2ps.family)?.basis).toBe('sizePage');
  });

  it('when local NVMe sizes are read, then NVMe is apart from the temp disk, as the API reports it', () => {
    // API (karpenter capture): MaxResourceVolumeMB 0, NvmeDiskSizeInMiB 7208960.
    expect(size('Standard_D128ds_v6')).toMatchObject({
      maxResourceVolumeMB: 0,
      nvmeDiskSizeInMiB: 7208960,
    });
    // 64 GiB temp disk plus one 960 GB NVMe disk.
    expect(size('Standard_NC24ads_A100_v4')).toMatchObject({
      maxResourceVolumeMB: 65536,
      nvmeDiskSizeInMiB: 915527,
    });
    expect(size('Standard_D2ds_v5').maxResourceVolumeMB).toBe(76800);
  });

  it('when CPU architecture is read, then Arm64 sizes are the p families and have no SMT', () => {
    const arm = CATALOG_SIZES.filter((s) => s.cpuArchitectureType === 'Arm64');
    expect(arm.length).toBeGreaterThan(50);
    expect(arm.filter((s) => s.vCPUsPerCore !== 1).map((s) => s.name)).toEqual([]);
    expect(
      arm.filter((s) => !/^Standard_(D|E|B)\d+[a-z]*p|GB200/.test(s.name)).map((s) => s.name),
    ).toEqual([]);
  });

  it('when retired or unsourced sizes are looked up, then they are not in the catalog', () => {
    for (const gone of ['Standard_NV6', 'Standard_A0', 'Standard_A1', 'Standard_NC6', 'Basic_A0']) {
      expect(catalogSize(gone)).toBeUndefined();
    }
    const excluded = Object.values(CATALOG_EXCLUDED).flatMap((e) => e.sizes);
    expect(excluded).toContain('Standard_NC8ads_A10_v4');
    for (const name of excluded) expect(catalogSize(name)).toBeUndefined();
  });

  it('when sizes are looked up in any letter case, then the same record is found', () => {
    expect(catalogSize('STANDARD_d4S_V5')).toBe(catalogSize('Standard_D4s_v5'));
    expect(catalogFamily('standard ncasv3_t4 family')?.sizes.length).toBeGreaterThan(0);
  });
});

describe('Accelerated Networking tables (shared/data/accelerated-networking.json)', () => {
  const families = new Set(CATALOG_FAMILIES.map((f) => f.family));

  it('when the tables name families, then every one is a catalog family', () => {
    const named = [
      ...AN_REQUIRED_FAMILIES,
      ...MANA_ONLY_FAMILIES,
      ...MANA_ELIGIBLE_EXISTING_FAMILIES,
      ...GPU_CAPABILITY_WITHOUT_AN,
    ].map((e) => e.family);
    expect(named.filter((f) => !families.has(f))).toEqual([]);
  });

  it('when the AN-required table is read, then each entry cites its size page or the Jan 2026 rule, and the manage page', () => {
    expect(AN_SOURCES.anManage?.commit).toMatch(/^[0-9a-f]{40}$/);
    for (const entry of AN_REQUIRED_FAMILIES) {
      expect(entry.cites).toContain('anManage');
      if (entry.basis === 'sizePage') {
        expect(entry.cites).toContain('sizePage');
        expect(entry.sizePage.commit).toMatch(/^[0-9a-f]{40}$/);
        expect(entry.onPage).toMatch(/[Rr]equired/);
      } else {
        expect(entry.cites).toContain('factsFile');
      }
      for (const key of entry.cites) if (key !== 'sizePage') expect(AN_SOURCES[key]).toBeDefined();
      // A family that requires AN has it.
      expect(catalogFamily(entry.family)?.acceleratedNetworkingEnabled).toBe(true);
    }
    expect(anRequiredFamily('standardDSv5Family')?.basis).toBe('sizePage');
    expect(anRequiredFamily('standardEBSv5Family')?.basis).toBe('sizePage');
    expect(anRequiredFamily('standardDASv5Family')?.basis).toBe('generalPurposeV5OrLater');
    expect(anRequiredFamily('standardDSv4Family')).toBeUndefined();
    expect(anRequiredFamily('standardBSFamily')).toBeUndefined();
  });

  it('when the v6 sizes are read, then they are MANA-only, the Intel ones as stated by the MANA page', () => {
    const v6 = CATALOG_FAMILIES.filter(
      (f) =>
        f.acceleratedNetworkingEnabled &&
        f.sizes.some((s) => /^Standard_[DEF]\d+.*_v6$/.test(s.name)),
    );
    expect(v6.length).toBeGreaterThan(15);
    expect(v6.filter((f) => !manaOnlyFamily(f.family)).map((f) => f.family)).toEqual([]);
    expect(manaOnlyFamily('StandardDsv6Family')).toMatchObject({
      basis: 'stated',
      cites: expect.arrayContaining(['manaExistingSizes']),
    });
    for (const entry of MANA_ONLY_FAMILIES) {
      if (entry.basis === 'inferred') expect(entry.why).toMatch(/no size page read says so/);
    }
    expect(manaOnlyFamily('standardDSv5Family')).toBeUndefined();
  });

  it('when existing families are read, then the 34 series of the MANA page map onto catalog families', () => {
    const series = new Set(MANA_ELIGIBLE_EXISTING_FAMILIES.map((e) => e.series));
    expect(series.size).toBe(34);
    expect(manaEligibleExistingFamily('standardDSv5Family')?.series).toBe('Dsv5');
    expect(manaEligibleExistingFamily('standardGSFamily')?.series).toBe('GS');
    expect(manaEligibleExistingFamily('standardDASv5Family')).toBeUndefined();
  });

  it('when marketplace images are matched, then those with the MANA driver are found', () => {
    const hit = (publisher: string, offer: string, sku: string): string | undefined =>
      manaGuestImage({ publisher, offer, sku })?.driver;
    expect(hit('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')).toBe('builtIn');
    expect(hit('canonical', 'ubuntu-24_04-lts', 'server')).toBe('builtIn');
    expect(hit('Canonical', '0001-com-ubuntu-server-focal', '20_04-lts-gen2')).toBeUndefined();
    expect(hit('RedHat', 'RHEL', '8_8')).toBe('builtIn');
    expect(hit('RedHat', 'RHEL', '810-gen2')).toBe('builtIn');
    expect(hit('RedHat', 'RHEL', '94_gen2')).toBe('builtIn');
    expect(hit('RedHat', 'RHEL', '8_7')).toBeUndefined();
    expect(hit('RedHat', 'RHEL', '91-gen2')).toBeUndefined();
    expect(hit('SUSE', 'sles-15-sp4', 'gen2')).toBe('builtIn');
    expect(hit('SUSE', 'sles-15-sp3', 'gen2')).toBeUndefined();
    expect(hit('Debian', 'debian-12', '12-gen2')).toBe('builtIn');
    expect(hit('Debian', 'debian-11', '11-gen2')).toBeUndefined();
    expect(hit('Oracle', 'Oracle-Linux', 'ol94-lvm-gen2')).toBe('kernelDependent');
    expect(hit('MicrosoftWindowsServer', 'WindowsServer', '2022-datacenter-azure-edition')).toBe(
      'mayNeedInstall',
    );
    expect(hit('MicrosoftWindowsServer', 'WindowsServer', '2016-Datacenter')).toBeUndefined();
    for (const image of MANA_GUEST_IMAGES) expect(image.sources.length).toBeGreaterThan(0);
  });

  it('when NC and NV families are read, then the overview note is cited and the API capability is the catalog value', () => {
    expect(AN_SOURCES.anOverview?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(GPU_CAPABILITY_WITHOUT_AN.map((g) => g.family)).toEqual(
      expect.arrayContaining(['standardNCSv3Family', 'Standard NCASv3_T4 Family']),
    );
    for (const g of GPU_CAPABILITY_WITHOUT_AN) {
      const sizes = catalogFamily(g.family)?.sizes ?? [];
      expect(sizes.some((s) => s.acceleratedNetworkingEnabled)).toBe(
        g.apiAcceleratedNetworkingEnabled,
      );
    }
  });
});
