import { z } from 'zod';

import type { BulkRequest } from '../activities/contracts';
import { parseVmId, RESOURCE_GROUP_MAX_LENGTH, VM_NAME_MAX_LENGTH } from '../domain/events';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RESOURCE_GROUP = new RegExp(`^[-\\w._()]{1,${RESOURCE_GROUP_MAX_LENGTH}}$`);

/** The most VM ids one bulk request may name. */
export const MAX_VM_IDS = 5000;

/**
 * The longest VM id the schema accepts (266 characters): a subscription GUID, a resource
 * group name and a VM name each at its longest (shared/domain/events.ts).
 */
export const MAX_VM_ID_LENGTH =
  '/subscriptions/'.length +
  36 +
  '/resourceGroups/'.length +
  RESOURCE_GROUP_MAX_LENGTH +
  '/providers/Microsoft.Compute/virtualMachines/'.length +
  VM_NAME_MAX_LENGTH;

/**
 * The largest body POST /api/remediations reads, derived from the schema's own limits so that
 * every valid request fits: MAX_VM_IDS ids of MAX_VM_ID_LENGTH, each a JSON string (2 quotes)
 * whose 8 slashes a serializer may escape as `\/` (8), with its comma (1) and a line break and
 * indentation (16) of pretty-printed JSON; plus 4 KiB for every other field, each of them
 * bounded (a GUID, a 90-character name, two enums, two flags, a number). 1,469,096 bytes.
 */
export const MAX_BULK_BODY_BYTES = MAX_VM_IDS * (MAX_VM_ID_LENGTH + 2 + 8 + 1 + 16) + 4096;

/** POST /api/remediations: every field checked; unknown fields refused, so a typo is never ignored. */
const bulkBody = z
  .strictObject({
    subscriptionId: z
      .string({ message: 'is required' })
      .regex(GUID, 'must be a subscription id (a GUID)'),
    resourceGroup: z
      .string()
      .regex(RESOURCE_GROUP, 'must be a resource group name (1-90 letters, digits, -, _, ., (, ))')
      .refine((v) => !v.endsWith('.'), 'must not end with a period')
      .optional(),
    vmIds: z
      .array(
        z
          .string()
          .refine((id) => parseVmId(id) !== undefined, 'must be a virtual machine resource id'),
      )
      .min(1, 'must list at least one VM id')
      .max(MAX_VM_IDS, `may list at most ${MAX_VM_IDS} VM ids`)
      .optional(),
    dryRun: z.boolean().default(false),
    maxParallel: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(500, 'must be at most 500')
      .default(10),
    approval: z
      .enum(['none', 'required'], { message: "must be 'none' or 'required'" })
      .default('none'),
    approvalScope: z
      .enum(['run', 'vm'], { message: "must be 'run' (one decision) or 'vm' (one per VM)" })
      .default('run'),
    includeAvailabilitySets: z.boolean().default(false),
  })
  .superRefine((body, ctx) => {
    body.vmIds?.forEach((id, index) => {
      const vm = parseVmId(id);
      if (!vm) return;
      if (vm.subscriptionId.toLowerCase() !== body.subscriptionId.toLowerCase()) {
        ctx.addIssue({
          code: 'custom',
          path: ['vmIds', index],
          message: 'is in another subscription than subscriptionId',
        });
      } else if (
        body.resourceGroup &&
        vm.resourceGroup.toLowerCase() !== body.resourceGroup.toLowerCase()
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['vmIds', index],
          message: 'is in another resource group than resourceGroup',
        });
      }
    });
  });

/** The first problem of a body, naming its field: "maxParallel: must be at least 1". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
  return issue?.code === 'unrecognized_keys'
    ? `unknown field(s): ${issue.keys.join(', ')}`
    : `${field}: ${issue?.message ?? 'invalid'}`;
}

export type ParsedRequest = { ok: true; request: BulkRequest } | { ok: false; message: string };

/** Validates a bulk request body; the message names the first bad field. */
export function parseBulkRequest(body: unknown): ParsedRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'the body must be a JSON object' };
  }
  const parsed = bulkBody.safeParse(body);
  if (!parsed.success) return { ok: false, message: describeIssue(parsed.error) };
  const { resourceGroup, vmIds, ...rest } = parsed.data;
  return {
    ok: true,
    request: {
      ...rest,
      subscriptionId: rest.subscriptionId.toLowerCase(),
      ...(resourceGroup !== undefined ? { resourceGroup } : {}),
      ...(vmIds !== undefined ? { vmIds: vmIds.map((id) => parseVmId(id)?.id ?? id) } : {}),
    },
  };
}

export function isGuid(text: string): boolean {
  return GUID.test(text);
}

export function isResourceGroupName(text: string): boolean {
  return RESOURCE_GROUP.test(text) && !text.endsWith('.');
}
