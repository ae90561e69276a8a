// Policy lookups (type transitions for new files, memfds and anon inodes), contexts and SIDs,
// and the built-in file_contexts table.
import { describe, it, expect } from 'vitest';
import { builtinPolicy, fileContextFor, FILE_CONTEXTS, MOUNT_CONTEXTS, PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { SidTable, parseContext, ContextError } from '../../../src/security/selinux/sidtab.js';
import { Avc } from '../../../src/security/selinux/avc.js';
import { K_TRANSITION } from '../../../src/security/selinux/policy.js';
import { kernelClassmap, SGX_DESIGN_PERMS } from '../../../src/security/selinux/classmap.js';
import { compileText } from './helpers.js';

describe('type transitions (security_compute_sid)', () => {
  const p = builtinPolicy('default');
  const avc = new Avc(p, { enforcing: true });
  const cond = p.evaluateConds(p.defaultBoolValues());
  const t = (n: string): number => p.typeId(n);
  it('labels the loader\'s secure anon inodes, memfds and /tmp files', () => {
    expect(p.typeNames[p.transitionType(t('sgx_loader_t'), t('sgx_loader_t'), p.classId('anon_inode'), cond) - 1]).toBe('sgx_loader_anon_t');
    expect(p.typeNames[p.transitionType(t('sgx_loader_t'), t('sgx_loader_t'), p.classId('memfd_file'), cond) - 1]).toBe('sgx_loader_memfd_t');
    expect(p.typeNames[p.transitionType(t('sgx_loader_t'), t('tmp_t'), p.classId('file'), cond) - 1]).toBe('tmp_t');
    // a process exec transition
    expect(p.typeNames[p.transitionType(t('unconfined_t'), t('sgx_loader_exec_t'), p.classId('process'), cond, undefined, K_TRANSITION) - 1]).toBe('sgx_loader_t');
    // no rule: 0 (the kernel then keeps the task's type for anon inodes, the parent's for files)
    expect(p.transitionType(t('unconfined_t'), t('unconfined_t'), p.classId('anon_inode'), cond)).toBe(0);
    // the SID of the new object
    const s = avc.sids.sid(PROCESS_CONTEXTS.loader);
    expect(avc.sids.context(avc.sids.withType(s, t('sgx_loader_anon_t'))).text).toBe('unconfined_u:unconfined_r:sgx_loader_anon_t:s0-s0:c0.c3');
  });
  it('name-based transitions take precedence', () => {
    const q = compileText('type loader_t;\ntype tmp_t;\ntype so_t;\ntype_transition loader_t tmp_t:file tmp_t;\ntype_transition loader_t tmp_t:file so_t "libx.so";\n');
    const c = q.evaluateConds([]);
    const [a, b, f] = [q.typeId('loader_t'), q.typeId('tmp_t'), q.classId('file')];
    expect(q.typeNames[q.transitionType(a, b, f, c, 'libx.so') - 1]).toBe('so_t');
    expect(q.typeNames[q.transitionType(a, b, f, c, 'other') - 1]).toBe('tmp_t');
  });
  it('resolves aliases like their types', () => {
    const q = compileText('type loader_t;\ntype lib_t alias { shlib_t };\nallow loader_t shlib_t:file read;\n');
    expect(q.typeId('shlib_t')).toBe(q.typeId('lib_t'));
    const a = new Avc(q, { enforcing: true });
    expect(a.hasPermNoAudit(a.sids.sid('u:r:loader_t:s0'), a.sids.sid('u:object_r:shlib_t:s0'), 'file', ['read'])).toBe(0);
  });
});

describe('contexts and SIDs', () => {
  it('parses user:role:type[:level] with MLS ranges', () => {
    expect(parseContext('system_u:object_r:lib_t:s0')).toEqual({ user: 'system_u', role: 'object_r', type: 'lib_t', range: 's0' });
    expect(parseContext('u:r:t_t:s0-s0:c0.c1023')).toEqual({ user: 'u', role: 'r', type: 't_t', range: 's0-s0:c0.c1023' });
    expect(parseContext('u:r:t_t')).toEqual({ user: 'u', role: 'r', type: 't_t', range: undefined });
    expect(() => parseContext('u:r')).toThrow(ContextError);
    expect(() => parseContext('u::t:s0')).toThrow("invalid security context 'u::t:s0' (expected user:role:type[:level])");
  });
  it('interns contexts; clones are copy-on-write and independent', () => {
    const sids = new SidTable(builtinPolicy('default'));
    const a = sids.sid(PROCESS_CONTEXTS.loader);
    expect(sids.sid(PROCESS_CONTEXTS.loader)).toBe(a);
    const c = sids.clone();
    const b = c.sid('system_u:object_r:lib_t:s0');
    expect(c.size).toBe(2);
    expect(sids.size).toBe(1);
    expect(sids.sid('system_u:object_r:tmp_t:s0')).toBe(b); // same number, different table
    expect(c.context(b).type).toBe('lib_t');
    expect(sids.context(b).type).toBe('tmp_t');
    expect(() => sids.sid('u:r:nosuch_t:s0')).toThrow(ContextError);
    expect(() => sids.sid('u:r:domain:s0')).toThrow('domain is not a type of the policy');
  });
});

describe('built-in contexts', () => {
  it('labels the files, devices and mounts scenarios use', () => {
    expect(fileContextFor('/dev/sgx_enclave', '-c')).toBe('system_u:object_r:sgx_enclave_device_t:s0');
    expect(fileContextFor('/dev/sgx/enclave', '-c')).toBe('system_u:object_r:sgx_enclave_device_t:s0');
    expect(fileContextFor('/dev/sgx_provision', '-c')).toBe('system_u:object_r:sgx_provision_device_t:s0');
    expect(fileContextFor('/dev', '-d')).toBe('system_u:object_r:device_t:s0');
    expect(fileContextFor('/usr/lib/x86_64-linux-gnu/libsgx_urts.so', '--')).toBe('system_u:object_r:lib_t:s0');
    expect(fileContextFor('/usr/bin/gramine-sgx', '--')).toBe('system_u:object_r:sgx_loader_exec_t:s0');
    expect(fileContextFor('/home/alice/enclave.signed.so', '--')).toBe('unconfined_u:object_r:user_home_t:s0');
    expect(fileContextFor('/home/alice/enclave.sigstruct', '--')).toBe('unconfined_u:object_r:sgx_sigstruct_t:s0');
    expect(fileContextFor('/tmp/x', '--')).toBe('system_u:object_r:tmp_t:s0');
    expect(fileContextFor('/srv/x', '--')).toBe('system_u:object_r:unlabeled_t:s0');
    expect(MOUNT_CONTEXTS.devtmpfs).toBe('system_u:object_r:device_t:s0');
    // every context of the tables is valid in both policies
    for (const name of ['default', 'strict']) {
      const sids = new SidTable(builtinPolicy(name));
      for (const e of FILE_CONTEXTS) sids.sid(e.context);
      for (const c of Object.values(MOUNT_CONTEXTS)) sids.sid(c);
      for (const c of Object.values(PROCESS_CONTEXTS)) sids.sid(c);
    }
  });
  it('defines the kernel classes a loader meets and every SGX design permission', () => {
    const p = builtinPolicy('default');
    for (const c of ['file', 'chr_file', 'dir', 'fd', 'process', 'process2', 'memprotect', 'anon_inode', 'memfd_file']) expect(p.classId(c)).toBeGreaterThan(0);
    for (const d of SGX_DESIGN_PERMS) expect(p.cls(p.classId(d.cls)).permIndex.has(d.perm)).toBe(true);
    // and the kernel classmap with design permissions knows them too
    const cm = kernelClassmap({ sgxDesignPerms: true });
    for (const d of SGX_DESIGN_PERMS) expect(cm.get(d.cls)).toContain(d.perm);
  });
});
