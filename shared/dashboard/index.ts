/**
 * The operator's dashboard (`GET /api/dashboard`): the pause switch, fleet compliance by
 * outcome and reason, runs in progress, pending approvals and recent outcomes, as one
 * server-rendered HTML page with no external resources. Queries gather a DashboardModel from
 * narrow ports; the page is a pure function of the model, every value escaped.
 */
export { currentStates, fleetSummary, groupCompliance, isPlan } from './fleet';
export { type DashboardOptions, loadDashboard } from './load';
export * from './model';
export { runProgress, runScope, settled } from './progress';
export { escapeHtml, renderDashboard } from './render';
