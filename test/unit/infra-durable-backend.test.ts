/**
 * The durable backend, a deployment choice (infra/azuredeploy.json's durableBackend): Azure
 * Storage by default, exactly as before, or the Durable Task Scheduler with its scheduler, task
 * hub, role and connection setting; and the host.json the package step ships for each, which
 * must agree with the template (the backend is chosen in the deployed host.json itself).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  allResources,
  type ArmResource,
  type ArmTemplate,
  mainTemplate,
  readJson,
} from '../support/infra';

const root = path.resolve(__dirname, '../..');
const template = mainTemplate();

/**
 * Microsoft.DurableTask's newest stable API version that azure-rest-api-specs' readme lists
 * (specification/durabletask/resource-manager/Microsoft.DurableTask/DurableTask, tag
 * package-2026-02-01, read 2026-12-03), whose SchedulerSkuName is Dedicated | Consumption.
 */
const DURABLE_TASK_API = '2026-02-01';
/** Built-in role "Durable Task Data Contributor". */
const DURABLE_TASK_DATA_CONTRIBUTOR = '0ad04412-c4d5-4796-b79c-f76d14c8d402';
const CONNECTION_SETTING = 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING';
const USE_SCHEDULER = "[variables('useScheduler')]";
const IDENTITY =
  "resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))";
const TASK_HUB_ID =
  "resourceId('Microsoft.DurableTask/schedulers/taskHubs', variables('schedulerName'), variables('taskHubName'))";

const ofType = (type: string): ArmResource[] =>
  allResources(template)
    .map((r) => r.resource)
    .filter((r) => r.type.toLowerCase() === type.toLowerCase());

const only = (type: string): ArmResource => {
  const found = ofType(type);
  expect(found).toHaveLength(1);
  return found[0]!;
};

const schedulerRole = (): ArmResource => {
  const roles = ofType('Microsoft.Authorization/roleAssignments').filter(
    (r) => typeof r.scope === 'string' && r.scope.includes('Microsoft.DurableTask/'),
  );
  expect(roles).toHaveLength(1);
  return roles[0]!;
};

interface NestedDeployment {
  parameters: Record<string, { value: unknown }>;
  template: ArmTemplate;
}
const appSettingsDeployment = (): { resource: ArmResource; nested: NestedDeployment } => {
  const resource = template.resources.find(
    (r) => r.type === 'Microsoft.Resources/deployments' && r.name.includes("'{0}-app-settings'"),
  )!;
  return { resource, nested: resource.properties as unknown as NestedDeployment };
};

