/**
 * The deployment in infra/: the ARM template's app settings, Event Grid subscription, Logic
 * App and references, checked against the code they deploy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { nativeModule } from '../../host/core';
import { loadApp } from '../../host/registry';
import { SETTINGS } from '../../shared/platform/config';
import {
  allResources,
  type ArmResource,
  type ArmTemplate,
  mainTemplate,
  readJson,
  resourceOfType,
} from '../support/infra';

/** What the Functions runtime and the platform need besides the service's own settings. */
const RUNTIME_SETTINGS = ['APPLICATIONINSIGHTS_CONNECTION_STRING', 'AZURE_CLIENT_ID'];
/** Elastic Premium only: Flex Consumption takes the runtime from functionAppConfig. */
const PREMIUM_RUNTIME_SETTINGS = [
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_RUN_FROM_PACKAGE',
];
/**
 * Settings of the approvals, being added to shared/platform/config.ts alongside this template; once
 * SETTINGS has them this list adds nothing.
 */
const APPROVAL_SETTINGS = [
  'ACCELNET_APPROVAL_SECRET',
  'ACCELNET_PUBLIC_URL',
  'ACCELNET_APPROVALS_TABLE',
];
/** Generated per deployment rather than defaulted (see the secrets test). */
const GENERATED = ['ACCELNET_FUNCTION_KEY', 'ACCELNET_APPROVAL_SECRET'];

const EIGHT_FIELDS = [
  'instanceId',
  'vmId',
  'vmName',
  'size',
  'plan',
  'approveUrl',
  'rejectUrl',
  'expiresAt',
];

const template = mainTemplate();
const definition = readJson<Record<string, unknown>>('logic-app-approval.json');

interface NestedDeployment {
  parameters: Record<string, { value: unknown }>;
  template: ArmTemplate;
}
const nested = (suffix: string): NestedDeployment => {
  const found = template.resources.filter(
    (r) =>
      r.type === 'Microsoft.Resources/deployments' &&
      typeof r.name === 'string' &&
      r.name.includes(`'{0}-${suffix}'`),
  );
  expect(found).toHaveLength(1);
  return found[0]!.properties as unknown as NestedDeployment;
};
const appSettingsDeployment = nested('app-settings');
const appSettings = appSettingsDeployment.parameters.appSettings!.value as Record<string, string>;
const premiumSettings = appSettingsDeployment.parameters.premiumRuntimeSettings!.value as Record<
  string,
  string
>;

