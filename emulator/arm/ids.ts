import { invalidName } from './errors';

/** Parsed ARM resource id: /subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{child}/{childName}] */
export interface ResourceId {
  subscriptionId: string;
  resourceGroup: string;
  namespace: string;
  type: string;
  name: string;
  child?: { type: string; name: string };
}

const ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)(?:\/([^/]+)\/([^/]+))?$/i;

export function parseResourceId(id: string): ResourceId | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const [, subscriptionId, resourceGroup, namespace, type, name, childType, childName] = m;
  if (!subscriptionId || !resourceGroup || !namespace || !type || !name) return undefined;
  return {
    subscriptionId,
    resourceGroup,
    namespace,
    type,
    name,
    ...(childType && childName ? { child: { type: childType, name: childName } } : {}),
  };
}

export function resourceId(sub: string, rg: string, provider: string, name: string): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${provider}/${name}`;
}

/** Map key for case-insensitive ids. */
export function key(id: string): string {
  return id.toLowerCase();
}

// Azure's naming rules for the resources the emulator serves.
const RULES: Record<string, { max: number; pattern: RegExp; text: string }> = {
  resourceGroup: {
    max: 90,
    pattern: /^[-\w._()]*[-\w_()]$/u,
    text: 'Resource group names only allow alphanumeric characters, periods, underscores, hyphens and parenthesis and cannot end in a period.',
  },
  virtualMachine: {
    max: 64,
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9_]$|^[a-zA-Z0-9]$/,
    text: 'Virtual machine names may contain letters, digits, hyphens, periods and underscores, must start with a letter or digit and must not end with a period or hyphen.',
  },
  network: {
    max: 80,
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9_]$|^[a-zA-Z0-9]$/,
    text: 'The name must begin with a letter or number, end with a letter, number or underscore, and may contain only letters, numbers, underscores, periods, or hyphens.',
  },
  availabilitySet: {
    max: 80,
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9_]$|^[a-zA-Z0-9]$/,
    text: 'Availability set names may contain letters, digits, hyphens, periods and underscores.',
  },
};

export function validateName(kind: string, name: string): void {
  const rule = RULES[kind];
  if (!rule) return;
  if (name.length === 0 || name.length > rule.max || !rule.pattern.test(name)) {
    const text = `${rule.text} Maximum length ${rule.max}.`;
    throw invalidName(kind === 'resourceGroup' ? 'resourceGroup' : 'resource', name, text);
  }
}

/** Resource ids, names, types and locations compare without regard to case, as in Azure. */
export function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
