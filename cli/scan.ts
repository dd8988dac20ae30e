import {
  assessFleet,
  type ComplianceRow,
  complianceRows,
  discoverFleet,
} from '../shared/arm/discovery';
import type { RuleSettings } from '../shared/domain/model';
import { csv, table } from './format';
import type { ArmTarget } from './target';

export type OutputFormat = 'table' | 'json' | 'csv';

/** The compliance report of a scope: reads only, changes nothing. */
export async function scan(
  target: ArmTarget,
  scope: { subscriptionId: string; resourceGroup?: string },
  rules: RuleSettings,
): Promise<ComplianceRow[]> {
  const snapshot = await discoverFleet(target.arm(scope.subscriptionId), scope);
  return complianceRows(assessFleet(snapshot, rules));
}

const HEADERS = [
  'vmId',
  'name',
  'size',
  'location',
  'powerState',
  'compliant',
  'eligible',
  'action',
  'reasons',
];

export function renderScan(rows: ComplianceRow[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2);
  const cells = rows.map((r) => [
    r.vmId,
    r.name,
    r.size,
    r.location,
    r.powerState,
    String(r.compliant),
    String(r.eligible),
    r.action,
    r.reasons.map((x) => x.code).join(';'),
  ]);
  if (format === 'csv') return csv(HEADERS, cells);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const summary = [...counts.entries()].map(([action, n]) => `${n} ${action}`).join(', ');
  return `${table(
    ['NAME', 'SIZE', 'POWER', 'COMPLIANT', 'ELIGIBLE', 'ACTION', 'REASONS'],
    rows.map((r) => [
      r.name,
      r.size,
      r.powerState,
      r.compliant ? 'yes' : 'no',
      r.eligible ? 'yes' : 'no',
      r.action,
      r.reasons.map((x) => x.code).join(', '),
    ]),
  )}\n\n${rows.length} VMs: ${summary || 'none'}`;
}