describe('app settings', () => {
  test('when the template is read, then the app settings are every setting shared/platform/config.ts reads plus the runtime ones', () => {
    const expected = new Set([
      ...Object.keys(SETTINGS),
      ...APPROVAL_SETTINGS,
      ...RUNTIME_SETTINGS,
      ...PREMIUM_RUNTIME_SETTINGS,
    ]);
    expect(new Set([...Object.keys(appSettings), ...Object.keys(premiumSettings)])).toEqual(
      expected,
    );
    expect(Object.keys(premiumSettings).sort()).toEqual([...PREMIUM_RUNTIME_SETTINGS].sort());
    expect(premiumSettings).toMatchObject({
      FUNCTIONS_EXTENSION_VERSION: '~4',
      FUNCTIONS_WORKER_RUNTIME: 'node',
    });
  });

  test('when the plan is Flex Consumption, then the runtime is Node 24 in functionAppConfig and no FUNCTIONS_* setting is sent; on Elastic Premium, linuxFxVersion is Node|24', () => {
    const config = appSettingsDeployment.template.resources[0]!;
    expect(config.type).toBe('Microsoft.Web/sites/config');
    expect(config.properties).toBe(
      "[union(parameters('appSettings'), parameters('durableSettings'), if(parameters('isFlex'), createObject(), parameters('premiumRuntimeSettings')))]",
    );
    expect(Object.keys(appSettings).filter((k) => k.startsWith('FUNCTIONS_'))).toEqual([]);
    expect(template.variables?.nodeVersion).toBe('24');
    const flex = template.variables?.flexFunctionAppConfig as { runtime: unknown };
    expect(flex.runtime).toEqual({ name: 'node', version: "[variables('nodeVersion')]" });
    const { resource: site } = resourceOfType(template, 'Microsoft.Web/sites');
    const siteConfig = (site.properties as { siteConfig: Record<string, unknown> }).siteConfig;
    expect(siteConfig.linuxFxVersion).toBe(
      "[if(variables('isFlex'), null(), format('Node|{0}', variables('nodeVersion')))]",
    );
    expect(site.kind).toBe('functionapp,linux');
    expect(template.parameters?.hostingPlan).toMatchObject({
      defaultValue: 'FlexConsumption',
      allowedValues: ['FlexConsumption', 'ElasticPremium'],
    });
  });

  test('when a setting comes from a template parameter, then the parameter defaults to the default shared/platform/config.ts has', () => {
    expect(appSettings.ACCELNET_MODE).toBe("[parameters('mode')]");
    expect(template.parameters?.mode?.defaultValue).toBe('report');
    const fromParameter = (value: string): string | undefined =>
      /^\[(?:string\()?parameters\('(\w+)'\)\)?\]$/.exec(value)?.[1] ??
      /^\[if\(parameters\('(\w+)'\), 'true', 'false'\)\]$/.exec(value)?.[1];
    const checked: string[] = [];
    for (const [name, spec] of Object.entries(SETTINGS)) {
      const value = appSettings[name];
      const parameter = value === undefined ? undefined : fromParameter(value);
      if (parameter === undefined) continue;
      const declared = template.parameters?.[parameter];
      expect(declared).toBeDefined();
      if (GENERATED.includes(name)) continue;
      expect(`${name}=${String(declared?.defaultValue)}`).toBe(`${name}=${spec.default}`);
      checked.push(name);
    }
    expect(checked).toEqual(expect.arrayContaining(['ACCELNET_MODE', 'ACCELNET_APPROVAL_TIMEOUT']));
  });

  test('when secrets are deployed, then they come from secure parameters that are generated when not given', () => {
    for (const [setting, parameter] of [
      ['ACCELNET_FUNCTION_KEY', 'functionKey'],
      ['ACCELNET_APPROVAL_SECRET', 'approvalSecret'],
    ] as const) {
      expect(appSettings[setting]).toBe(`[parameters('${parameter}')]`);
      expect(template.parameters?.[parameter]?.type.toLowerCase()).toBe('securestring');
      expect(String(template.parameters?.[parameter]?.defaultValue)).toContain('newGuid()');
    }
    const inner = appSettingsDeployment.template.parameters ?? {};
    expect(inner.appSettings?.type).toBe('secureObject');
    // No secret: the scheduler's endpoint and the identity's client id.
    expect(inner.durableSettings?.type).toBe('object');
    expect(inner.premiumRuntimeSettings?.type).toBe('secureObject');
  });

  test('when the app authenticates, then it is as the user-assigned identity, whose principal id is also the one whose writes it ignores', () => {
    const identity =
      "resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))";
    expect(appSettings.AZURE_CLIENT_ID).toBe(`[reference(${identity}, '2023-01-31').clientId]`);
    expect(appSettings.ACCELNET_SELF_PRINCIPAL_ID).toBe(
      `[reference(${identity}, '2023-01-31').principalId]`,
    );
    const { resource: site } = resourceOfType(template, 'Microsoft.Web/sites');
    expect(site.identity).toEqual({
      type: 'UserAssigned',
      userAssignedIdentities: { [`[${identity}]`]: {} },
    });
  });
});

/** Whether a version satisfies an npm engines range made of `^X.Y.Z` parts joined by `||`. */
function satisfiesCaretRanges(version: string, range: string): boolean {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  return range.split('||').some((part) => {
    const m = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`engines range part ${part} is not ^X.Y.Z`);
    const [, a, b, c] = m.map(Number) as [number, number, number, number];
    return major === a && (minor > b || (minor === b && patch >= c));
  });
}

