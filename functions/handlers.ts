import { decideByLink, decideByOperator, listApprovals } from './approvals';
import { compliance } from './compliance';
import type { Services } from './composition';
import { dashboard } from './dashboard';
import { getPause, pauseRuns, resumeRuns } from './pause';
import { getRemediation, listRemediations, startRemediation } from './remediations';
import { vmWriteEvents } from './vmEvents';
import { vmRemediation } from './vmRemediation';

/**
 * Every trigger's handler, built from the services. functions/index.ts registers them (built
 * once, on the first invocation); a test builds one with fakes of the services it names.
 */
export function createHandlers(services: Services) {
  return {
    vmWriteEvents: vmWriteEvents(services),
    vmRemediation: vmRemediation(services),
    startRemediation: startRemediation(services),
    getRemediation: getRemediation(services),
    listRemediations: listRemediations(services),
    compliance: compliance(services),
    decideByLink: decideByLink(services),
    decideByOperator: decideByOperator(services),
    listApprovals: listApprovals(services),
    dashboard: dashboard(services),
    getPause: getPause(services),
    pauseRuns: pauseRuns(services),
    resumeRuns: resumeRuns(services),
  };
}

export type Handlers = ReturnType<typeof createHandlers>;
