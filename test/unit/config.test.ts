import { loadSettings, parseIsoDuration, SETTINGS } from '../../shared/config';

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