describe('Node.js runtime', () => {
  const root = path.resolve(__dirname, '../..');
  const engines = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    }
  ).engines.node;
  const ciVersion = /^VERSION="\$\{ACCELNET_CI_NODE_VERSION:-(\d+\.\d+\.\d+)\}"$/m.exec(
    readFileSync(path.join(root, '.ci/install-node'), 'utf8'),
  )?.[1];

  test('when CI installs its second Node, then it is the major version the template deploys, and package.json admits it', () => {
    expect(ciVersion).toBeDefined();
    expect(ciVersion!.split('.')[0]).toBe(template.variables?.nodeVersion);
    expect(satisfiesCaretRanges(ciVersion!, engines)).toBe(true);
  });

  test("when npm installs the project on this machine's Node 20, then engines admits it (no EBADENGINE), and nothing older", () => {
    expect(satisfiesCaretRanges('20.20.2', engines)).toBe(true);
    expect(satisfiesCaretRanges('20.18.0', engines)).toBe(false);
    expect(satisfiesCaretRanges('18.20.0', engines)).toBe(false);
  });
});

describe('Event Grid', () => {
  test('when the event subscription is read, then it targets the registered Event Grid function of the app', async () => {
    const entry = path.resolve(__dirname, '../../functions/index.ts');
    const registry = await loadApp(entry);
    const eventGridFunctions = [...registry.functions.values()]
      .filter((f) => f.triggerType === 'eventGridTrigger')
      .map((f) => f.name);
    // The app's own name constant, from the module the loader just loaded.
    const names = (
      nativeModule().createRequire(entry)(entry) as {
        FUNCTION_NAMES: { vmWriteEvents: string };
      }
    ).FUNCTION_NAMES;
    expect(eventGridFunctions).toEqual([names.vmWriteEvents]);

    const { resource } = resourceOfType(
      template,
      'Microsoft.EventGrid/systemTopics/eventSubscriptions',
    );
    const destination = (
      resource.properties as {
        destination: { endpointType: string; properties: Record<string, unknown> };
      }
    ).destination;
    expect(destination.endpointType).toBe('AzureFunction');
    expect(destination.properties.resourceId).toBe(
      "[format('{0}/functions/{1}', resourceId('Microsoft.Web/sites', parameters('appName')), variables('eventFunctionName'))]",
    );
    expect(template.variables?.eventFunctionName).toBe(names.vmWriteEvents);
  });

  test('when the event subscription is read, then it takes only successful VM writes, from the subscription topic', () => {
    const { resource } = resourceOfType(
      template,
      'Microsoft.EventGrid/systemTopics/eventSubscriptions',
    );
    const filter = (
      resource.properties as {
        filter: {
          includedEventTypes: string[];
          advancedFilters: { operatorType: string; key: string; values: string[] }[];
        };
      }
    ).filter;
    expect(filter.includedEventTypes).toEqual(['Microsoft.Resources.ResourceWriteSuccess']);
    expect(filter.advancedFilters).toContainEqual({
      operatorType: 'StringIn',
      key: 'data.operationName',
      values: ['Microsoft.Compute/virtualMachines/write'],
    });
    const { resource: topic } = resourceOfType(template, 'Microsoft.EventGrid/systemTopics');
    expect(topic.properties).toEqual({
      source: '[subscription().id]',
      topicType: 'Microsoft.Resources.Subscriptions',
    });
  });

  test('when the template is deployed the first time, then the event subscription waits for the second pass (the function must exist first)', () => {
    const { resource } = resourceOfType(
      template,
      'Microsoft.EventGrid/systemTopics/eventSubscriptions',
    );
    expect(resource.condition).toBe("[parameters('deployEventSubscription')]");
    expect(template.parameters?.deployEventSubscription).toMatchObject({
      type: 'bool',
      defaultValue: false,
    });
  });
});

