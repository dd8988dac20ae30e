import type { ComplianceRow } from '../../shared/arm/discovery';
import {
  type DashboardModel,
  type DashboardSources,
  escapeHtml,
  fleetSummary,
  groupCompliance,
  type InstanceView,
  latestOutcomes,
  loadDashboard,
  type OutcomeRow,
  renderDashboard,
} from '../../shared/dashboard/index';
import type { AuditInput, VmOutcome } from '../../shared/domain/outcomes';
import type { RunRecord } from '../../shared/domain/ports';

const SUB = '00000000-0000-0000-0000-000000000001';
const vm = (name: string, rg = 'rg-app'): string =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

const model = (over: Partial<DashboardModel> = {}): DashboardModel => ({
  generatedAt: '2026-01-02T03:04:05.000Z',
  code: 'k3y',
  fleet: { total: 0, byOutcome: [], byReason: [] },
  runs: [],
  recentRuns: [],
  pending: [],
  recent: [],
  ...over,
});

/** The dashboard while runs are paused, since 2026-01-02 03:00Z, by `by` (for `reason`). */
const pausedPage = (by: string, reason?: string): string =>
  renderDashboard(
    model({
      pause: {
        paused: true,
        since: '2026-01-02T03:00:00.000Z',
        by,
        ...(reason !== undefined ? { reason } : {}),
      },
    }),
  );

