/** Whether a size can have Accelerated Networking in its region (the Resource SKUs capability). Pure. */
import type { Reason, SizeFacts } from '../model';

// --- assessSize ------------------------------------------------------------------------------

/** NC and NV families, whatever their spelling: standardNCSv3Family, "Standard NCASv3_T4 Family". */
function isGpuExcluded(sizeName: string, size: SizeFacts | undefined): boolean {
  const family = (size?.family ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
  return /^(?:standard)?n[cv]/.test(family) || /^standard_n[cv]/i.test(sizeName);
}

const RESIZE_HINT = 'resize to a size that supports it, such as a Dsv5 size, to enable it.';

export interface SizeAssessment {
  eligible: boolean;
  reason: Reason | undefined;
}

/** Is the size eligible in its region? size undefined = not offered/unknown in that region. */
export function assessSize(
  sizeName: string,
  size: SizeFacts | undefined,
  location?: string,
): SizeAssessment {
  const where = location === undefined ? 'in its region' : `in ${location}`;
  if (isGpuExcluded(sizeName, size)) {
    const family = size === undefined ? '' : ` (family ${size.family})`;
    const message =
      `${sizeName} is an NC/NV GPU size${family}: these may show the Accelerated Networking capability yet not support it, ` +
      'so accelnet leaves them alone; enable it by hand if the size documentation says it is supported.';
    return { eligible: false, reason: { code: 'gpu-size-excluded', message } };
  }
  if (size === undefined) {
    const message =
      `${sizeName} is not listed by the Resource SKUs API ${where}, so accelnet cannot tell whether it supports Accelerated Networking; ` +
      `check that the size is offered there, or ${RESIZE_HINT}`;
    return { eligible: false, reason: { code: 'size-unknown', message } };
  }
  if (!size.acceleratedNetworking) {
    const message =
      `${sizeName} does not support Accelerated Networking ${where} ` +
      `(Resource SKUs capability AcceleratedNetworkingEnabled is False); ${RESIZE_HINT}`;
    return { eligible: false, reason: { code: 'size-not-supported', message } };
  }
  return { eligible: true, reason: undefined };
}
