import type { JsonObject } from '../arm/json';
import type { ArmResult, RequestInfo } from '../arm/request';

/** The names of a path template's `{params}`: `'/a/{sub}/b/{rg}'` gives `'sub' | 'rg'`. */
export type ParamsOf<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamsOf<Rest>
  : never;

export type Params<Name extends string = string> = Readonly<Record<Name, string>>;

/** One ARM request as a resource handler sees it. */
export interface ArmCall<Name extends string = string> {
  /** The path's `{params}`, URL-decoded. */
  readonly params: Params<Name>;
  readonly req: RequestInfo;
  /** The JSON object the request carried ({} for none). */
  readonly body: JsonObject;
  readonly query: URLSearchParams;
}

export interface Route {
  readonly method: string;
  /** A path template: literal segments and `{param}` segments, matched case-insensitively. */
  readonly path: string;
  /** The ARM operation (e.g. Microsoft.Compute/virtualMachines/read): operation log, faults. */
  readonly operation: string;
  handle(call: ArmCall): ArmResult;
  /** Facts for the operation log, read before the handler runs. */
  logFacts?(params: Params): Readonly<Record<string, string>>;
  /**
   * The route may name a subscription the emulator has never seen, and makes it known (a
   * resource group PUT); every other route under `/subscriptions/{id}` answers 404
   * SubscriptionNotFound for one (middleware/subscription.ts).
   */
  readonly opensSubscription?: boolean;
}

/** A route, its handler typed by the template's params. */
export function route<Path extends string>(
  method: string,
  path: Path,
  operation: string,
  handle: (call: ArmCall<ParamsOf<Path>>) => ArmResult,
  logFacts?: (params: Params<ParamsOf<Path>>) => Readonly<Record<string, string>>,
): Route {
  return { method, path, operation, handle, ...(logFacts ? { logFacts } : {}) };
}

export interface RouteMatch {
  route: Route;
  params: Params;
}

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

/** Finds the route of a request: by method, then by path, case-insensitively. */
export class Router {
  private readonly byMethod = new Map<string, Compiled[]>();
  /** The resource provider namespaces served, lower-cased (Microsoft.Compute, ...). */
  readonly namespaces: ReadonlySet<string>;

  constructor(routes: readonly Route[]) {
    for (const r of routes) {
      const names: string[] = [];
      const source = r.path.replace(/\{(\w+)\}|[.*+?^$()|[\]\\]/g, (text, name?: string) => {
        if (name === undefined) return `\\${text}`;
        names.push(name);
        return '([^/]+)';
      });
      const list = this.byMethod.get(r.method) ?? [];
      list.push({ route: r, pattern: new RegExp(`^${source}/?$`, 'i'), names });
      this.byMethod.set(r.method, list);
    }
    this.namespaces = new Set(routes.map((r) => (r.operation.split('/')[0] ?? '').toLowerCase()));
  }

  /** The route for a request, with its params decoded (a malformed escape throws URIError). */
  match(method: string, path: string): RouteMatch | undefined {
    for (const { route: r, pattern, names } of this.byMethod.get(method) ?? []) {
      const m = pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route: r, params };
    }
    return undefined;
  }
}
