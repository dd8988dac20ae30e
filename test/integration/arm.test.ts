/**
 * The ARM composition root: the real SDK clients it makes ask for tokens for the ARM they
 * talk to (a sovereign cloud's audience, not always management.azure.com).
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';

import type { ArmEmulator } from '../../emulator/server';
import { createArmFactory } from '../../shared/arm/clients';
import { emulatorForTest, SUB } from '../support/arm';
import { seedGroup } from '../support/seed';

describe('createArmFactory', () => {
  let em: ArmEmulator;
  beforeAll(async () => {
    em = await emulatorForTest();
    await seedGroup(em, 'rg-scope', [{ name: 'web', osType: 'Linux' }], { events: false });
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
