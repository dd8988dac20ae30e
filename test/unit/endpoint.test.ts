import { isLoopbackEndpoint } from '../../shared/arm/clients';

describe('isLoopbackEndpoint', () => {
  test.each([
    ['https://127.0.0.1:8443', true],
    ['https://127.10.0.3', true],
    ['https://localhost:9000/', true],
    ['https://LOCALHOST:9000', true],
    ['https://[::1]:8443', true],
    ['https://management.azure.com', false],
    ['https://management.usgovcloudapi.net', false],
    ['https://management.chinacloudapi.cn', false],
    ['https://127.0.0.1.example.com', false],
    ['https://localhost.example.com', false],
    ['https://10.0.0.4:8443', false],
    ['not a url', false],
  ])(
    'when the ARM endpoint is %s, then it is on this machine: %s (an emulator token, else Entra ID)',
    (endpoint, expected) => {
      expect(isLoopbackEndpoint(endpoint)).toBe(expected);
    },
  );
});
