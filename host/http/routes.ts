/** Azure Functions route templates: `items/{id}`, `{id:int}`, `{name?}`, `{*rest}`. */

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; constraint?: string; catchAll: boolean };

/** A compiled route template. */
export interface RouteMatcher {
  template: string;
  match(path: string): Record<string, string> | undefined;
}

export function compileRoute(template: string): RouteMatcher {
  const segments: Segment[] = template
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(s);
      if (!m) return { kind: 'literal', text: s.toLowerCase() };
      return {
        kind: 'param',
        name: m[2] ?? '',
        catchAll: m[1] === '*',
        constraint: m[3],
        optional: m[4] === '?',
      };
    });
  return {
    template,
    match(path) {
      const parts = path.split('/').filter((p) => p !== '');
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i];
        if (!seg) break;
        const part = parts[i];
        if (seg.kind === 'literal') {
          if (part === undefined || decodeURIComponent(part).toLowerCase() !== seg.text)
            return undefined;
          continue;
        }
        if (seg.catchAll) {
          params[seg.name] = parts.slice(i).map(decodeURIComponent).join('/');
          return params;
        }
        if (part === undefined) {
          if (seg.optional) continue;
          return undefined;
        }
        const value = decodeURIComponent(part);
        if (!satisfies(value, seg.constraint)) return undefined;
        params[seg.name] = value;
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}

function satisfies(value: string, constraint: string | undefined): boolean {
  switch (constraint?.toLowerCase()) {
    case undefined:
      return true;
    case 'int':
    case 'long':
      return /^-?\d+$/.test(value);
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'guid':
      return /^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$/i.test(value);
    case 'alpha':
      return /^[a-z]+$/i.test(value);
    default:
      return true;
  }
}
