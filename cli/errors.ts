/**
 * What a failure means to the person who ran the command: one line that names what failed,
 * what was unreachable and what to try, and the exit status (2 for what the caller must fix
 * before anything runs, 1 for the rest). No raw ECONNREFUSED, no stack.
 */
import { CommanderError } from 'commander';

import { AccelnetError, ensureError } from '../shared/platform/errors';
import { innermostMessage, networkCode } from './service';
import { UsageError } from './usage';

export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Errors that are the caller's to fix before anything runs: a setting, a data dir in use. */
const USAGE_CODES = new Set(['InvalidSetting', 'DataDirInUse']);

/** An ARM error the SDK threw, in words: where, what, what to try. */
export function armFailure(error: unknown, endpoint: string): AccelnetError {
  if (error instanceof AccelnetError && error.code.startsWith('Arm')) return error;
  const e = ensureError(error);
  const where = `ARM at ${endpoint}`;
  if (e.code === 'SubscriptionNotFound')
    return new AccelnetError(
      'SubscriptionNotFound',
      `${oneLine(e.message)} (404 SubscriptionNotFound from ${where}): check the id with \`az account list -o table\`, or pass another --subscription.`,
      { status: 404, cause: error },
    );
  if (e.code === 'ResourceGroupNotFound')
    return new AccelnetError(
      'ResourceGroupNotFound',
      `${oneLine(e.message)} (404 ResourceGroupNotFound from ${where}): check the name with \`az group list -o table\`, or pass another --resource-group.`,
      { status: 404, cause: error },
    );
  if (
    e.code === 'CredentialUnavailableError' ||
    /CredentialUnavailable|AuthenticationRequired/.test(e.name + e.message)
  )
    return new AccelnetError(
      'ArmSignInFailed',
      `could not sign in to Azure for ${where}: run \`az login\` (or set AZURE_CLIENT_ID and its secret or certificate), then try again.`,
      { cause: error },
    );
  if (e.status === 401 || e.status === 403)
    return new AccelnetError(
      'ArmAccessDenied',
      `${where} refused the request (${e.status} ${e.code}): ${oneLine(e.message)}`,
      { status: e.status, cause: error },
    );
  if (e.status === undefined) {
    const code = networkCode(error) ?? e.code;
    const target = `cannot reach ${where}`;
    if (code === 'ECONNREFUSED')
      return new AccelnetError(
        'ArmUnreachable',
        `${target}: nothing accepts connections there (connection refused). Is the emulator running (\`accelnet emulator --port N\`)? Or check --arm-endpoint (ACCELNET_ARM_ENDPOINT).`,
        { cause: error },
      );
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new AccelnetError(
        'ArmUnreachable',
        `${target}: its host name does not resolve. Check --arm-endpoint (ACCELNET_ARM_ENDPOINT).`,
        { cause: error },
      );
    if (/CERT|SSL|TLS|UNABLE_TO_VERIFY|SELF_SIGNED/.test(code))
      return new AccelnetError(
        'ArmUnreachable',
        `${target}: its TLS certificate is not trusted (${code}). For an emulator elsewhere, pass its CA with --ca-file.`,
        { cause: error },
      );
    if (/^E[A-Z]+$|^UND_ERR|TimeoutError|REQUEST_SEND_ERROR/.test(code))
      return new AccelnetError(
        'ArmUnreachable',
        `${target}: the request failed (${code}: ${oneLine(innermostMessage(error) ?? e.message)}). Check that it is reachable from here, or check --arm-endpoint.`,
        { cause: error },
      );
  }
  return new AccelnetError(
    e.code,
    `${where} answered ${e.status ?? 'an error'} (${e.code}): ${oneLine(e.message)}`,
    { ...(e.status !== undefined ? { status: e.status } : {}), cause: error },
  );
}

/** The line to print and the exit status for anything a command threw. */
export function explain(error: unknown): { line: string; exit: number } {
  if (error instanceof UsageError) return { line: `error: ${error.message}`, exit: EXIT_USAGE };
  if (error instanceof AccelnetError && USAGE_CODES.has(error.code))
    return { line: `error: ${error.message}`, exit: EXIT_USAGE };
  if (error instanceof CommanderError)
    return { line: '', exit: error.exitCode === 0 ? 0 : EXIT_USAGE };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `error: ${oneLine(message)}`, exit: EXIT_FAILED };
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
