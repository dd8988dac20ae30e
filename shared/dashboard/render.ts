/** The dashboard page: a pure function of its model, every value escaped, no external resources. */

import { OUTCOMES } from '../domain/outcomes';
import type { DashboardModel, RunProgress, VmState } from './model';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const esc = escapeHtml;

/** A link to the dashboard that keeps the function key. */
function dashboardHref(code: string | undefined, params: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  if (code !== undefined) query.set('code', code);
  for (const [k, v] of Object.entries(params)) query.set(k, v);
  const text = query.toString();
  return text === '' ? 'dashboard' : `dashboard?${text}`;
}

const vmName = (vmId: string): string => vmId.split('/').filter(Boolean).pop() ?? vmId;

function resourceGroupOf(vmId: string): string {
  const m = /\/resourceGroups\/([^/]+)\//i.exec(vmId);
  return m?.[1] ?? '';
}

function time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return `<span>${esc(iso)}</span>`;
  const text = d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return `<time datetime="${esc(d.toISOString())}">${esc(text)}</time>`;
}

function clip(text: string, max = 140): string {
  return text.length <= max
    ? esc(text)
    : `<span title="${esc(text)}">${esc(text.slice(0, max - 1))}…</span>`;
}

const badge = (outcome: string): string =>
  `<span class="badge o-${esc(outcome.replace(/[^a-z-]/g, ''))}">${esc(outcome)}</span>`;

function table(headers: string[], rows: string[][], cls = ''): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`);
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

const empty = (text: string): string => `<p class="empty">${esc(text)}</p>`;

function progressBar(p: RunProgress): string {
  const pct = p.total > 0 ? Math.round((p.done / p.total) * 100) : 0;
  return `<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="${p.total}" aria-valuenow="${p.done}"><div style="width:${pct}%"></div></div><span class="num">${p.done}/${p.total}</span>`;
}

function countsText(counts: Record<string, number>): string {
  return OUTCOMES.filter((o) => (counts[o] ?? 0) > 0)
    .map((o) => `${badge(o)} <span class="num">${counts[o] ?? 0}</span>`)
    .join(' ');
}

/** The pause switch, on or off, at the top of the page. */
function pauseSection(model: DashboardModel): string {
  const state = model.pause;
  if (state === undefined) return '';
  let banner: string;
  if (state.paused === 'unknown')
    banner = `<div class="banner unknown" role="status"><strong>Pause state unknown</strong> <span>${esc(state.error)}</span></div>`;
  else if (state.paused)
    banner =
      `<div class="banner paused" role="status"><strong>Paused</strong> since ${time(state.since)} by <span class="by">${esc(state.by)}</span>` +
      (state.reason !== undefined
        ? `: <span class="reason">${esc(state.reason)}</span>`
        : ' <span class="muted">(no reason given)</span>') +
      `<p>No run of any kind takes another VM down. VMs already down are finished and started again; runs wait and go on when resumed. Resume with <code>accelnet resume</code> or <code>DELETE /api/pause</code>.</p></div>`;
  else
    banner = `<div class="banner running" role="status"><strong>Not paused</strong>: runs take VMs down as they need to. Pause with <code>accelnet pause --reason TEXT</code> or <code>POST /api/pause</code>.</div>`;
  return `<section id="pause">${banner}</section>`;
}

/** Where a scan's scope is, in words. */
function scopeText(scan: { subscriptionId: string; resourceGroup?: string }): string {
  return `${scan.subscriptionId}${scan.resourceGroup ? ` / ${scan.resourceGroup}` : ''}`;
}

function fleetSection(model: DashboardModel): string {
  const { fleet } = model;
  const scan = model.compliance;
  const what =
    `<p class="muted what">Each VM counted once, by its current state: its latest outcome of a run that acted; a dry run's plan counts only for a VM no run has acted on. From event runs and the ${'20'} most recent bulk runs, in every subscription.` +
    (fleet.inScan !== undefined && scan
      ? ` <span class="in-scan">${fleet.inScan} of these VMs are in ${esc(scopeText(scan))}, scanned below.</span>`
      : '') +
    `</p>`;
  const cards = [
    `<div class="card total"><div class="n">${fleet.total}</div><div class="l">VMs with an outcome</div></div>`,
    ...fleet.byOutcome.map(
      (o) =>
        `<div class="card o-${esc(o.outcome)}" data-outcome="${esc(o.outcome)}"><div class="n">${o.count}</div><div class="l">${esc(o.outcome)}</div></div>`,
    ),
  ].join('');
  const reasons =
    fleet.byReason.length === 0
      ? ''
      : `<h3>By reason</h3>${table(
          ['Outcome', 'Reason', 'VMs'],
          fleet.byReason.map((r) => [badge(r.outcome), clip(r.reason), `${r.count}`]),
          'compact',
        )}`;
  return `<section id="fleet"><h2>Fleet compliance</h2>${
    fleet.total === 0
      ? empty('No outcomes recorded yet.')
      : `<div class="cards">${cards}</div>${what}${reasons}`
  }</section>`;
}

