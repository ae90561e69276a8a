import { describe, expect, it } from 'vitest';
import { D7, D8, findDesign, listDesigns, lookupDesign, registerDesign } from '../../../src/drivers/sgx/index.js';

describe('design registry', () => {
  it('finds designs by key, id, slug', () => {
    expect(findDesign('D7')).toBe(D7);
    expect(findDesign('d8')).toBe(D8);
    expect(findDesign('mainline-5.11')).toBe(D7);
    expect(findDesign('mainline-6.0')).toBe(D8);
    expect(lookupDesign('nope')).toBeUndefined();
    expect(() => findDesign('nope')).toThrow(/unknown SGX driver design 'nope' \(available: .*D7 \(mainline-5.11\)/);
    expect(listDesigns().map((d) => d.key)).toEqual(expect.arrayContaining(['D7', 'D8']));
  });
  it('refuses a second registration of a key', () => {
    expect(() => registerDesign(D7)).toThrow(/registered twice/);
  });
  it('every registered design is complete', () => {
    for (const d of listDesigns()) {
      expect(d.key).toBe(d.variant ? `${d.id}-${d.variant}` : d.id);
      expect(d.devices.some((x) => x.role === 'enclave')).toBe(true);
      expect(d.loaders[d.canonicalLoader] ?? (d.canonicalLoader === 'careful' ? { kind: 'native' } : undefined)).toBeDefined();
      expect(d.provenance.refs.length).toBeGreaterThan(0);
    }
  });
});
