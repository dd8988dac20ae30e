/**
 * Who decided: the identity a request carries, and how a decision records it.
 *
 * In Azure, App Service authentication ("Easy Auth") puts the signed-in caller in the
 * `X-MS-CLIENT-PRINCIPAL` header: Base64-encoded JSON
 * `{"auth_typ": "", "claims": [{"typ": "", "val": ""}], "name_typ": "", "role_typ": ""}`,
 * where `auth_typ` is the identity provider, `claims` the caller's claims (after App Service's
 * claims mapping) and `name_typ` the type of the claim that holds the caller's name. App
 * Service strips the header from incoming requests and sets it itself, so it is present only
 * when App Service set it ("Work with user identities in Azure App Service authentication",
 * learn.microsoft.com/azure/app-service/configure-authentication-user-identities, section
 * "Decode the client principal header"). That holds only while authentication is on for the
 * app, which App Service tells the app with `WEBSITE_AUTH_ENABLED=True` (the variable
 * Microsoft.Identity.Web reads for the same purpose: AppServicesAuthenticationInformation.cs).
 * Without it, anyone can send the header, so it is not read at all.
 *
 * A free-text `by` is a label, never an identity: when a principal is present it is ignored;
 * without one the decision is recorded as an anonymous link or an operator holding the key.
 */

export const CLIENT_PRINCIPAL_HEADER = 'x-ms-client-principal';
/** Set by App Service beside the principal: the caller's name as the provider gave it. */
export const CLIENT_PRINCIPAL_NAME_HEADER = 'x-ms-client-principal-name';

/** A signed-in caller, as App Service authentication passed it. */
export interface ClientPrincipal {
  /** The identity provider (`auth_typ`): `aad`, `github`, ... */
  provider: string;
  /** A name for people: the claim `name_typ` names, else the usual name, UPN or email claims. */
  name: string;
  /** A stable id where the provider gives one (Entra ID's object id). */
  id?: string;
}

/** Claim types that hold a person's name, in the order they are tried after `name_typ`. */
const NAME_CLAIMS = [
  'preferred_username',
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'email',
];
/** Claim types that hold a stable id of the caller. */
const ID_CLAIMS = [
  'http://schemas.microsoft.com/identity/claims/objectidentifier',
  'oid',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  'sub',
];

const MAX_TEXT = 200;
/** One line of printable text, bounded: it is shown on pages and stored in a table. */
function clean(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return text === '' ? undefined : text.slice(0, MAX_TEXT);
}

/** The header of a request, whatever its case (Node lower-cases them; some hosts do not). */
interface Headers {
  get(name: string): string | null;
}

/**
 * The caller App Service authentication vouches for, or undefined: when authentication is off
 * for the app (`trusted` false: the header could come from anyone), when there is no header,
 * or when it is not the Base64 JSON App Service sends.
 */
export function clientPrincipal(headers: Headers, trusted: boolean): ClientPrincipal | undefined {
  if (!trusted) return undefined;
  const header = headers.get(CLIENT_PRINCIPAL_HEADER)?.trim();
  if (!header) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const principal = raw as { auth_typ?: unknown; claims?: unknown; name_typ?: unknown };
  const claims = Array.isArray(principal.claims)
    ? principal.claims.flatMap((c: unknown) => {
        const claim = (c ?? {}) as { typ?: unknown; val?: unknown };
        const typ = typeof claim.typ === 'string' ? claim.typ : undefined;
        const val = clean(claim.val);
        return typ !== undefined && val !== undefined ? [{ typ, val }] : [];
      })
    : [];
  const claim = (types: string[]): string | undefined => {
    for (const type of types) {
      const found = claims.find((c) => c.typ.toLowerCase() === type.toLowerCase());
      if (found) return found.val;
    }
    return undefined;
  };
  const nameType = typeof principal.name_typ === 'string' ? [principal.name_typ] : [];
  const id = claim(ID_CLAIMS);
  const name =
    claim([...nameType, ...NAME_CLAIMS]) ?? clean(headers.get(CLIENT_PRINCIPAL_NAME_HEADER)) ?? id;
  if (name === undefined) return undefined;
  return {
    provider: clean(principal.auth_typ) ?? 'unknown',
    name,
    ...(id !== undefined && id !== name ? { id } : {}),
  };
}

/** How a decision reached the service. */
export type Channel = 'link' | 'key';

/** Who decided, as the approvals table records it (`decidedBy`). */
export interface Decider {
  channel: Channel;
  principal?: ClientPrincipal;
  /** What the caller said of itself (`by`), kept only when no principal is present. */
  said?: string;
}

/**
 * The decider from a request: the principal when App Service vouches for one (then `by` is
 * ignored), else the channel, with what the caller said of itself as an unverified label.
 */
export function deciderOf(
  headers: Headers,
  options: { channel: Channel; trusted: boolean; said?: string },
): Decider {
  const principal = clientPrincipal(headers, options.trusted);
  if (principal) return { channel: options.channel, principal };
  const said = clean(options.said);
  return { channel: options.channel, ...(said !== undefined ? { said } : {}) };
}

/**
 * The decider in one line, as stored: `alice@contoso.com (aad) via link`,
 * `anonymous via link`, `operator via key`, `operator via key, says "ops" (unverified)`.
 */
export function describeDecider(decider: Decider): string {
  const via = `via ${decider.channel}`;
  if (decider.principal) {
    const { name, provider, id } = decider.principal;
    return `${name} (${provider}${id !== undefined ? ` ${id}` : ''}) ${via}`;
  }
  const who = decider.channel === 'link' ? 'anonymous' : 'operator';
  return decider.said !== undefined
    ? `${who} ${via}, says ${JSON.stringify(decider.said)} (unverified)`
    : `${who} ${via}`;
}