function complianceSection(model: DashboardModel): string {
  const hidden =
    model.code !== undefined ? `<input type="hidden" name="code" value="${esc(model.code)}">` : '';
  const scan = model.compliance;
  const form = `<form method="get" action="dashboard" class="scan">${hidden}<label>Subscription <input name="subscriptionId" size="40" placeholder="00000000-0000-0000-0000-000000000000" value="${esc(scan?.subscriptionId ?? '')}"></label> <label>Resource group <input name="resourceGroup" size="16" value="${esc(scan?.resourceGroup ?? '')}"></label> <button type="submit">Scan</button></form>`;
  let body = '';
  if (scan?.error !== undefined) body = `<p class="error">${esc(scan.error)}</p>`;
  else if (scan) {
    const never = scan.total - scan.withState;
    body =
      `<p class="muted">${scan.total} VMs in ${esc(scopeText(scan))}, assessed now (every VM there, whether or not accelnet has run on it): <span class="with-state">${scan.withState} with an outcome in Fleet compliance</span>, ${never} never in a run.</p>` +
      (scan.groups.length === 0
        ? empty('No VMs in scope.')
        : table(
            ['Action', 'Reason', 'VMs', 'Names'],
            scan.groups.map((g) => [
              `<span class="badge a-${esc(g.action)}">${esc(g.action)}</span>`,
              esc(g.reason),
              `${g.count}`,
              clip(g.vms.join(', '), 200),
            ]),
          ));
  }
  return `<section id="compliance"><h2>Live compliance scan</h2>${form}${body}</section>`;
}

function runsSection(model: DashboardModel): string {
  const live =
    model.runs.length === 0
      ? empty('No runs in progress.')
      : table(
          ['Run', 'Scope', 'Phase', 'Progress', 'Outcomes so far', 'Started'],
          model.runs.map((r) => [
            `<code>${esc(r.id)}</code>`,
            esc(r.scope),
            `<span class="badge o-${esc(r.phase ?? r.status)}">${esc(r.phase ?? r.status)}</span>`,
            progressBar(r),
            countsText(r.counts),
            time(r.createdAt),
          ]),
        );
  const recent =
    model.recentRuns.length === 0
      ? ''
      : `<h3>Recently finished</h3>${table(
          ['Run', 'Scope', 'Status', 'Outcomes', 'Updated'],
          model.recentRuns.map((r) => [
            `<code>${esc(r.id)}</code>`,
            esc(r.scope),
            `<span class="badge o-${esc(r.status.replace(/[^a-z-]/g, ''))}">${esc(r.status)}</span>${
              r.error !== undefined
                ? `<div class="error run-error">${clip(r.error, 400)}</div>`
                : ''
            }`,
            countsText(r.counts),
            time(r.updatedAt),
          ]),
          'compact',
        )}`;
  return `<section id="runs"><h2>Runs in progress</h2>${live}${recent}</section>`;
}

