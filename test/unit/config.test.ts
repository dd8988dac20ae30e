import { ACTIVITY_BUDGET_MS } from '../../shared/activities/remediation';
import { loadSettings, parseIsoDuration, SETTINGS } from '../../shared/platform/config';

describe('loadSettings', () => {
  test('when nothing is set, then every setting has its documented default', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      mode: 'report',
      armEndpoint: 'https://management.azure.com',
      exemptTag: 'accelnet-exempt',
      allowUnknownOs: false,
      approvalTimeoutMs: 24 * 3600 * 1000,
      pollIntervalMs: 2000,
      controlTable: 'accelnetControl',
    });
    for (const spec of Object.values(SETTINGS)) expect(spec.doc.length).toBeGreaterThan(10);
  });

  test.each([
    ['ACCELNET_MODE', 'fix-everything'],
    ['ACCELNET_ARM_ENDPOINT', 'http://insecure.example'],
    ['ACCELNET_ALLOW_UNKNOWN_OS', 'maybe'],
    ['ACCELNET_APPROVAL_TIMEOUT', '24 hours'],
    ['ACCELNET_POLL_INTERVAL_MS', '-5'],
    ['ACCELNET_AUDIT_TABLE', 'bad-name!'],
    ['ACCELNET_CONTROL_TABLE', 'pause-switch'],
    ['ACCELNET_APPROVAL_WEBHOOK_URL', 'not a url'],
  ])('when %s is %s, then loading fails naming the setting', (name, value) => {
    let thrown: unknown;
    try {
      loadSettings({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'InvalidSetting' });
    expect(String((thrown as Error).message)).toContain(name);
  });

  test('when approval mode has no signing secret, then loading fails naming ACCELNET_APPROVAL_SECRET', () => {
    expect(() => loadSettings({ ACCELNET_MODE: 'approval' })).toThrow(/ACCELNET_APPROVAL_SECRET/);
    expect(() => loadSettings({ ACCELNET_APPROVAL_SECRET: 'short' })).toThrow(
      /ACCELNET_APPROVAL_SECRET/,
    );
    const secret = 'x'.repeat(32);
    expect(
      loadSettings({ ACCELNET_MODE: 'approval', ACCELNET_APPROVAL_SECRET: secret }),
    ).toMatchObject({ mode: 'approval', approvalSecret: secret });
  });

  test('when no public URL is set, then approval links point at the App Service host name, over HTTP only on loopback', () => {
    expect(loadSettings({ WEBSITE_HOSTNAME: 'accelnet-prod.azurewebsites.net' }).publicUrl).toBe(
      'https://accelnet-prod.azurewebsites.net',
    );
    expect(loadSettings({ WEBSITE_HOSTNAME: '127.0.0.1:7071' }).publicUrl).toBe(
      'http://127.0.0.1:7071',
    );
    expect(
      loadSettings({ ACCELNET_PUBLIC_URL: 'https://accelnet.contoso.com/', WEBSITE_HOSTNAME: 'x' })
        .publicUrl,
    ).toBe('https://accelnet.contoso.com');
  });

  test('when values are set, then they are parsed', () => {
    const settings = loadSettings({
      ACCELNET_MODE: 'enforce',
      ACCELNET_ALLOW_DYNAMIC_PUBLIC_IP: 'true',
      ACCELNET_APPROVAL_TIMEOUT: 'PT30M',
      ACCELNET_ARM_ENDPOINT: 'https://127.0.0.1:8443/',
    });
    expect(settings).toMatchObject({
      mode: 'enforce',
      allowDynamicPublicIp: true,
      approvalTimeoutMs: 30 * 60 * 1000,
      armEndpoint: 'https://127.0.0.1:8443',
    });
  });
});

describe('parseIsoDuration', () => {
  test.each([
    ['PT24H', 86_400_000],
    ['P1D', 86_400_000],
    ['PT1H30M', 5_400_000],
    ['PT0.5S', 500],
    ['P', undefined],
    ['PT', undefined],
    ['24h', undefined],
  ])('when the duration is %s, then it is %s ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });
});

describe('the activity budget', () => {
  test('when host.json sets functionTimeout, then an activity gives up waiting for ARM with time to spare', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const host = require('../../host.json') as { functionTimeout: string };
    const [h, m, s] = host.functionTimeout.split(':').map(Number);
    const timeoutMs = ((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)) * 1000;
    expect(ACTIVITY_BUDGET_MS).toBeLessThanOrEqual(timeoutMs - 60_000);
  });
});
