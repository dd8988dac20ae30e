/**
 * The pages of an approval link (`/api/approvals/{instanceId}/{approve|reject}?token=…`) for a
 * person's browser: a GET shows what is asked and a button that POSTs the decision (mail
 * scanners and link previews follow links: opening one must decide nothing); the POST shows
 * what happened. Pure functions of their models, every value escaped, no scripts.
 */
import type { ApprovalPlan, ApprovalRecord, Verdict } from '../domain/approvals';
import { escapeHtml as esc } from './render';

/**
 * An approval request as the page shows it: the approvals table's row (its nonce and closing time
 * aside), with the VM's size and the plan.
 */
export interface ApprovalView extends Omit<ApprovalRecord, 'nonce' | 'closedAt'> {
  size?: string;
  plan?: ApprovalPlan & { vmCount?: number };
}

export interface ApprovalAsk {
  verdict: Verdict;
  request: ApprovalView;
  /** Where the button posts: this link again (its token included). */
  action: string;
  /** How the decision will be recorded: "alice@contoso.com (aad) via link", "anonymous via link". */
  recordedAs: string;
  now: Date;
}

export interface ApprovalAnswer {
  verdict: Verdict;
  status: number;
  /** The error code when the decision was not recorded. */
  code?: string;
  message: string;
  request?: ApprovalView;
}

const VERB: Record<Verdict, { ask: string; button: string; done: string }> = {
  approve: { ask: 'Approve', button: 'Approve', done: 'Approved' },
  reject: { ask: 'Reject', button: 'Reject', done: 'Rejected' },
};

const MAX_VMS_SHOWN = 200;

function time(iso: string | undefined): string {
  if (iso === undefined) return '<span class="muted">—</span>';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return esc(iso);
  const text = d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return `<time datetime="${esc(d.toISOString())}">${esc(text)}</time>`;
}

/** "in 3 hours 20 minutes", "in 40 seconds", or "passed". */
export function remaining(expiresAt: string, now: Date): string {
  const ms = Date.parse(expiresAt) - now.getTime();
  if (!Number.isFinite(ms)) return '';
  if (ms <= 0) return 'passed';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `in ${Math.ceil(ms / 1000)} seconds`;
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const parts: string[] = [];
  if (days > 0) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  if (hours % 24 > 0) parts.push(`${hours % 24} hour${hours % 24 === 1 ? '' : 's'}`);
  if (days === 0 && minutes % 60 > 0)
    parts.push(`${minutes % 60} minute${minutes % 60 === 1 ? '' : 's'}`);
  return `in ${parts.join(' ')}`;
}

function details(request: ApprovalView, now: Date): string {
  const row = (label: string, value: string): string => `<dt>${esc(label)}</dt><dd>${value}</dd>`;
  return `<dl class="facts">${[
    row('What', `<strong>${esc(request.vmName)}</strong>`),
    row('Resource', `<code>${esc(request.vmId)}</code>`),
    ...(request.size !== undefined ? [row('Size', esc(request.size))] : []),
    row('Run', `<code>${esc(request.runId)}</code>`),
    row('Approval request', `<code>${esc(request.instanceId)}</code>`),
    row('Asked at', time(request.requestedAt)),
    row(
      'Expires at',
      `${time(request.expiresAt)} <span class="muted">(${esc(remaining(request.expiresAt, now))})</span>`,
    ),
  ].join('')}</dl>`;
}

