import { locationRequired } from './errors';
import { type JsonObject, str } from './json';

/** The location of a PUT body (400 LocationRequired without one). */
export function requireLocation(body: JsonObject): string {
  const location = str(body.location);
  if (!location) throw locationRequired();
  return location;
}

/** A location as Azure spells it in resources: 'West US 2' -> 'westus2'. */
export function normLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}