function pendingSection(model: DashboardModel): string {
  return `<section id="approvals"><h2>Pending approvals</h2>${
    model.pending.length === 0
      ? empty('Nothing is waiting for approval.')
      : table(
          ['Instance', 'Kind', 'What', 'VMs', 'Waiting since', 'Expires', 'Decide'],
          model.pending.map((p) => [
            `<code>${esc(p.instanceId)}</code>`,
            esc(p.kind),
            p.kind === 'VM'
              ? `<span title="${esc(p.subject)}">${esc(vmName(p.subject))}</span>`
              : esc(p.subject),
            `${p.vms}`,
            time(p.since),
            p.expiresAt !== undefined ? time(p.expiresAt) : '<span class="muted">—</span>',
            decideForms(p.instanceId, model.code),
          ]),
        )
  }</section>`;
}

/**
 * Approve and reject buttons. Each asks first: it opens this page with the confirmation
 * (a GET, deciding nothing), whose own button POSTs the decision. No script needed.
 */
function decideForms(instanceId: string, code: string | undefined): string {
  const hidden = (name: string, value: string): string =>
    `<input type="hidden" name="${name}" value="${esc(value)}">`;
  const form = (decision: 'approve' | 'reject', label: string): string =>
    `<form method="get" action="dashboard" class="decide">${code !== undefined ? hidden('code', code) : ''}${hidden('confirm', instanceId)}${hidden('decision', decision)}<button type="submit" class="${decision}">${label}</button></form>`;
  return `${form('approve', 'Approve…')} ${form('reject', 'Reject…')}`;
}

const VERBS = {
  approve: { ask: 'Approve', done: 'Approved' },
  reject: { ask: 'Reject', done: 'Rejected' },
} as const;

