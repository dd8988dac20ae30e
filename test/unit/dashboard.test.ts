import type { ComplianceRow } from '../../shared/arm/discovery';
import { renderApprovalAnswer, renderApprovalAsk } from '../../shared/dashboard/approval-page';
import {
  currentStates,
  type DashboardModel,
  type DashboardSources,
  escapeHtml,
  fleetSummary,
  groupCompliance,
  type InstanceView,
  loadDashboard,
  type OutcomeRow,
  renderDashboard,
} from '../../shared/dashboard/index';
import type { AuditInput, VmOutcome } from '../../shared/domain/outcomes';
import type { RunRecord } from '../../shared/domain/ports';

const SUB = '00000000-0000-0000-0000-000000000001';
const vm = (name: string, rg = 'rg-app'): string =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

/** A VM's stored result in a run: running before and after, its one step at `at`. */
const result = (name: string, outcome: VmOutcome['outcome'], at: string): VmOutcome => ({
  vmId: vm(name),
  outcome,
  reasons: [],
  originalPowerState: 'running',
  finalPowerState: 'running',
  steps: [{ name: 'plan', at, result: 'ok' }],
});
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
          withState: 0,
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
      model({
        code: 'a b&c',
        compliance: { subscriptionId: SUB, total: 0, withState: 0, groups: [] },
      }),
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
    const latest = currentStates([
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

describe('a VM\u2019s current state (currentStates: one rule for every section)', () => {
  const row = (
    outcome: OutcomeRow['outcome'],
    at: string,
    runId: string,
    dryRun = false,
  ): OutcomeRow => ({ vmId: vm('web-1'), outcome, at, runId, ...(dryRun ? { dryRun } : {}) });
  const T1 = '2026-01-01T00:00:00.000Z';
  const T2 = '2026-01-02T00:00:00.000Z';
  const T3 = '2026-01-03T00:00:00.000Z';

  test.each([
    {
      when: 'a dry run follows a real run',
      rows: [row('remediated', T1, 'real'), row('already-compliant', T2, 'dry', true)],
      state: { outcome: 'remediated', runId: 'real' },
      laterPlan: { outcome: 'already-compliant', runId: 'dry' },
    },
    {
      when: 'a report-only event run plans after a real run',
      rows: [row('failed', T1, 'real'), row('planned', T2, 'evt')],
      state: { outcome: 'failed', runId: 'real' },
      laterPlan: { outcome: 'planned', runId: 'evt' },
    },
    {
      when: 'a dry run came before a real run',
      rows: [row('planned', T1, 'dry', true), row('remediated', T2, 'real')],
      state: { outcome: 'remediated', runId: 'real' },
    },
    {
      when: 'only dry runs saw the VM',
      rows: [row('planned', T1, 'dry1', true), row('skipped', T2, 'dry2', true)],
      state: { outcome: 'skipped', runId: 'dry2', dryRun: true },
    },
    {
      when: 'two real runs acted',
      rows: [row('remediated', T1, 'a'), row('failed', T3, 'b'), row('planned', T2, 'dry', true)],
      state: { outcome: 'failed', runId: 'b' },
    },
  ])('when $when, then the state is $state.outcome', ({ rows, state, laterPlan }) => {
    const [only, ...more] = currentStates(rows);
    expect(more).toEqual([]);
    expect(only).toMatchObject(state);
    if (laterPlan) expect(only?.laterPlan).toMatchObject(laterPlan);
    else expect(only).not.toHaveProperty('laterPlan');
  });
});

describe('the dashboard after a dry run that follows a real run, with a live scan', () => {
  const SCANNED = ['web-1', 'web-2', 'tiny', 'new-vm'];
  const scanRow = (name: string): ComplianceRow => ({
    vmId: vm(name),
    name,
    size: 'Standard_D4s_v5',
    location: 'westus2',
    powerState: 'running',
    compliant: name !== 'new-vm',
    eligible: true,
    action: name === 'new-vm' ? 'remediate' : 'compliant',
    reasons: [{ code: 'x', message: 'x' }],
  });
  const run = (id: string, createdAt: string, extra: Partial<RunRecord> = {}): RunRecord => ({
    id,
    status: 'completed',
    createdAt,
    updatedAt: createdAt,
    request: { subscriptionId: SUB, resourceGroup: 'rg-app', dryRun: false },
    ...extra,
  });
  const sources = (): DashboardSources => {
    const runs = [
      run('bulk-dry', '2026-01-02T00:00:00.000Z', {
        request: { subscriptionId: SUB, resourceGroup: 'rg-app', dryRun: true },
      }),
      run('bulk-real', '2026-01-01T00:00:00.000Z'),
      run('bulk-dead', '2026-01-01T12:00:00.000Z', { status: 'running' }),
      run('bulk-broke', '2026-01-01T06:00:00.000Z', {
        status: 'failed',
        error: 'planning failed: [accelnet AuthorizationFailed] no access',
      }),
    ];
    const results: Record<string, VmOutcome[]> = {
      'bulk-real': [
        result('web-1', 'remediated', '2026-01-01T00:05:00.000Z'),
        result('web-2', 'remediated', '2026-01-01T00:06:00.000Z'),
        result('tiny', 'skipped', '2026-01-01T00:01:00.000Z'),
      ],
      'bulk-dry': [
        result('web-1', 'already-compliant', '2026-01-02T00:01:00.000Z'),
        result('web-2', 'already-compliant', '2026-01-02T00:01:00.000Z'),
        result('tiny', 'skipped', '2026-01-02T00:01:00.000Z'),
        result('other', 'planned', '2026-01-02T00:01:00.000Z'),
      ],
      // Terminated while its VM waited for approval: the VM never got an outcome.
      'bulk-dead': [result('lost', 'pending-approval', '2026-01-01T12:01:00.000Z')],
    };
    // The audit trail has the same outcomes (every run writes its outcome rows there).
    const audit: AuditInput[] = Object.entries(results).flatMap(([runId, rs]) =>
      rs.map((r) => ({
        runId,
        vmId: r.vmId,
        step: 'outcome',
        result: 'outcome' as const,
        at: r.steps[0]?.at ?? '',
        outcome: r.outcome,
      })),
    );
    return {
      audit: { listOutcomes: () => Promise.resolve(audit) },
      runs: {
        listRuns: () =>
          Promise.resolve([...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt))),
        listVmResults: (id) => Promise.resolve(results[id] ?? []),
      },
      instances: {
        listActive: () => Promise.resolve([]),
        get: (id) =>
          Promise.resolve(
            id === 'bulk-dead'
              ? {
                  instanceId: id,
                  name: 'bulkRemediation',
                  runtimeStatus: 'Terminated',
                  customStatus: null,
                  createdTime: '2026-01-01T12:00:00.000Z',
                  lastUpdatedTime: '2026-01-01T12:30:00.000Z',
                  output: 'stuck in planning',
                }
              : undefined,
          ),
      },
      scan: {
        subscriptionId: SUB,
        resourceGroup: 'rg-app',
        rows: () => Promise.resolve(SCANNED.map(scanRow)),
      },
    };
  };

  test('when a dry run follows a real run, then the real outcomes stay, the plan is beside them, and a VM only the dry run saw is planned', async () => {
    const got = await loadDashboard(sources(), { now: new Date('2026-01-03T00:00:00Z') });
    expect(got.fleet.byOutcome).toEqual([
      { outcome: 'remediated', count: 2 },
      { outcome: 'planned', count: 1 },
      { outcome: 'skipped', count: 1 },
      { outcome: 'failed', count: 1 },
    ]);
    const web1 = got.recent.find((r) => r.vmId === vm('web-1'));
    expect(web1).toMatchObject({ outcome: 'remediated', runId: 'bulk-real' });
    expect(web1?.laterPlan).toMatchObject({ outcome: 'already-compliant', runId: 'bulk-dry' });
    expect(got.recent.find((r) => r.vmId === vm('other'))).toMatchObject({
      outcome: 'planned',
      dryRun: true,
    });
    const html = renderDashboard(got);
    expect(sectionText(html, 'recent')).toMatch(
      /web-1 rg-app remediated later dry run: already-compliant, 2026-01-02/,
    );
    expect(sectionText(html, 'recent')).toMatch(/other rg-app planned \(dry run: nothing done\)/);
  });

  test('when the page has a live scan, then both sections say what they count and how they meet', async () => {
    const got = await loadDashboard(sources(), { now: new Date('2026-01-03T00:00:00Z') });
    expect(got.fleet.total).toBe(5);
    expect(got.fleet.inScan).toBe(5);
    expect(got.compliance).toMatchObject({ total: 4, withState: 3 });
    const html = renderDashboard(got);
    expect(sectionText(html, 'fleet')).toContain(
      `5 of these VMs are in ${SUB} / rg-app, scanned below.`,
    );
    expect(sectionText(html, 'compliance').replace(' ,', ',')).toContain(
      `4 VMs in ${SUB} / rg-app, assessed now (every VM there, whether or not accelnet has run on it): 3 with an outcome in Fleet compliance, 1 never in a run.`,
    );
  });

  test('when a run failed, or its orchestration was terminated before it could say so, then the finished runs show it failed with its error', async () => {
    const got = await loadDashboard(sources(), { now: new Date('2026-01-03T00:00:00Z') });
    const byId = new Map(got.recentRuns.map((r) => [r.id, r]));
    expect(byId.get('bulk-dead')).toMatchObject({
      status: 'failed',
      error: 'the run was terminated: stuck in planning',
    });
    expect(byId.get('bulk-broke')).toMatchObject({
      status: 'failed',
      error: 'planning failed: [accelnet AuthorizationFailed] no access',
    });
    expect(got.runs).toEqual([]);
    // Its VM that was still waiting did not get an outcome: it failed, saying why.
    expect(got.recent.find((r) => r.vmId === vm('lost'))).toMatchObject({
      outcome: 'failed',
      reason:
        'the run ended without an outcome for this VM: the run was terminated: stuck in planning',
    });
    expect(got.pending).toEqual([]);
    expect(byId.get('bulk-dead')).toMatchObject({ counts: { failed: 1 }, done: 1, total: 1 });
    const runs = sectionText(renderDashboard(got), 'runs');
    expect(runs).toContain('bulk-dead subscription');
    expect(runs).toContain('failed the run was terminated: stuck in planning');
    expect(runs).toContain('failed planning failed: [accelnet AuthorizationFailed] no access');
  });
});

describe('deciding from the dashboard', () => {
  const pending = {
    instanceId: 'bulk-2',
    kind: 'bulk run' as const,
    subject: 'resource group rg-wait',
    vms: 2,
    since: '2026-01-02T03:01:00.000Z',
    expiresAt: '2026-01-03T03:01:00.000Z',
  };

  test('when a pending approval is listed, then its buttons ask first: a GET of this page with the confirmation, deciding nothing', () => {
    const html = renderDashboard(model({ pending: [pending] }));
    const approvals = /<section id="approvals">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(approvals).not.toContain('method="post"');
    expect(approvals).toContain(
      '<form method="get" action="dashboard" class="decide"><input type="hidden" name="code" value="k3y"><input type="hidden" name="confirm" value="bulk-2"><input type="hidden" name="decision" value="approve"><button type="submit" class="approve">Approve…</button></form>',
    );
  });

  test('when a decision is to be confirmed, then the page says what it decides, with the button that POSTs it and Cancel', () => {
    const html = renderDashboard(
      model({
        pending: [pending],
        confirm: {
          decision: 'approve',
          instanceId: 'bulk-2',
          pending,
          plan: {
            action: 'remediate',
            downtimeEstimateSeconds: 420,
            nics: [],
            effects: ['2 VMs: 2 running VMs are stopped, deallocated and started again.'],
            reasons: [],
          },
        },
      }),
    );
    expect(html.indexOf('<section id="confirm"')).toBeLessThan(
      html.indexOf('<section id="fleet">'),
    );
    const text = sectionText(
      html.replace('<section id="confirm" class="confirm" role="alert">', '<section id="confirm">'),
      'confirm',
    );
    expect(text).toMatch(/^Approve the bulk run over resource group rg-wait \( ?2 VMs waiting\)\?/);
    expect(text).toContain('2 VMs: 2 running VMs are stopped, deallocated and started again.');
    expect(text).toContain('Yes, approve Cancel');
    expect(html).toContain(
      '<form method="post" action="approvals/bulk-2?code=k3y" class="decide confirm-form"><input type="hidden" name="decision" value="approve">',
    );
  });

  test('when the decision to confirm no longer waits, then the page says so and offers no button', () => {
    const html = renderDashboard(model({ confirm: { decision: 'reject', instanceId: 'bulk-9' } }));
    expect(html).toContain('Nothing to reject');
    expect(html).not.toContain('Yes, reject');
  });

  test.each([
    ['approved', 'ok', 'Approved bulk-2: the decision is recorded and the run goes on.'],
    ['rejected', 'ok', 'Rejected bulk-2: the decision is recorded; the run touches nothing.'],
    ['ApprovalAlreadyDecided', 'refused', 'Not recorded: bulk-2 was already decided'],
    ['ApprovalExpired', 'refused', 'Not recorded: bulk-2 expired'],
    [
      'SomethingElse',
      'refused',
      'Not recorded: the decision on bulk-2 was refused (SomethingElse).',
    ],
  ])('when the decision came back %s, then the page says what happened', (result, kind, says) => {
    const html = renderDashboard(model({ notice: { instanceId: 'bulk-2', result } }));
    expect(html).toContain(`<section id="notice" class="notice ${kind}" role="status">`);
    expect(html.replace(/<[^>]+>/g, '')).toContain(says);
  });
});

describe('the approval link\u2019s pages', () => {
  const request = {
    instanceId: 'bulk-1',
    runId: 'bulk-1',
    vmId: `/subscriptions/${SUB}/resourceGroups/rg-app`,
    vmName: '<b>3 VMs</b> in rg-app',
    requestedAt: '2026-01-02T03:00:00.000Z',
    expiresAt: '2026-01-03T03:00:00.000Z',
    status: 'pending' as const,
  };

  test('when the ask is rendered, then every value is escaped, there is no script, and the plan is said to be missing when it was not kept', () => {
    const html = renderApprovalAsk({
      verdict: 'reject',
      request,
      action: 'reject?token=v1.a.b',
      recordedAs: '<i>anonymous</i> via link',
      now: new Date('2026-01-02T04:00:00.000Z'),
    });
    expect(html).not.toMatch(/<script|<b>|<i>/);
    expect(html).toContain('Reject the remediation of &lt;b&gt;3 VMs&lt;/b&gt; in rg-app?');
    expect(html).toContain('(in 23 hours)');
    expect(html).toContain('this request was recorded without it');
    expect(html).toContain('<form method="post" action="reject?token=v1.a.b" class="decide">');
  });

  test('when the answer is rendered, then it says what happened and who decided', () => {
    const html = renderApprovalAnswer(
      {
        verdict: 'approve',
        status: 409,
        code: 'ApprovalAlreadyDecided',
        message: 'This approval was already decided (rejected); a decision counts once.',
        request: {
          ...request,
          status: 'rejected',
          decidedAt: '2026-01-02T03:30:00.000Z',
          decidedBy: 'alice@contoso.com (aad) via link',
        },
      },
      new Date('2026-01-02T04:00:00.000Z'),
    );
    expect(html.replace(/<[^>]+>/g, '')).toContain(
      'Rejected at 2026-01-02 03:30:00 UTC by alice@contoso.com (aad) via link.',
    );
    expect(html).toContain('class="result refused"');
  });
});