/** host.json as `npm run package -- --durable-backend <backend>` writes it into the package. */
function packagedHostJson(backend: string): string {
  const result = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { hostJsonFor } from './scripts/package.mjs'; process.stdout.write(hostJsonFor(${JSON.stringify(backend)}));`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`hostJsonFor(${backend}) failed: ${result.stderr}`);
  return result.stdout;
}

interface HostJson {
  extensionBundle: { id: string; version: string };
  extensions: {
    durableTask: { hubName: string; storageProvider?: Record<string, unknown> } & Record<
      string,
      unknown
    >;
  };
  [key: string]: unknown;
}

/** The lower bound of an extension bundle range like "[4.32.0, 5.0.0)" or "[4.*, 5.0.0)". */
function bundleRange(range: string): { from: number[]; below: number[] } {
  const m = /^\[([\d.*]+),\s*([\d.]+)\)$/.exec(range);
  if (!m) throw new Error(`not a bundle range: ${range}`);
  const parts = (v: string): number[] => v.split('.').map((p) => (p === '*' ? 0 : Number(p)));
  return { from: parts(m[1]!), below: parts(m[2]!) };
}
const atLeast = (a: number[], b: number[]): boolean => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
};

describe('durable backend parameter', () => {
  test('when the template is read, then durableBackend defaults to Azure Storage and offers the Durable Task Scheduler', () => {
    expect(template.parameters?.durableBackend).toMatchObject({
      type: 'string',
      defaultValue: 'AzureStorage',
      allowedValues: ['AzureStorage', 'DurableTaskScheduler'],
    });
    expect(template.variables?.useScheduler).toBe(
      "[equals(parameters('durableBackend'), 'DurableTaskScheduler')]",
    );
    const file = readJson<{ parameters: Record<string, { value: unknown }> }>(
      'azuredeploy.parameters.json',
    );
    expect(file.parameters.durableBackend).toEqual({ value: 'AzureStorage' });
  });

  test('when the scheduler SKU is chosen, then it is one the API knows, Consumption by default, with capacity units only on Dedicated', () => {
    expect(template.parameters?.schedulerSku).toMatchObject({
      defaultValue: 'Consumption',
      allowedValues: ['Consumption', 'Dedicated'],
    });
    expect(template.parameters?.schedulerCapacity).toMatchObject({
      type: 'int',
      defaultValue: 1,
      minValue: 1,
      maxValue: 3,
    });
    const scheduler = only('Microsoft.DurableTask/schedulers');
    expect(scheduler.properties).toEqual({
      ipAllowlist: ['0.0.0.0/0'],
      sku: "[if(equals(parameters('schedulerSku'), 'Dedicated'), createObject('name', 'Dedicated', 'capacity', parameters('schedulerCapacity')), createObject('name', 'Consumption'))]",
    });
  });
});

describe('durableBackend=AzureStorage (the default)', () => {
  test('when the backend is Azure Storage, then every scheduler resource and its role are left out', () => {
    const scheduled = allResources(template)
      .map((r) => r.resource)
      .filter(
        (r) =>
          r.type.startsWith('Microsoft.DurableTask/') ||
          (typeof r.scope === 'string' && r.scope.includes('Microsoft.DurableTask/')),
      );
    expect(scheduled.map((r) => r.type).sort()).toEqual([
      'Microsoft.Authorization/roleAssignments',
      'Microsoft.DurableTask/schedulers',
      'Microsoft.DurableTask/schedulers/taskHubs',
    ]);
    for (const resource of scheduled) expect(resource.condition).toBe(USE_SCHEDULER);
  });

  test('when the backend is Azure Storage, then the app settings are the ones it had (no scheduler setting, no host.json override) and the site is unchanged', () => {
    const { nested } = appSettingsDeployment();
    const settings = nested.parameters.appSettings!.value as Record<string, string>;
    expect(Object.keys(settings).filter((k) => /DURABLE|AzureFunctionsJobHost/i.test(k))).toEqual(
      [],
    );
    // Empty unless the scheduler is deployed: union(appSettings, {}, ...) is what was deployed.
    expect(nested.parameters.durableSettings!.value).toMatch(
      new RegExp(`^\\[if\\(variables\\('useScheduler'\\), .+, createObject\\(\\)\\)\\]$`),
    );
    expect(nested.template.resources[0]!.properties).toBe(
      "[union(parameters('appSettings'), parameters('durableSettings'), if(parameters('isFlex'), createObject(), parameters('premiumRuntimeSettings')))]",
    );
    const site = only('Microsoft.Web/sites');
    const siteConfig = (site.properties as { siteConfig: Record<string, unknown> }).siteConfig;
    expect(siteConfig.functionsRuntimeScaleMonitoringEnabled).toBe(
      "[if(and(variables('useScheduler'), not(variables('isFlex'))), true(), null())]",
    );
    expect(site.dependsOn as string[]).not.toEqual(
      expect.arrayContaining([expect.stringContaining('DurableTask')]),
    );
  });

  test('when the package is built for Azure Storage, then host.json is shipped byte for byte, on the default provider', () => {
    const own = readFileSync(path.join(root, 'host.json'), 'utf8');
    expect(packagedHostJson('AzureStorage')).toBe(own);
    const host = JSON.parse(own) as HostJson;
    expect(host.extensions.durableTask.storageProvider?.type).toBeUndefined();
    expect(host.extensions.durableTask.storageProvider).toEqual({ partitionCount: 4 });
  });
});

describe('durableBackend=DurableTaskScheduler', () => {
  test('when the scheduler is deployed, then it is a Microsoft.DurableTask scheduler at the current stable API version, named after the app within the API pattern', () => {
    const scheduler = only('Microsoft.DurableTask/schedulers');
    expect(scheduler).toMatchObject({
      apiVersion: DURABLE_TASK_API,
      name: "[variables('schedulerName')]",
      location: "[parameters('schedulerLocation')]",
    });
    expect(template.variables?.schedulerName).toBe("[format('{0}-dts', parameters('appName'))]");
    // ^[a-zA-Z0-9-]{3,64}$: the longest app name plus "-dts" still fits.
    expect(Number(template.parameters?.appName?.maxLength) + '-dts'.length).toBeLessThanOrEqual(64);
    expect(template.parameters?.schedulerLocation?.defaultValue).toBe("[parameters('location')]");
  });

  test("when the task hub is deployed, then it is the hub the package's host.json names, in that scheduler", () => {
    const hub = only('Microsoft.DurableTask/schedulers/taskHubs');
    expect(hub).toMatchObject({
      apiVersion: DURABLE_TASK_API,
      name: "[format('{0}/{1}', variables('schedulerName'), variables('taskHubName'))]",
      dependsOn: ["[resourceId('Microsoft.DurableTask/schedulers', variables('schedulerName'))]"],
    });
    const host = JSON.parse(packagedHostJson('DurableTaskScheduler')) as HostJson;
    expect(template.variables?.taskHubName).toBe(host.extensions.durableTask.hubName);
  });

  test("when the app runs on the scheduler, then its identity holds Durable Task Data Contributor on the task hub only, and the app's settings wait for it", () => {
    expect(template.variables?.durableTaskDataContributor).toBe(DURABLE_TASK_DATA_CONTRIBUTOR);
    const role = schedulerRole();
    expect(role.scope).toBe(
      "[format('Microsoft.DurableTask/schedulers/{0}/taskHubs/{1}', variables('schedulerName'), variables('taskHubName'))]",
    );
    expect(role.properties).toMatchObject({
      roleDefinitionId:
        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('durableTaskDataContributor'))]",
      principalId: `[reference(${IDENTITY}, '2023-01-31').principalId]`,
      principalType: 'ServicePrincipal',
    });
    expect(role.dependsOn).toEqual(expect.arrayContaining([`[${TASK_HUB_ID}]`, `[${IDENTITY}]`]));
    const name = /^\[(guid\(.+\))\]$/.exec(role.name)?.[1];
    expect(name).toBeDefined();
    const { resource } = appSettingsDeployment();
    expect(resource.dependsOn).toContain(
      `[extensionResourceId(${TASK_HUB_ID}, 'Microsoft.Authorization/roleAssignments', ${name})]`,
    );
  });

  test("when the app runs on the scheduler, then it gets the scheduler's endpoint, as its user-assigned identity, under the setting the package's host.json reads", () => {
    const { nested } = appSettingsDeployment();
    expect(nested.parameters.durableSettings!.value).toBe(
      `[if(variables('useScheduler'), createObject('${CONNECTION_SETTING}', format('Endpoint={0};Authentication=ManagedIdentity;ClientID={1}', reference(resourceId('Microsoft.DurableTask/schedulers', variables('schedulerName')), '${DURABLE_TASK_API}').endpoint, reference(${IDENTITY}, '2023-01-31').clientId)), createObject())]`,
    );
    const host = JSON.parse(packagedHostJson('DurableTaskScheduler')) as HostJson;
    expect(host.extensions.durableTask.storageProvider).toEqual({
      type: 'azureManaged',
      connectionStringName: CONNECTION_SETTING,
    });
    // Storage stays: AzureWebJobsStorage for the host, and the app's own tables.
    const settings = nested.parameters.appSettings!.value as Record<string, string>;
    expect(settings.AzureWebJobsStorage).toBeDefined();
  });

  test('when the package is built for the scheduler, then host.json changes only its storage provider and an extension bundle that carries the azureManaged provider', () => {
    const own = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as HostJson;
    const scheduler = JSON.parse(packagedHostJson('DurableTaskScheduler')) as HostJson;
    const strip = (h: HostJson): unknown => {
      const { storageProvider: _provider, ...durable } = h.extensions.durableTask;
      const { extensionBundle: _bundle, ...rest } = h;
      return { ...rest, extensions: { ...h.extensions, durableTask: durable } };
    };
    expect(strip(scheduler)).toEqual(strip(own));
    // Microsoft's quickstart asks for bundle 4.32.0 or later; both ranges stay within v4.
    expect(scheduler.extensionBundle.id).toBe(own.extensionBundle.id);
    const needed = bundleRange(scheduler.extensionBundle.version);
    expect(atLeast(needed.from, [4, 32, 0])).toBe(true);
    expect(needed.below).toEqual([5, 0, 0]);
    // The project's own range, [4.*, 5.0.0), lets Azure take the newest 4.x bundle, which has it.
    expect(bundleRange(own.extensionBundle.version).below).toEqual([5, 0, 0]);
    // The overlay in infra/ is what the package step applies.
    const overlay = readJson<Pick<HostJson, 'extensionBundle' | 'extensions'>>(
      'host.durable-task-scheduler.json',
    );
    expect(scheduler.extensionBundle).toEqual(overlay.extensionBundle);
    expect(scheduler.extensions.durableTask.storageProvider).toEqual(
      overlay.extensions.durableTask.storageProvider,
    );
  });

  test('when the app runs on Elastic Premium with the scheduler, then runtime scale monitoring is on, so the plan scales on the task hub', () => {
    const site = only('Microsoft.Web/sites');
    const siteConfig = (site.properties as { siteConfig: Record<string, unknown> }).siteConfig;
    expect(siteConfig.functionsRuntimeScaleMonitoringEnabled).toBe(
      "[if(and(variables('useScheduler'), not(variables('isFlex'))), true(), null())]",
    );
  });

  test('when the deployment ends, then it says which backend it deployed, how to build the matching package and where the dashboard is', () => {
    const outputs = template.outputs as Record<string, { type: string; value: string }>;
    expect(outputs.durableBackend).toEqual({
      type: 'string',
      value: "[parameters('durableBackend')]",
    });
    expect(outputs.packageCommand!.value).toBe(
      "[if(variables('useScheduler'), 'npm run package -- --durable-backend DurableTaskScheduler', 'npm run package')]",
    );
    expect(outputs.schedulerDashboardUrl!.value).toBe(
      `[if(variables('useScheduler'), reference(${TASK_HUB_ID}, '${DURABLE_TASK_API}').dashboardUrl, '')]`,
    );
  });
});