/** The text of the section with that id (tags stripped), to assert what a reader sees. */
function sectionText(html: string, id: string): string {
  const m = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html);
  if (!m?.[1]) throw new Error(`no section ${id}`);
  return m[1]
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('renderDashboard', () => {
  test('when values carry markup, then every one is escaped and no tag or attribute of theirs survives', () => {
    const evil = `<script>alert(1)</script>"'&`;
    const html = renderDashboard(
      model({
        code: `"><img src=x onerror=alert(1)>`,
        fleet: {
          total: 1,
          byOutcome: [{ outcome: 'failed', count: 1 }],
          byReason: [{ outcome: 'failed', reason: evil, count: 1 }],
        },
        compliance: {
          subscriptionId: evil,
          total: 1,
          groups: [{ action: 'skip', reason: evil, count: 1, vms: [evil] }],
        },
        runs: [
          {
            id: evil,
            status: 'running',
            phase: evil,
            scope: evil,
            createdAt: evil,
            updatedAt: evil,
            total: 2,
            done: 1,
            counts: { remediated: 1 },
          },
        ],
        pending: [
          { instanceId: evil, kind: 'VM', subject: vm(evil), vms: 1, since: evil, expiresAt: evil },
        ],
        recent: [{ vmId: vm(evil), outcome: 'failed', reason: evil, at: evil, runId: evil }],
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/"\s*onerror=/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    // The key survives as the value of the links and of the scan form, escaped.
    expect(html).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
  });

  test('when the page is rendered, then it has the five sections, no scripts and no external resources', () => {
    const html = renderDashboard(model());
    for (const id of ['fleet', 'runs', 'approvals', 'recent', 'compliance'])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).not.toMatch(/<script|<link|<img|src=|https?:\/\//i);
    expect(sectionText(html, 'runs')).toContain('No runs in progress.');
    expect(sectionText(html, 'approvals')).toContain('Nothing is waiting for approval.');
  });

  test('when the key is given, then links and the scan form keep it', () => {
    const html = renderDashboard(
      model({ code: 'a b&c', compliance: { subscriptionId: SUB, total: 0, groups: [] } }),
    );
    expect(html).toContain(`href="dashboard?code=a+b%26c&amp;subscriptionId=${SUB}"`);
    expect(html).toContain('<input type="hidden" name="code" value="a b&amp;c">');
  });

  test('when there are outcomes, runs and approvals, then each section shows them', () => {
    const html = renderDashboard(
      model({
        fleet: {
          total: 3,
          byOutcome: [
            { outcome: 'remediated', count: 2 },
            { outcome: 'skipped', count: 1 },
          ],
          byReason: [{ outcome: 'skipped', reason: 'size-not-supported', count: 1 }],
        },
        runs: [
          {
            id: 'bulk-1',
            status: 'running',
            phase: 'remediating',
            scope: 'subscription x',
            createdAt: '2026-01-02T03:00:00.000Z',
            updatedAt: '2026-01-02T03:00:00.000Z',
            total: 4,
            done: 1,
            counts: { remediated: 1, 'in-progress': 3 },
          },
        ],
        pending: [
          {
            instanceId: 'bulk-2',
            kind: 'bulk run',
            subject: 'resource group rg-wait',
            vms: 2,
            since: '2026-01-02T03:01:00.000Z',
          },
        ],
        recent: [
          { vmId: vm('web-1'), outcome: 'remediated', at: '2026-01-02T03:02:00.000Z', runId: 'r' },
        ],
      }),
    );
    expect(sectionText(html, 'fleet')).toMatch(/3 VMs with an outcome 2 remediated 1 skipped/);
    expect(sectionText(html, 'fleet')).toContain('skipped size-not-supported 1');
    expect(sectionText(html, 'runs')).toContain('bulk-1 subscription x remediating 1/4');
    expect(html).toContain('aria-valuenow="1"');
    expect(sectionText(html, 'approvals')).toContain('bulk-2 bulk run resource group rg-wait 2');
    expect(sectionText(html, 'recent')).toContain('web-1 rg-app remediated');
  });

  test('when runs are paused, then a banner at the top says since when, by whom and why, and what that means', () => {
    const html = pausedPage('accelnet-cli:alice', 'storage failover');
    expect(html.indexOf('<section id="pause">')).toBeLessThan(html.indexOf('<section id="fleet">'));
    expect(html).toContain('class="banner paused"');
    expect(sectionText(html, 'pause')).toBe(
      'Paused since 2026-01-02 03:00:00Z by accelnet-cli:alice : storage failover No run of any kind takes another VM down. VMs already down are finished and started again; runs wait and go on when resumed. Resume with accelnet resume or DELETE /api/pause .',
    );
  });

  test('when runs are paused without a reason, then the banner says so', () => {
    const html = pausedPage('operator');
    expect(sectionText(html, 'pause')).toMatch(/^Paused since .* by operator \(no reason given\)/);
  });

  test('when runs are not paused, then the banner says so and how to pause', () => {
    const html = renderDashboard(model({ pause: { paused: false } }));
    expect(html).toContain('class="banner running"');
    expect(sectionText(html, 'pause')).toBe(
      'Not paused : runs take VMs down as they need to. Pause with accelnet pause --reason TEXT or POST /api/pause .',
    );
  });

  test('when the pause switch could not be read, then the banner says it is unknown and why', () => {
    const html = renderDashboard(
      model({ pause: { paused: 'unknown', error: 'PauseStateInvalid: <bad row>' } }),
    );
    expect(sectionText(html, 'pause')).toBe(
      'Pause state unknown PauseStateInvalid: &lt;bad row&gt;',
    );
  });

  test('when the pause reason and by carry markup, then they are escaped', () => {
    const html = pausedPage('<img src=x onerror=alert(1)>', '<script>alert(1)</script>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
  });

  test('when text is escaped, then the five special characters become entities', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});

describe('fleet figures', () => {
  const row = (name: string, outcome: OutcomeRow['outcome'], at: string, reason?: string) => ({
    vmId: vm(name),
    outcome,
    at,
    runId: 'r',
    ...(reason !== undefined ? { reason } : {}),
  });

  test('when a VM has several outcomes, then only its latest counts, whatever the case of its id', () => {
    const latest = latestOutcomes([
      row('web-1', 'failed', '2026-01-01T00:00:00Z', 'boom'),
      { ...row('WEB-1', 'remediated', '2026-01-02T00:00:00Z'), vmId: vm('WEB-1').toUpperCase() },
      row('tiny', 'skipped', '2026-01-01T00:00:00Z', 'size-not-supported'),
    ]);
    expect(latest.map((r) => r.outcome)).toEqual(['remediated', 'skipped']);
    expect(fleetSummary(latest)).toEqual({
      total: 2,
      byOutcome: [
        { outcome: 'remediated', count: 1 },
        { outcome: 'skipped', count: 1 },
      ],
      byReason: [{ outcome: 'skipped', reason: 'size-not-supported', count: 1 }],
    });
  });

  test('when scan rows are grouped, then groups go by action and first reason, remediations first', () => {
    const r = (name: string, action: ComplianceRow['action'], code: string): ComplianceRow => ({
      vmId: vm(name),
      name,
      size: 'Standard_D4s_v5',
      location: 'westus2',
      powerState: 'running',
      compliant: action === 'compliant',
      eligible: action !== 'skip',
      action,
      reasons: [{ code, message: code }],
    });
    expect(
      groupCompliance([
        r('tiny', 'skip', 'size-not-supported'),
        r('web-2', 'remediate', 'eligible'),
        r('web-1', 'remediate', 'eligible'),
        r('api', 'compliant', 'already-compliant'),
      ]),
    ).toEqual([
      { action: 'remediate', reason: 'eligible', count: 2, vms: ['web-1', 'web-2'] },
      { action: 'compliant', reason: 'already-compliant', count: 1, vms: ['api'] },
      { action: 'skip', reason: 'size-not-supported', count: 1, vms: ['tiny'] },
    ]);
  });
});

describe('loadDashboard', () => {
  const run = (id: string, status: RunRecord['status'], rg: string): RunRecord => ({
    id,
    status,
    createdAt: `2026-01-02T0${id.length % 10}:00:00.000Z`,
    updatedAt: '2026-01-02T05:00:00.000Z',
    request: { subscriptionId: SUB, resourceGroup: rg, dryRun: false },
  });
  const result = (name: string, outcome: VmOutcome['outcome'], at: string): VmOutcome => ({
    vmId: vm(name),
    outcome,
    reasons: [],
    originalPowerState: 'running',
    finalPowerState: 'running',
    steps: [{ name: 'plan', at, result: 'ok' }],
  });
  const instance = (id: string, name: string, customStatus: unknown): InstanceView => ({
    instanceId: id,
    name,
    runtimeStatus: 'Running',
    customStatus,
    createdTime: '2026-01-02T04:00:00.000Z',
    lastUpdatedTime: '2026-01-02T04:30:00.000Z',
  });
  /** The bulk run `bulk-wait`, its 2 VMs waiting for approval. */
  const bulkWaiting = (): InstanceView =>
    instance('bulk-wait', 'bulkRemediation', {
      phase: 'pending-approval',
      counts: { total: 2, pendingApproval: 2 },
    });

  function sources(over: Partial<DashboardSources> = {}): DashboardSources {
    const audit: AuditInput[] = [
      {
        runId: 'evt-1',
        vmId: vm('web-1'),
        step: 'outcome',
        result: 'outcome',
        at: '2026-01-02T06:00:00.000Z',
        outcome: 'remediated',
      },
    ];
    const runs = [
      run('bulk-done', 'completed', 'rg-app'),
      run('bulk-wait', 'pending-approval', 'rg-wait'),
    ];
    const results: Record<string, VmOutcome[]> = {
      'bulk-done': [
        result('web-1', 'failed', '2026-01-02T01:00:00.000Z'),
        result('tiny', 'skipped', '2026-01-02T01:00:00.000Z'),
      ],
      'bulk-wait': [
        result('db-1', 'pending-approval', '2026-01-02T04:00:00.000Z'),
        result('db-2', 'pending-approval', '2026-01-02T04:00:00.000Z'),
      ],
    };
    return {
      audit: { listOutcomes: () => Promise.resolve(audit) },
      runs: {
        listRuns: () => Promise.resolve(runs),
        listVmResults: (id) => Promise.resolve(results[id] ?? []),
      },
      instances: {
        listActive: () =>
          Promise.resolve([
            bulkWaiting(),
            instance('evt-9', 'remediateVm', {
              phase: 'pending-approval',
              expiresAt: '2026-01-03T04:00:00.000Z',
            }),
          ]),
        get: (id) =>
          Promise.resolve({
            ...instance(id, 'remediateVm', {}),
            input: { vm: { id: vm('edge-9') } },
          }),
      },
      ...over,
    };
  }

  test('when audit rows and run results are both there, then the latest outcome of each VM wins', async () => {
    const got = await loadDashboard(sources(), { now: new Date('2026-01-02T07:00:00Z') });
    // In the report order of shared/domain/outcomes.ts: open outcomes last.
    expect(got.fleet.byOutcome).toEqual([
      { outcome: 'remediated', count: 1 },
      { outcome: 'skipped', count: 1 },
      { outcome: 'pending-approval', count: 2 },
    ]);
    expect(got.recent[0]).toMatchObject({ vmId: vm('web-1'), outcome: 'remediated' });
  });

  test('when a bulk run and a VM wait for approval, then both are pending, the VM named from its input with its expiry', async () => {
    const got = await loadDashboard(sources(), { now: new Date() });
    expect(got.pending).toEqual([
      expect.objectContaining({
        instanceId: 'bulk-wait',
        kind: 'bulk run',
        subject: `subscription ${SUB}, resource group rg-wait`,
        vms: 2,
      }),
      expect.objectContaining({
        instanceId: 'evt-9',
        kind: 'VM',
        subject: vm('edge-9'),
        expiresAt: '2026-01-03T04:00:00.000Z',
      }),
    ]);
    expect(got.runs.map((r) => [r.id, r.phase, r.done, r.total])).toEqual([
      ['bulk-wait', 'pending-approval', 0, 2],
    ]);
    expect(got.recentRuns.map((r) => r.id)).toEqual(['bulk-done']);
  });

  test('when a bulk run asks VM by VM, then each VM approval is listed with its expiry and the run itself is not listed again', async () => {
    const got = await loadDashboard(
      sources({
        instances: {
          listActive: () =>
            Promise.resolve([
              bulkWaiting(),
              instance('bulk-wait-approval-0', 'approveVm', {
                phase: 'pending-approval',
                expiresAt: '2026-01-03T04:00:00.000Z',
              }),
            ]),
          get: (id) =>
            Promise.resolve({
              ...instance(id, 'approveVm', {}),
              input: { runId: 'bulk-wait', vm: { vmId: vm('db-1', 'rg-wait') } },
            }),
        },
      }),
      { now: new Date() },
    );
    expect(got.pending).toEqual([
      {
        instanceId: 'bulk-wait-approval-0',
        kind: 'VM',
        subject: vm('db-1', 'rg-wait'),
        vms: 1,
        since: '2026-01-02T04:30:00.000Z',
        expiresAt: '2026-01-03T04:00:00.000Z',
      },
    ]);
  });

  test('when the pause switch is a source, then the model carries its state; when reading it fails, then the page is still made, with the state unknown', async () => {
    const paused = { paused: true as const, since: '2026-01-02T03:00:00.000Z', by: 'alice' };
    const on = await loadDashboard(sources({ pause: { get: () => Promise.resolve(paused) } }), {
      now: new Date(),
    });
    expect(on.pause).toEqual(paused);
    expect((await loadDashboard(sources(), { now: new Date() })).pause).toBeUndefined();

    const failed = await loadDashboard(
      sources({
        pause: {
          get: () => Promise.reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
        },
      }),
      { now: new Date() },
    );
    expect(failed.pause).toEqual({ paused: 'unknown', error: 'ETIMEDOUT: timeout' });
    expect(failed.fleet.total).toBeGreaterThan(0);
  });

  test('when the live scan fails, then the page carries the error instead of failing', async () => {
    const got = await loadDashboard(
      sources({
        scan: {
          subscriptionId: SUB,
          resourceGroup: 'nope',
          rows: () =>
            Promise.reject(Object.assign(new Error('gone'), { code: 'ResourceGroupNotFound' })),
        },
      }),
      { now: new Date() },
    );
    expect(got.compliance).toMatchObject({ subscriptionId: SUB, resourceGroup: 'nope', total: 0 });
    expect(got.compliance?.error).toContain('gone');
  });
});
