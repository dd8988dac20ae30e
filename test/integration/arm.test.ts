/**
 * The ARM composition root: the real SDK clients it makes ask for tokens for the ARM they
 * talk to (a sovereign cloud's audience, not always management.azure.com).
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';

import type { ArmEmulator } from '../../emulator/server';
import { createArmFactory } from '../../shared/arm/clients';
import { admin, emulatorForTest, SUB } from '../support/arm';

const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

describe('createArmFactory', () => {
  let em: ArmEmulator;
  beforeAll(async () => {
    em = await emulatorForTest();
    const seeded = await admin(em, 'POST', '/_emulator/seed?events=false', {
      subscriptionId: SUB,
      location: 'westus2',
      resourceGroups: [
        {
          name: 'rg-scope',
          vms: [{ name: 'web', size: 'Standard_D4s_v5', osType: 'Linux', image: JAMMY }],
        },
      ],
    });
    expect(seeded).toMatchObject({ status: 201 });
  });
  afterAll(() => em.stop());

  test('when each client calls ARM, then it asks for a token scoped to that ARM endpoint', async () => {
    const asked: string[] = [];
    const credential: TokenCredential = {
      getToken: (scopes): Promise<AccessToken> => {
        asked.push(...(Array.isArray(scopes) ? scopes : [scopes]));
        return Promise.resolve({ token: 'scope-test', expiresOnTimestamp: Date.now() + 60_000 });
      },
    };
    const ports = createArmFactory({ endpoint: em.url, credential, caPem: em.caPem })(SUB);
    const vm = await ports.compute.virtualMachines.get('rg-scope', 'web');
    const nics = [];
    for await (const nic of ports.network.networkInterfaces.list('rg-scope')) nics.push(nic);
    const group = await ports.resources.resourceGroups.get('rg-scope');

    expect(vm.name).toBe('web');
    expect(nics).toHaveLength(1);
    expect(group.name).toBe('rg-scope');
    expect(new Set(asked)).toEqual(new Set([`${em.url}/.default`]));
  });
});
