/**
 * Whether an ARM endpoint is on this machine (an ARM emulator, which takes the caller's
 * principal id as its bearer token and serves its own CA). Any other ARM, the public cloud or a
 * sovereign one, takes Entra ID tokens.
 */
export function isLoopbackEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
