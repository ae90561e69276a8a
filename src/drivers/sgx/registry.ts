// The registry of driver designs. Each design folder registers its SgxDesign objects when
// imported; src/drivers/sgx/index.ts imports every folder (one line per design), so importing it
// gives the full set. Lookup accepts a key (D7, D3-static), an id (D3 = its first-registered
// variant), a slug (mainline-5.11, execute-intent) or slug/variant (execute-intent/static).
import { DESIGN_IDS, type SgxDesign } from './design.js';

const byKey = new Map<string, SgxDesign>();

/** Register a design (a duplicate key is an internal error). */
export function registerDesign(d: SgxDesign): SgxDesign {
  if (byKey.has(d.key)) throw new Error(`SGX design ${d.key} registered twice`);
  if (!(DESIGN_IDS as readonly string[]).includes(d.id)) throw new Error(`SGX design id ${d.id} is not one of ${DESIGN_IDS.join(', ')}`);
  byKey.set(d.key, d);
  return d;
}

/** Every registered design, by id then variant. */
export function listDesigns(): SgxDesign[] {
  return [...byKey.values()].sort((a, b) => a.id.localeCompare(b.id) || (a.variant ?? '').localeCompare(b.variant ?? ''));
}

/** The design a name refers to, or undefined. */
export function lookupDesign(name: string): SgxDesign | undefined {
  const exact = byKey.get(name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  const all = listDesigns();
  const byId = all.filter((d) => d.id.toLowerCase() === lower);
  if (byId.length) return byId[0];
  const [slug, variant] = lower.split('/');
  const bySlug = all.filter((d) => d.slug.toLowerCase() === slug && (variant === undefined || (d.variant ?? '').toLowerCase() === variant));
  return bySlug[0];
}

/** The design a name refers to; throws a one-line error naming the available ones. */
export function findDesign(name: string): SgxDesign {
  const d = lookupDesign(name);
  if (d) return d;
  const names = listDesigns().map((x) => `${x.key} (${x.slug}${x.variant ? '/' + x.variant : ''})`);
  throw new Error(`unknown SGX driver design '${name}' (available: ${names.join(', ') || 'none registered'})`);
}