describe('approval Logic App', () => {
  const workflow = (): ArmResource =>
    resourceOfType(template, 'Microsoft.Logic/workflows').resource;

  test('when the template is read, then the Logic App runs the definition in infra/logic-app-approval.json', () => {
    expect((workflow().properties as { definition: unknown }).definition).toEqual(definition);
  });

  test('when the service posts an approval request, then the trigger requires the eight fields it sends', () => {
    const trigger = (definition.triggers as Record<string, Record<string, unknown>>).manual!;
    expect(trigger).toMatchObject({ type: 'Request', kind: 'Http' });
    const schema = (trigger.inputs as { schema: { required: string[]; properties: object } })
      .schema;
    expect([...schema.required].sort()).toEqual([...EIGHT_FIELDS].sort());
    expect(Object.keys(schema.properties).sort()).toEqual([...EIGHT_FIELDS].sort());
    expect(schema.properties).toMatchObject({ plan: { type: 'object' } });
  });

  test('when the approver answers, then Approve calls the approve link and anything else the reject link, and a timeout calls neither', () => {
    const actions = definition.actions as Record<string, Record<string, unknown>>;
    expect(Object.keys(actions).sort()).toEqual(['Condition', 'Send_approval_email']);
    const email = actions.Send_approval_email!;
    expect(email).toMatchObject({
      type: 'ApiConnectionWebhook',
      inputs: {
        path: '/approvalmail/$subscriptions',
        body: {
          NotificationUrl: '@{listCallbackUrl()}',
          Message: {
            To: "@parameters('approverEmail')",
            Options: 'Approve, Reject',
            Importance: 'Normal',
          },
        },
      },
      limit: { timeout: "@parameters('approvalTimeout')" },
    });
    const condition = actions.Condition!;
    expect(condition).toMatchObject({
      type: 'If',
      runAfter: { Send_approval_email: ['Succeeded'] },
      expression: "@equals(body('Send_approval_email')?['SelectedOption'], 'Approve')",
      actions: {
        Call_approve: {
          type: 'Http',
          inputs: { method: 'POST', uri: "@triggerBody()?['approveUrl']" },
        },
      },
      else: {
        actions: {
          Call_reject: {
            type: 'Http',
            inputs: { method: 'POST', uri: "@triggerBody()?['rejectUrl']" },
          },
        },
      },
    });
  });

  test('when the Logic App is deployed, then its parameters come from the template, the email waits as long as the service, and the service posts to its trigger', () => {
    const supplied = (workflow().properties as { parameters: Record<string, { value: unknown }> })
      .parameters;
    const declared = definition.parameters as Record<string, unknown>;
    expect(Object.keys(supplied).sort()).toEqual(Object.keys(declared).sort());
    expect(supplied.approvalTimeout).toEqual({ value: "[parameters('approvalTimeout')]" });
    expect(appSettings.ACCELNET_APPROVAL_TIMEOUT).toBe("[parameters('approvalTimeout')]");
    expect(supplied.approverEmail).toEqual({ value: "[parameters('approverEmail')]" });
    expect(supplied.$connections).toMatchObject({
      value: {
        office365: {
          connectionId:
            "[resourceId('Microsoft.Web/connections', variables('office365ConnectionName'))]",
        },
      },
    });
    const { resource: connection } = resourceOfType(template, 'Microsoft.Web/connections');
    expect(connection.properties).toMatchObject({
      api: {
        id: "[subscriptionResourceId('Microsoft.Web/locations/managedApis', parameters('location'), 'office365')]",
      },
    });
    expect(appSettings.ACCELNET_APPROVAL_WEBHOOK_URL).toBe(
      "[listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', variables('logicAppName'), 'manual'), '2019-05-01').value]",
    );
  });

  test('when the definition uses a workflow parameter, then it declares it', () => {
    const used = new Set(
      [...JSON.stringify(definition).matchAll(/parameters\('([^']+)'\)/g)].map((m) => m[1]),
    );
    expect([...used].sort()).toEqual(Object.keys(definition.parameters as object).sort());
  });
});

/** Every `[...]` ARM expression string under a value, not descending into nested templates. */
function expressions(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.startsWith('[') && !value.startsWith('[[')) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) expressions(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      expressions(key, out);
      expressions(v, out);
    }
  }
  return out;
}

/** A template with its nested templates cut out (they are checked in their own scope). */
function ownScope(t: ArmTemplate): {
  scope: unknown;
  nested: { deployment: ArmResource; template: ArmTemplate }[];
} {
  const nestedTemplates: { deployment: ArmResource; template: ArmTemplate }[] = [];
  const resources = t.resources.map((r) => {
    const inner = (r.properties as { template?: ArmTemplate } | undefined)?.template;
    if (r.type !== 'Microsoft.Resources/deployments' || !inner) return r;
    nestedTemplates.push({ deployment: r, template: inner });
    const { template: _cut, ...properties } = r.properties as Record<string, unknown>;
    return { ...r, properties };
  });
  // The Logic App definition's @-expressions are not ARM's; its own test checks them.
  const scope = { ...t, resources };
  return { scope, nested: nestedTemplates };
}