function planSection(plan: ApprovalView['plan']): string {
  if (plan === undefined)
    return `<section id="plan"><h2>What will happen</h2><p class="muted">The plan was sent with the approval request (the email); this request was recorded without it. Every VM is read again right before it is taken down.</p></section>`;
  const list = (items: string[]): string =>
    items.length === 0 ? '' : `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
  const minutes = Math.ceil(plan.downtimeEstimateSeconds / 60);
  const vms = plan.vms ?? [];
  const vmTable =
    vms.length === 0
      ? plan.vmCount !== undefined
        ? `<p>${plan.vmCount} VMs (the list is too long to keep with the request).</p>`
        : ''
      : `<h3>${vms.length} VMs</h3><table><thead><tr><th>VM</th><th>Size</th><th>Power state</th><th>NICs to change</th></tr></thead><tbody>${vms
          .slice(0, MAX_VMS_SHOWN)
          .map(
            (vm) =>
              `<tr><td title="${esc(vm.vmId)}">${esc(vm.name)}</td><td>${esc(vm.size)}</td><td>${esc(vm.powerState)}</td><td>${vm.nics}</td></tr>`,
          )
          .join('')}</tbody></table>${
          vms.length > MAX_VMS_SHOWN
            ? `<p class="muted">and ${vms.length - MAX_VMS_SHOWN} more.</p>`
            : ''
        }`;
  return `<section id="plan"><h2>What will happen</h2>${list(plan.effects)}<p>Expected downtime: ${
    plan.downtimeEstimateSeconds > 0
      ? `about ${minutes} minute${minutes === 1 ? '' : 's'} per VM (deallocate, NIC update, start)`
      : 'none (nothing running is taken down)'
  }.</p>${
    plan.nics.length > 0
      ? `<h3>Network interfaces that get Accelerated Networking</h3>${list(plan.nics.map((n) => n.name))}`
      : ''
  }${plan.reasons.length > 0 ? `<h3>Why</h3>${list(plan.reasons)}` : ''}${vmTable}</section>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1f24;background:#f6f8fa}
header{padding:14px 28px;background:#10243e;color:#fff}
header h1{margin:0;font-size:18px;font-weight:600}
main{padding:20px 28px;max-width:900px;display:grid;gap:16px}
section{background:#fff;border:1px solid #e3e7ec;border-radius:8px;padding:14px 18px}
h2{margin:0 0 8px;font-size:16px}
h3{margin:12px 0 4px;font-size:14px;color:#5f6b7a}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dt{color:#5f6b7a}dd{margin:0;overflow-wrap:anywhere}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e7ec}
.muted{color:#5f6b7a}
.lede{font-size:16px}
form.decide{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
form.decide button{font:inherit;font-weight:600;padding:8px 22px;border-radius:6px;cursor:pointer;border:1px solid #c9d1d9}
button.approve{background:#1a7f37;border-color:#1a7f37;color:#fff}
button.reject{background:#cf222e;border-color:#cf222e;color:#fff}
.result{border-left:6px solid #8c959f}
.result.ok{border-left-color:#2da44e;background:#eef8f1}
.result.refused{border-left-color:#cf222e;background:#fde2e1}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>accelnet · approval</h1></header>
<main>
${body}
</main></body></html>
`;
}

/** The GET of a link whose request still waits: what is asked, and the button that decides. */
export function renderApprovalAsk(model: ApprovalAsk): string {
  const verb = VERB[model.verdict];
  const { request } = model;
  const title = `${verb.ask} the remediation of ${request.vmName}?`;
  return page(
    title,
    `<section id="ask"><h2>${esc(title)}</h2>
<p class="lede">Nothing has been decided yet: opening this link records nothing. Press <strong>${verb.button}</strong> to record the decision; it counts once, and cannot be changed afterwards.</p>
${details(request, model.now)}
</section>
${planSection(request.plan)}
<section id="decide"><form method="post" action="${esc(model.action)}" class="decide"><button type="submit" class="${model.verdict}">${verb.button}</button><span class="muted">Recorded as: <span class="by">${esc(model.recordedAs)}</span></span></form>
<p class="muted">${
      model.verdict === 'approve'
        ? 'To reject instead, use the Reject link of the same request.'
        : 'To approve instead, use the Approve link of the same request.'
    } Without a decision by the expiry, the run ends rejected (approval-timeout) and touches nothing.</p></section>`,
  );
}

/** Titles of the refusals (the approvals API's codes), for people. */
const REFUSED: Record<string, string> = {
  ApprovalAlreadyDecided: 'Already decided',
  ApprovalExpired: 'Expired',
  ApprovalTokenInvalid: 'This link is not valid',
  ApprovalTokenExpired: 'This link has expired',
  ApprovalNotDelivered: 'Not delivered: try again',
};

/**
 * What happened: the decision recorded (after the POST), or why it was not or cannot be (a
 * decided, expired or invalid request, on a GET or a POST).
 */
export function renderApprovalAnswer(model: ApprovalAnswer, now: Date): string {
  const verb = VERB[model.verdict];
  const ok = model.status === 200 && model.code === undefined;
  const title = ok ? `${verb.done}` : (REFUSED[model.code ?? ''] ?? 'Not recorded');
  const request = model.request;
  const decided =
    request?.decidedAt !== undefined
      ? `<p>${esc(request.status === 'approved' ? 'Approved' : request.status === 'rejected' ? 'Rejected' : 'Decided')} at ${time(request.decidedAt)}${
          request.decidedBy !== undefined
            ? ` by <span class="by">${esc(request.decidedBy)}</span>`
            : ''
        }.</p>`
      : '';
  return page(
    `${title}${request ? `: ${request.vmName}` : ''}`,
    `<section id="result" class="result ${ok ? 'ok' : 'refused'}" role="status"><h2>${esc(title)}${
      request ? `: ${esc(request.vmName)}` : ''
    }</h2><p class="lede">${esc(model.message)}</p>${decided}${
      !ok && model.code !== undefined
        ? `<p class="muted">Code: <code>${esc(model.code)}</code></p>`
        : ''
    }</section>${request ? `<section id="request"><h2>The request</h2>${details(request, now)}</section>` : ''}`,
  );
}
