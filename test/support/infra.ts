/** Reading the ARM template in infra/ for tests: resources by type, nested templates. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const INFRA_DIR = path.resolve(__dirname, '../../infra');

export interface ArmResource {
  type: string;
  name: string;
  apiVersion?: string;
  condition?: unknown;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ArmTemplate {
  $schema: string;
  contentVersion: string;
  parameters?: Record<string, { type: string; defaultValue?: unknown; [key: string]: unknown }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[];
  outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(INFRA_DIR, file), 'utf8')) as T;
}

export const mainTemplate = (): ArmTemplate => readJson<ArmTemplate>('azuredeploy.json');

/** Every resource of the template and of its nested deployments, with the template it is in. */
export function allResources(
  template: ArmTemplate,
): { resource: ArmResource; template: ArmTemplate }[] {
  const out: { resource: ArmResource; template: ArmTemplate }[] = [];
  const walk = (t: ArmTemplate): void => {
    for (const resource of t.resources) {
      out.push({ resource, template: t });
      const nested = (resource.properties as { template?: ArmTemplate } | undefined)?.template;
      if (resource.type === 'Microsoft.Resources/deployments' && nested) walk(nested);
    }
  };
  walk(template);
  return out;
}

/** The one resource of a type (throws when there is not exactly one). */
export function resourceOfType(
  template: ArmTemplate,
  type: string,
): { resource: ArmResource; template: ArmTemplate } {
  const found = allResources(template).filter(
    (r) => r.resource.type.toLowerCase() === type.toLowerCase(),
  );
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The actions of the custom role the template defines for the service's identity. */
export function roleActions(template: ArmTemplate = mainTemplate()): string[] {
  const { resource } = resourceOfType(template, 'Microsoft.Authorization/roleDefinitions');
  const permissions = (resource.properties as { permissions: { actions: unknown }[] }).permissions;
  const actions = permissions[0]?.actions;
  if (!Array.isArray(actions)) throw new Error('the role lists its actions literally');
  return actions.map(String);
}