/** The confirmation of a decision: what it decides, a button that POSTs it, and Cancel. */
function confirmSection(model: DashboardModel): string {
  const confirm = model.confirm;
  if (!confirm) return '';
  const verb = VERBS[confirm.decision];
  const cancel = `<a href="${esc(dashboardHref(model.code))}" class="cancel">Cancel</a>`;
  const p = confirm.pending;
  if (!p)
    return `<section id="confirm" class="confirm gone" role="alert"><h2>Nothing to ${esc(confirm.decision)}</h2><p><code>${esc(confirm.instanceId)}</code> is not waiting for a decision any more: it was decided, it expired, or its run ended.</p><p>${cancel}</p></section>`;
  const action = `approvals/${encodeURIComponent(p.instanceId)}${model.code !== undefined ? `?code=${encodeURIComponent(model.code)}` : ''}`;
  const what =
    p.kind === 'VM'
      ? `the remediation of VM <strong title="${esc(p.subject)}">${esc(vmName(p.subject))}</strong>`
      : `the bulk run over ${esc(p.subject)} (<span class="num">${p.vms}</span> VMs waiting)`;
  const effects = confirm.plan?.effects ?? [];
  const consequence =
    confirm.decision === 'approve'
      ? 'Approving lets the run take these VMs down (deallocate, enable Accelerated Networking, start again), each read again right before.'
      : 'Rejecting ends the run for these VMs as rejected; nothing is touched.';
  return `<section id="confirm" class="confirm" role="alert"><h2>${verb.ask} ${what}?</h2>
<p>${esc(consequence)} A decision counts once and cannot be changed.</p>${
    effects.length > 0 ? `<ul>${effects.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''
  }<p class="muted">Approval request <code>${esc(p.instanceId)}</code>${
    p.expiresAt !== undefined ? `, expires ${time(p.expiresAt)}` : ''
  }.</p>
<form method="post" action="${esc(action)}" class="decide confirm-form"><input type="hidden" name="decision" value="${confirm.decision}"><input type="hidden" name="by" value="dashboard"><button type="submit" class="${confirm.decision}">Yes, ${esc(confirm.decision)}</button> ${cancel}</form></section>`;
}

/** What the last decision from this page came to, after its redirect back. */
function noticeSection(model: DashboardModel): string {
  const notice = model.notice;
  if (!notice) return '';
  const id = `<code>${esc(notice.instanceId)}</code>`;
  const messages: Record<string, [string, string]> = {
    approved: ['ok', `Approved ${id}: the decision is recorded and the run goes on.`],
    rejected: ['ok', `Rejected ${id}: the decision is recorded; the run touches nothing.`],
    ApprovalAlreadyDecided: [
      'refused',
      `Not recorded: ${id} was already decided; a decision counts once.`,
    ],
    ApprovalExpired: [
      'refused',
      `Not recorded: ${id} expired, or its run no longer waits (approval-timeout).`,
    ],
    ApprovalNotDelivered: [
      'refused',
      `Not recorded: the decision on ${id} could not be delivered to its run; try again.`,
    ],
  };
  const [kind, text] = messages[notice.result] ?? [
    'refused',
    `Not recorded: the decision on ${id} was refused (${esc(notice.result)}).`,
  ];
  return `<section id="notice" class="notice ${kind}" role="status"><p>${text}</p></section>`;
}

/** A VM's current state: its outcome, marked when it is only a plan, and a later plan beside it. */
function stateCell(state: VmState): string {
  const planOnly =
    state.dryRun === true ? ' <span class="muted">(dry run: nothing done)</span>' : '';
  const later =
    state.laterPlan !== undefined
      ? ` <span class="muted later-plan">later dry run: ${esc(state.laterPlan.outcome)}, ${time(state.laterPlan.at)}</span>`
      : '';
  return `${badge(state.outcome)}${planOnly}${later}`;
}

function recentSection(model: DashboardModel): string {
  return `<section id="recent"><h2>Recent remediations</h2><p class="muted what">Each VM's current state (as counted in Fleet compliance), newest first.</p>${
    model.recent.length === 0
      ? empty('No outcomes recorded yet.')
      : table(
          ['VM', 'Resource group', 'Current state', 'Reason', 'Run', 'At'],
          model.recent.map((r) => [
            `<span class="vm" title="${esc(r.vmId)}">${esc(vmName(r.vmId))}</span>`,
            esc(resourceGroupOf(r.vmId)),
            stateCell(r),
            r.reason !== undefined ? clip(r.reason) : '',
            `<code title="${esc(r.runId)}">${esc(r.runId.length > 16 ? `${r.runId.slice(0, 15)}…` : r.runId)}</code>`,
            time(r.at),
          ]),
        )
  }</section>`;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5f6b7a;--line:#e3e7ec;--bg:#f6f8fa;--card:#fff;--accent:#0b6bcb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:baseline;gap:16px;padding:14px 28px;background:#10243e;color:#fff}
header h1{margin:0;font-size:18px;font-weight:600}
header .muted{color:#b7c4d6}
header a{color:#cfe3ff;margin-left:auto}
main{padding:20px 28px;display:grid;gap:18px;max-width:1280px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px}
h2{margin:0 0 10px;font-size:15px}
h3{margin:14px 0 6px;font-size:13px;color:var(--muted);font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{min-width:118px;padding:10px 14px;border-radius:6px;border:1px solid var(--line);border-left-width:5px;background:#fff}
.card .n{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.card .l{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc}
tbody tr:nth-child(even){background:#fbfcfd}
table.compact td,table.compact th{padding:4px 10px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#eef1f4;color:#33404f;white-space:nowrap}
.o-remediated{background:#dcf5e3;color:#17602e;border-left-color:#2da44e}
.o-already-compliant,.a-compliant{background:#e3effd;color:#0b4f94;border-left-color:#0b6bcb}
.o-planned,.a-remediate{background:#efe6fb;color:#5b2a99;border-left-color:#8250df}
.o-in-progress,.o-remediating,.o-running,.o-planning{background:#fff4d6;color:#7a5200;border-left-color:#d4a72c}
.o-pending-approval,.a-wait{background:#ffe9d6;color:#8a3f00;border-left-color:#e16f24}
.o-skipped,.a-skip{background:#eef1f4;color:#424a53;border-left-color:#8c959f}
.o-rejected{background:#f6e3ef;color:#85205a;border-left-color:#bf3989}
.o-failed{background:#fde2e1;color:#9b1c1c;border-left-color:#cf222e}
.card.total{border-left-color:#10243e}
.card[class*="o-"]{background:#fff}
.bar{display:inline-block;width:140px;height:8px;background:#e9edf1;border-radius:4px;overflow:hidden;vertical-align:middle;margin-right:8px}
.bar>div{height:100%;background:#2da44e}
.num{font-variant-numeric:tabular-nums}
time{white-space:nowrap}
.muted{color:var(--muted)}
.empty{color:var(--muted);margin:4px 0}
.error{color:#9b1c1c}
#pause{padding:0;border:0;background:none}
.banner{padding:12px 16px;border-radius:8px;border:1px solid var(--line);border-left-width:6px}
.banner p{margin:6px 0 0}
.banner.paused{background:#fff1e5;border-color:#e16f24;color:#5c2600}
.banner.paused strong{font-size:16px}
.banner.running{background:#eef8f1;border-color:#2da44e;color:#17602e}
.banner.unknown{background:#fde2e1;border-color:#cf222e;color:#9b1c1c}
form.decide{display:inline}
form.decide button{font:inherit;padding:2px 10px;border-radius:4px;cursor:pointer;border:1px solid #c9d1d9;background:#fff}
form.decide button.approve{border-color:#1a7f37;background:#1a7f37;color:#fff}
.what{margin:8px 0 0;font-size:12px}
.run-error{font-size:12px;max-width:520px;white-space:normal}
.confirm{border-color:#e16f24;border-left-width:6px;background:#fff8f2}
.confirm.gone{border-color:#8c959f;background:#f6f8fa}
.confirm ul{margin:6px 0}
form.confirm-form{display:flex;gap:14px;align-items:center}
form.confirm-form button{padding:5px 16px;font-weight:600}
form.decide button.reject{border-color:#cf222e;color:#cf222e}
form.confirm-form button.reject{background:#cf222e;color:#fff}
.notice{border-left-width:6px}
.notice p{margin:0}
.notice.ok{background:#eef8f1;border-color:#2da44e;color:#17602e}
.notice.refused{background:#fde2e1;border-color:#cf222e;color:#9b1c1c}
form.scan{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:10px}
form.scan input{font:inherit;padding:3px 6px;border:1px solid #c9d1d9;border-radius:4px}
form.scan button{font:inherit;padding:3px 12px;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
`;

/** The whole page: a pure function of the model. */
export function renderDashboard(model: DashboardModel): string {
  const refresh = dashboardHref(model.code, {
    ...(model.compliance ? { subscriptionId: model.compliance.subscriptionId } : {}),
    ...(model.compliance?.resourceGroup ? { resourceGroup: model.compliance.resourceGroup } : {}),
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>accelnet dashboard</title><style>${CSS}</style></head>
<body><header><h1>accelnet</h1><span class="muted">Accelerated Networking across the fleet · ${time(model.generatedAt)}</span><a href="${esc(refresh)}">Refresh</a></header>
<main>
${pauseSection(model)}
${noticeSection(model)}
${confirmSection(model)}
${fleetSection(model)}
${runsSection(model)}
${pendingSection(model)}
${recentSection(model)}
${complianceSection(model)}
</main></body></html>
`;
}