function checkTemplate(t: ArmTemplate, where: string): void {
  expect(t.$schema).toMatch(
    /^https:\/\/schema\.management\.azure\.com\/schemas\/.+Template\.json#$/,
  );
  expect(t.contentVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  const { scope, nested: inner } = ownScope(t);
  const all = expressions(scope);
  expect(all.length).toBeGreaterThan(0);
  const unresolved: string[] = [];
  for (const expression of all) {
    // Balanced parentheses outside quotes, and the expression closes once.
    let depth = 0;
    let quoted = false;
    for (const ch of expression.slice(1, -1)) {
      if (ch === "'") quoted = !quoted;
      else if (!quoted && ch === '(') depth++;
      else if (!quoted && ch === ')') depth--;
      if (depth < 0) break;
    }
    if (depth !== 0 || quoted || !expression.endsWith(']'))
      unresolved.push(`${where}: malformed ${expression}`);
    for (const [, kind, name] of expression.matchAll(/\b(parameters|variables)\('([^']+)'\)/g)) {
      const declared = kind === 'parameters' ? t.parameters : t.variables;
      if (!declared || !(name! in declared)) unresolved.push(`${where}: ${kind}('${name}')`);
    }
  }
  expect(unresolved).toEqual([]);
  for (const { deployment, template: nestedTemplate } of inner) {
    const properties = deployment.properties as {
      expressionEvaluationOptions?: { scope?: string };
      parameters?: Record<string, unknown>;
    };
    expect(properties.expressionEvaluationOptions?.scope).toBe('inner');
    const required = Object.entries(nestedTemplate.parameters ?? {})
      .filter(([, p]) => p.defaultValue === undefined)
      .map(([n]) => n);
    const given = Object.keys(properties.parameters ?? {});
    expect(given.filter((n) => !(n in (nestedTemplate.parameters ?? {})))).toEqual([]);
    expect(required.filter((n) => !given.includes(n))).toEqual([]);
    checkTemplate(nestedTemplate, `${where} > ${deployment.name}`);
  }
}

describe('template validity', () => {
  test('when the template is read, then it has a schema and content version, and every parameter and variable it references is declared, in its own scope', () => {
    expect(template.$schema).toBe(
      'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    );
    checkTemplate(template, 'azuredeploy.json');
  });

  test('when a resource depends on another, then that resource is in the same template', () => {
    for (const { resource, template: t } of allResources(template)) {
      for (const dependency of (resource.dependsOn as string[] | undefined) ?? []) {
        const type = /^\[(?:subscription)?[rR]esourceId\('([^']+)'/.exec(dependency)?.[1];
        const extensionType = /'(Microsoft\.Authorization\/roleAssignments)'/.exec(dependency)?.[1];
        const wanted = type ?? extensionType;
        expect(wanted).toBeDefined();
        expect(t.resources.map((r) => r.type)).toContain(wanted);
      }
    }
  });

  test('when the parameters file is read, then it sets only declared parameters and every required one', () => {
    const file = readJson<{ $schema: string; parameters: Record<string, { value: unknown }> }>(
      'azuredeploy.parameters.json',
    );
    expect(file.$schema).toBe(
      'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
    );
    const declared = template.parameters ?? {};
    expect(Object.keys(file.parameters).filter((n) => !(n in declared))).toEqual([]);
    const required = Object.entries(declared)
      .filter(([, p]) => p.defaultValue === undefined)
      .map(([n]) => n);
    expect(required.filter((n) => !(n in file.parameters))).toEqual([]);
    for (const [name, { value }] of Object.entries(file.parameters)) {
      const allowed = declared[name]?.allowedValues as unknown[] | undefined;
      if (allowed) expect(allowed).toContain(value);
    }
  });
});
