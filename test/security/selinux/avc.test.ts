// AVC decisions, cache statistics, modes and audit text. Expected audit lines follow the kernel's
// format (security/selinux/avc.c avc_audit_pre_callback/avc_audit_post_callback, security/lsm_audit.c
// dump_common_audit_data), as quoted in selinux-semantics.md §4.2.
import { describe, it, expect } from 'vitest';
import { Avc, EACCES, formatAvcLine, untrustedString, type AvcEvent, type AuditData } from '../../../src/security/selinux/avc.js';
import { builtinPolicy, PROCESS_CONTEXTS, fileContextFor } from '../../../src/security/selinux/builtin.js';
import { compileText, LOADER, obj } from './helpers.js';

const NONE: AuditData = { type: 'NONE', pid: 1234, comm: 'loader' };
const DEV: AuditData = { type: 'FILE', pid: 1234, comm: 'loader', path: '/dev/sgx_enclave', dev: 'devtmpfs', ino: 86 };

function avcWith(body: string, opts: { enforcing?: boolean; booleans?: Record<string, boolean> } = {}, compileOpts = {}): { avc: Avc; events: AvcEvent[] } {
  const p = compileText(body, compileOpts);
  const events: AvcEvent[] = [];
  const avc = new Avc(p, { enforcing: opts.enforcing ?? true, booleans: opts.booleans, sink: (e) => events.push(e) });
  return { avc, events };
}

const BASE = `
type loader_t;
type dev_t;
type lib_t;
allow loader_t lib_t:file { read open map execute getattr };
allow loader_t dev_t:chr_file { read write open ioctl map };
`;

describe('audit record text', () => {
  it('matches the kernel format for a process-class denial (selinux-semantics.md §4.2)', () => {
    expect(formatAvcLine(true, ['execmem'], NONE, 'u:r:loader_t:s0', 'u:r:loader_t:s0', 'process', false)).toBe(
      'avc:  denied  { execmem } for  pid=1234 comm="loader" scontext=u:r:loader_t:s0 tcontext=u:r:loader_t:s0 tclass=process permissive=0',
    );
  });
  it('matches the kernel format for a file mmap denial (path=, dev=, ino=)', () => {
    expect(formatAvcLine(true, ['execute'], DEV, 'u:r:loader_t:s0', 'system_u:object_r:sgx_enclave_device_t:s0', 'chr_file', false)).toBe(
      'avc:  denied  { execute } for  pid=1234 comm="loader" path="/dev/sgx_enclave" dev="devtmpfs" ino=86 scontext=u:r:loader_t:s0 tcontext=system_u:object_r:sgx_enclave_device_t:s0 tclass=chr_file permissive=0',
    );
  });
  it('uses name= for inode checks and ioctlcmd=0x%hx for ioctls; granted has no permissive=', () => {
    const inode: AuditData = { type: 'INODE', pid: 7, comm: 'qemu', name: 'sgx_vepc', dev: 'devtmpfs', ino: 86 };
    expect(formatAvcLine(true, ['read', 'write'], inode, 's', 't', 'chr_file', true)).toBe(
      'avc:  denied  { read write } for  pid=7 comm="qemu" name="sgx_vepc" dev="devtmpfs" ino=86 scontext=s tcontext=t tclass=chr_file permissive=1',
    );
    const ioc: AuditData = { type: 'IOCTL_OP', pid: 7, comm: 'l', path: '/dev/sgx_enclave', dev: 'devtmpfs', ino: 86, cmd: 0xa401 };
    expect(formatAvcLine(false, ['ioctl'], ioc, 's', 't', 'chr_file', false)).toBe(
      'avc:  granted  { ioctl } for  pid=7 comm="l" path="/dev/sgx_enclave" dev="devtmpfs" ino=86 ioctlcmd=0xa401 scontext=s tcontext=t tclass=chr_file',
    );
  });
  it('hex-encodes untrusted strings with spaces or quotes (audit_log_untrustedstring)', () => {
    expect(untrustedString('loader')).toBe('"loader"');
    expect(untrustedString('a b')).toBe('612062');
    expect(untrustedString('x"y')).toBe('782279');
  });
});

