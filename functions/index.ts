/**
 * The function app's entry point (package.json `main`): every registration that runs in
 * Azure, and under `accelnet start`, is made here.
 */
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { approveVm } from '../orchestrations/approval';
import { bulkLane, bulkRemediation } from '../orchestrations/bulkRemediation';
import { remediateAvailabilitySet } from '../orchestrations/remediateAvailabilitySet';
import { remediateVm } from '../orchestrations/remediateVm';
import type { ActivityFn } from '../shared/activities';
import { ACTIVITY, type ActivityInput, ORCHESTRATION } from '../shared/activities/contracts';
import { VM_ENTITY } from '../shared/domain/locks';
import { asActivityFailure } from '../shared/platform/errors';
import { contextLog, getServices } from './composition';
import { createHandlers, type Handlers } from './handlers';

export const FUNCTION_NAMES = {
  vmWriteEvents: 'vmWriteEvents',
  vmRemediation: 'vmRemediation',
  startRemediation: 'startRemediation',
  getRemediation: 'getRemediation',
  listRemediations: 'listRemediations',
  compliance: 'compliance',
  decideByLink: 'decideByLink',
  decideByOperator: 'decideByOperator',
  listApprovals: 'listApprovals',
  dashboard: 'dashboard',
  getPause: 'getPause',
  pauseRuns: 'pauseRuns',
  resumeRuns: 'resumeRuns',
} as const;

df.app.orchestration(ORCHESTRATION.remediateVm, remediateVm);
df.app.orchestration(ORCHESTRATION.bulkRemediation, bulkRemediation);
df.app.orchestration(ORCHESTRATION.bulkLane, bulkLane);
df.app.orchestration(ORCHESTRATION.remediateAvailabilitySet, remediateAvailabilitySet);
df.app.orchestration(ORCHESTRATION.approveVm, approveVm);

// A VM's lock (shared/domain/locks.ts): every run that may take the VM down holds this entity
// in a critical section while it reads the VM again and acts. It keeps no state of its own.
df.app.entity(VM_ENTITY, (context) => {
  context.df.return(null);
});

/**
 * Every activity, from the composition root's services. A failure leaves as a tagged message
 * (code, and whether it is worth retrying) that orchestrators read to decide on retries.
 */
for (const name of Object.values(ACTIVITY)) {
  df.app.activity(name, {
    handler: async (input: unknown, context: InvocationContext) => {
      const activity = getServices().activities[name] as ActivityFn<typeof name>;
      try {
        // The input is what an orchestrator passed for this activity's contract.
        return await activity(input as ActivityInput<typeof name>, contextLog(context));
      } catch (error) {
        throw asActivityFailure(error);
      }
    },
  });
}

/** The handlers, built from the services on first use (settings are read and checked then). */
let built: Handlers | undefined;
const handlers = (): Handlers => (built ??= createHandlers(getServices()));

app.eventGrid(FUNCTION_NAMES.vmWriteEvents, {
  handler: (event, context) => handlers().vmWriteEvents(event, context),
  extraInputs: [df.input.durableClient()],
});

app.http(FUNCTION_NAMES.vmRemediation, {
  route: 'vms/{vmId}/remediation',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => handlers().vmRemediation(request, context),
});

app.http(FUNCTION_NAMES.startRemediation, {
  route: 'remediations',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => handlers().startRemediation(request, context),
});

// The runs, newest first (GET on the route that starts them: a function per method).
app.http(FUNCTION_NAMES.listRemediations, {
  route: 'remediations',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => handlers().listRemediations(request, context),
});

app.http(FUNCTION_NAMES.getRemediation, {
  route: 'remediations/{id}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => handlers().getRemediation(request, context),
});

// The links of an approval request: the signed token is the credential (no function key).
app.http(FUNCTION_NAMES.decideByLink, {
  route: 'approvals/{instanceId}/{decision}',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => handlers().decideByLink(request, context),
});

app.http(FUNCTION_NAMES.decideByOperator, {
  route: 'approvals/{instanceId}',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => handlers().decideByOperator(request, context),
});

app.http(FUNCTION_NAMES.listApprovals, {
  route: 'approvals',
  methods: ['GET'],
  authLevel: 'function',
  handler: () => handlers().listApprovals(),
});

app.http(FUNCTION_NAMES.compliance, {
  route: 'compliance',
  methods: ['GET'],
  authLevel: 'function',
  handler: (request) => handlers().compliance(request),
});

// The pause switch: one route, a function per method.
app.http(FUNCTION_NAMES.getPause, {
  route: 'pause',
  methods: ['GET'],
  authLevel: 'function',
  handler: () => handlers().getPause(),
});

app.http(FUNCTION_NAMES.pauseRuns, {
  route: 'pause',
  methods: ['POST'],
  authLevel: 'function',
  handler: (request, context) => handlers().pauseRuns(request, context),
});

app.http(FUNCTION_NAMES.resumeRuns, {
  route: 'pause',
  methods: ['DELETE'],
  authLevel: 'function',
  handler: (request, context) => handlers().resumeRuns(request, context),
});

// The operator's page: fleet compliance, runs in progress, pending approvals, recent outcomes.
app.http(FUNCTION_NAMES.dashboard, {
  route: 'dashboard',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => handlers().dashboard(request, context),
});
