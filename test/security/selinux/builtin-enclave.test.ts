// The built-in policies and the 2019 SGX RFC permissions (docs/policies.md, sgx_loader_t and
// builtin:strict): sgx_loader_t may build enclave code from the libraries it may execute (lib_t:file
// sgx_execute, Sean Christopherson's RFC v4 10/12 FILE__SGX_EXECUTE; enclave_execute, its July
// 2019 name), never from the home directory, and gets neither enclave_execmod nor any process2
// sgx_*/enclave_* permission; builtin:strict says so with neverallow rules.
import { describe, expect, it } from 'vitest';
import { builtinPolicy, builtinPolicySource, PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { Avc } from '../../../src/security/selinux/avc.js';
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { compilePolicyResult } from '../../../src/security/selinux/compile.js';

const LIB = 'system_u:object_r:lib_t:s0';
const HOME = 'unconfined_u:object_r:user_home_t:s0';
const PROCESS2 = ['sgx_mapwx', 'sgx_execdirty', 'sgx_execunmr', 'sgx_execanon', 'enclave_execdirty', 'enclave_execunmr', 'enclave_execanon'];

for (const name of ['default', 'strict']) {
  describe(`builtin:${name}: sgx_loader_t and the RFC enclave permissions`, () => {
    const avc = new Avc(builtinPolicy(name), { enforcing: true });
    const loader = avc.sids.sid(PROCESS_CONTEXTS.loader);
    const allowed = (target: string, cls: string, perm: string): boolean => avc.hasPermNoAudit(loader, avc.sids.sid(target), cls, [perm]) === 0;

    it('sgx_execute and enclave_execute on lib_t, with execute', () => {
      for (const p of ['execute', 'sgx_execute', 'enclave_execute']) expect(allowed(LIB, 'file', p)).toBe(true);
    });

    it('none of them on user_home_t', () => {
      for (const p of ['execute', 'sgx_execute', 'enclave_execute']) expect(allowed(HOME, 'file', p)).toBe(false);
    });

    it('no enclave_execmod, no process2 enclave permission', () => {
      expect(allowed(LIB, 'file', 'enclave_execmod')).toBe(false);
      for (const p of PROCESS2) expect(allowed(PROCESS_CONTEXTS.loader, 'process2', p)).toBe(false);
    });
  });
}

describe('builtin:strict neverallows the enclave forms of execmem/execmod and enclave code outside lib_t', () => {
  const violations = (extra: string): string[] => {
    const src = builtinPolicySource('strict').replace('\nrole system_r;', `\n${extra}\nrole system_r;`);
    const r = parsePolicy(src, 'strict+extra.conf');
    expect(r.errors).toEqual([]);
    return compilePolicyResult(r.ast, { handleUnknown: 'deny' }).neverallowViolations;
  };
  it.each([
    'allow sgx_loader_t self:process2 sgx_execanon;',
    'allow sgx_loader_t self:process2 enclave_execdirty;',
    'allow sgx_loader_t lib_t:file enclave_execmod;',
    'allow sgx_loader_t user_home_t:file sgx_execute;',
    'allow sgx_loader_t tmpfs_t:file enclave_execute;',
  ])('%s violates a neverallow', (rule) => {
    expect(violations(rule).length).toBeGreaterThan(0);
  });
  it('the policy as shipped violates none', () => {
    expect(violations('')).toEqual([]);
  });
});