describe('decisions', () => {
  it('allows what the rules grant and denies the rest with -EACCES', () => {
    const { avc, events } = avcWith(BASE);
    const s = avc.sids.sid(LOADER);
    const t = avc.sids.sid(obj('dev_t'));
    expect(avc.hasPerm(s, t, 'chr_file', ['read', 'map'], DEV)).toBe(0);
    expect(avc.hasPerm(s, t, 'chr_file', ['read', 'execute'], DEV)).toBe(EACCES);
    expect(events[1].line).toBe(
      'avc:  denied  { execute } for  pid=1234 comm="loader" path="/dev/sgx_enclave" dev="devtmpfs" ino=86 scontext=u:r:loader_t:s0 tcontext=u:object_r:dev_t:s0 tclass=chr_file permissive=0',
    );
    expect(events[0].audited).toBe(false);
    expect(events[1]).toMatchObject({ denied: true, audited: true, permissive: false, perms: ['execute'], tclass: 'chr_file' });
  });

  it('expands attributes on both sides (type_attr_map)', () => {
    const { avc } = avcWith(`
attribute domain;
attribute file_type;
type loader_t, domain;
type lib_t, file_type;
type other_t;
allow domain file_type:file { read execute };
`);
    const s = avc.sids.sid(LOADER);
    expect(avc.hasPerm(s, avc.sids.sid(obj('lib_t')), 'file', ['execute'], NONE)).toBe(0);
    expect(avc.hasPerm(s, avc.sids.sid(obj('other_t')), 'file', ['read'], NONE)).toBe(EACCES);
  });

  it('counts cache lookups, hits and misses', () => {
    const { avc } = avcWith(BASE);
    const s = avc.sids.sid(LOADER);
    const t = avc.sids.sid(obj('lib_t'));
    for (let i = 0; i < 5; i++) avc.hasPerm(s, t, 'file', ['read'], NONE);
    expect(avc.stats).toMatchObject({ lookups: 5, hits: 4, misses: 1 });
  });

  it('conditional rules follow booleans; setBoolean flushes the cache', () => {
    const { avc } = avcWith(`${BASE}
bool loader_execmem false;
if (loader_execmem) { allow loader_t self:process execmem; }
if (!loader_execmem) { dontaudit loader_t self:process execstack; }
`);
    const s = avc.sids.sid(LOADER);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(EACCES);
    avc.setBoolean('loader_execmem', true);
    expect(avc.stats.frees).toBeGreaterThan(0);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(0);
  });

  it('dontaudit suppresses the record, auditallow adds an "avc:  granted" record', () => {
    const { avc, events } = avcWith(`${BASE}
dontaudit loader_t self:process execmem;
auditallow loader_t lib_t:file execute;
`);
    const s = avc.sids.sid(LOADER);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(EACCES);
    expect(events[0]).toMatchObject({ denied: true, audited: false });
    expect(avc.hasPerm(s, avc.sids.sid(obj('lib_t')), 'file', ['read', 'execute'], NONE)).toBe(0);
    expect(events[1].audited).toBe(true);
    expect(events[1].line).toBe('avc:  granted  { execute } for  pid=1234 comm="loader" scontext=u:r:loader_t:s0 tcontext=u:object_r:lib_t:s0 tclass=file');
  });

  it('per-domain permissive: logged once with permissive=1 until the AVC is flushed', () => {
    const { avc, events } = avcWith(`${BASE}\npermissive loader_t;\n`);
    const s = avc.sids.sid(LOADER);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(0);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(0);
    expect(events.map((e) => e.audited)).toEqual([true, false]);
    expect(events[0].line.endsWith('permissive=1')).toBe(true);
    avc.flush();
    avc.hasPerm(s, s, 'process', ['execmem'], NONE);
    expect(events[2].audited).toBe(true);
  });

  it('global permissive, then setenforce 1 resets the AVC and denials return EACCES with permissive=0', () => {
    const { avc, events } = avcWith(BASE, { enforcing: false });
    const s = avc.sids.sid(LOADER);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(0);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(0);
    expect(events.filter((e) => e.audited).length).toBe(1);
    avc.setEnforcing(true);
    expect(avc.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(EACCES);
    expect(events[2].line.endsWith('permissive=0')).toBe(true);
  });

  it('handle_unknown: a kernel permission missing from the policy is allowed or denied', () => {
    // no `map` in this policy's file class (a pre-4.13 policy)
    const old = `
class file
class process
sid kernel
class file { read execute open getattr }
class process { execmem }
`;
    const body = 'type loader_t;\ntype lib_t;\nallow loader_t lib_t:file { read execute };\n';
    const footer = 'role r;\nrole r types { loader_t };\nuser u roles { r };\nsid kernel u:r:loader_t\n';
    for (const [hu, want] of [['allow', 0], ['deny', EACCES]] as const) {
      const p = compileText(body, { handleUnknown: hu }, old, footer);
      const avc = new Avc(p, { enforcing: true });
      const s = avc.sids.sid('u:r:loader_t');
      expect(avc.isKnownPerm('file', 'map')).toBe(false);
      expect(avc.hasPerm(s, avc.sids.sid('u:object_r:lib_t'), 'file', ['map'], NONE)).toBe(want);
      // a class the policy lacks entirely follows the same rule (security_compute_av)
      expect(avc.hasPerm(s, s, 'memprotect', ['mmap_zero'], NONE)).toBe(want);
    }
  });

  it('extended permissions: allowxperm restricts ioctl numbers, other drivers are denied', () => {
    const { avc, events } = avcWith(`${BASE}
allowxperm loader_t dev_t:chr_file ioctl { 0xa400-0xa403 };
`);
    const s = avc.sids.sid(LOADER);
    const t = avc.sids.sid(obj('dev_t'));
    const ioc = (cmd: number): AuditData => ({ type: 'IOCTL_OP', pid: 1, comm: 'l', path: '/dev/sgx_enclave', dev: 'devtmpfs', ino: 86, cmd });
    expect(avc.hasExtendedPerm(s, t, 'chr_file', 'ioctl', 0xa4, 0x01, ioc(0xa401))).toBe(0);
    expect(avc.hasExtendedPerm(s, t, 'chr_file', 'ioctl', 0xa4, 0x05, ioc(0xa405))).toBe(EACCES);
    expect(avc.hasExtendedPerm(s, t, 'chr_file', 'ioctl', 0x54, 0x01, ioc(0x5401))).toBe(EACCES);
    expect(events[1].line).toBe(
      'avc:  denied  { ioctl } for  pid=1 comm="l" path="/dev/sgx_enclave" dev="devtmpfs" ino=86 ioctlcmd=0xa405 scontext=u:r:loader_t:s0 tcontext=u:object_r:dev_t:s0 tclass=chr_file permissive=0',
    );
    // without xperm rules for the pair, only the ioctl permission counts
    const { avc: a2 } = avcWith(BASE);
    expect(a2.hasExtendedPerm(a2.sids.sid(LOADER), a2.sids.sid(obj('dev_t')), 'chr_file', 'ioctl', 0x54, 0x01, ioc(0x5401))).toBe(0);
  });

  it('clone() shares nothing mutable: booleans, enforcing and permissive grants diverge', () => {
    const { avc } = avcWith(`${BASE}\nbool b false;\nif (b) { allow loader_t self:process execmem; }\n`, { enforcing: false });
    const s = avc.sids.sid(LOADER);
    avc.hasPerm(s, s, 'process', ['execstack'], NONE); // permissive grant in the original
    const c = avc.clone();
    c.setBoolean('b', true);
    expect(avc.getBoolean('b')).toBe(false);
    c.setEnforcing(true);
    expect(avc.isEnforcing).toBe(false);
    expect(c.hasPerm(s, s, 'process', ['execmem'], NONE)).toBe(0);
    expect(avc.hasPermNoAudit(s, s, 'process', ['execmem'])).toBe(0); // permissive original
    // a new SID in the clone does not appear in the original
    c.sids.sid(obj('lib_t'));
    expect(c.sids.size).toBe(avc.sids.size + 1);
    // the permissive grant made before the clone is still "logged once" in the clone
    const events: AvcEvent[] = [];
    const c2 = avc.clone();
    c2.sink = (e) => events.push(e);
    c2.hasPerm(s, s, 'process', ['execstack'], NONE);
    expect(events[0].audited).toBe(false);
  });
});

describe('built-in policies', () => {
  it('builtin:default lets the loader use the enclave device without execmem', () => {
    const p = builtinPolicy('default');
    const avc = new Avc(p, { enforcing: true });
    const s = avc.sids.sid(PROCESS_CONTEXTS.loader);
    const dev = avc.sids.sid(fileContextFor('/dev/sgx_enclave', '-c'));
    expect(fileContextFor('/dev/sgx_enclave', '-c')).toBe('system_u:object_r:sgx_enclave_device_t:s0');
    expect(avc.hasPermNoAudit(s, dev, 'chr_file', ['open', 'read', 'write', 'ioctl', 'map', 'execute'])).toBe(0);
    expect(avc.hasPermNoAudit(s, s, 'process', ['execmem'])).toBe(EACCES);
    avc.setBoolean('sgx_loader_execmem', true);
    expect(avc.hasPermNoAudit(s, s, 'process', ['execmem'])).toBe(0);
    avc.setBoolean('sgx_loader_execute_enclave', false);
    expect(avc.hasPermNoAudit(s, dev, 'chr_file', ['execute'])).toBe(EACCES);
    // unconfined_t: everything on device nodes except execmod
    const u = avc.sids.sid(PROCESS_CONTEXTS.unconfined);
    expect(avc.hasPermNoAudit(u, dev, 'chr_file', ['execute', 'write', 'map'])).toBe(0);
    expect(avc.hasPermNoAudit(u, dev, 'chr_file', ['execmod'])).toBe(EACCES);
  });
  it('builtin:strict has no execmem or execmod for the loader, whatever the booleans', () => {
    const p = builtinPolicy('strict');
    expect(p.boolIndex.has('sgx_loader_execmem')).toBe(false);
    const avc = new Avc(p, { enforcing: true });
    const s = avc.sids.sid(PROCESS_CONTEXTS.loader);
    expect(avc.hasPermNoAudit(s, s, 'process', ['execmem'])).toBe(EACCES);
    expect(avc.hasPermNoAudit(s, avc.sids.sid('system_u:object_r:lib_t:s0'), 'file', ['execmod'])).toBe(EACCES);
  });
});
