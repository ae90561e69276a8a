// bootWithSelinux(), the administration methods of SelinuxLsm, the trace record of each AVC
// query, clone() isolation, and the orderings the issue singles out: the LSM check before the
// noexec EPERM (an AVC line *and* EPERM), permissive "logged once" across syscalls, an fd passed
// between domains (fd:use). Expected values: hooks.c / avc.c / mm/util.c (vm_mmap_pgoff()) of
// Linux 6.1 as quoted in ../shared/reference/selinux-semantics.md §1.1, §3.2, §4.
import { describe, it, expect } from 'vitest';
import { boot, traced, testPolicy, LOADER, OTHER, obj } from './hooks-fixture.js';
import { bootWithSelinux, selinuxOf, resolvePolicy } from '../../../src/security/selinux/boot.js';
import { SelinuxLsm, SelinuxError, avcEvents, avcLines } from '../../../src/security/selinux/hooks.js';
import { builtinPolicy, PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { compilePolicy } from '../../../src/security/selinux/compile.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import { O_RDONLY } from '../../../src/abi/fcntl.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, MAP_PRIVATE, MAP_ANONYMOUS } from '../../../src/abi/mman.js';
import { EACCES, EPERM } from '../../../src/abi/errno.js';

const RWX = PROT_READ | PROT_WRITE | PROT_EXEC;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const PAGE = 4096;
const execmem = (k: Kernel, pid: number): number => k.sys.mmap(pid, 0, PAGE, RWX, ANON, -1, 0);

describe('bootWithSelinux()', () => {
  it('boots with SELinux as the LSM, enforcing by default, on a built-in policy by name', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    expect(k.lsm.name).toBe('selinux');
    expect(selinuxOf(k).enforcing).toBe(true);
    expect(selinuxOf(k).policy).toBe(builtinPolicy('default'));
    expect(resolvePolicy('strict')).toBe(builtinPolicy('strict'));
  });

  it('applies enforcing, booleans and permissive domains', () => {
    const k = bootWithSelinux({ policy: 'builtin:default', enforcing: false, booleans: { sgx_loader_execmem: true }, permissiveDomains: ['unconfined_t'] });
    const se = selinuxOf(k);
    expect(se.enforcing).toBe(false);
    expect(se.getBoolean('sgx_loader_execmem')).toBe(true);
    expect(se.avc.computeDecision(se.avc.sids.sid(PROCESS_CONTEXTS.unconfined), se.avc.sids.sid(PROCESS_CONTEXTS.unconfined), 'process').permissive).toBe(true);
  });

  it('kernel options pass through (version, mmap_min_addr, trace)', () => {
    const k = bootWithSelinux({ policy: 'builtin:strict', version: '6.6', mmapMinAddr: 4096, trace: false });
    expect(k.config.version.release).toBe('6.6');
    expect(k.config.dacMmapMinAddr).toBe(4096);
    expect(k.trace.enabled).toBe(false);
  });

  it('bad input gives one-line errors', () => {
    expect(() => bootWithSelinux({ policy: 'builtin:nosuch' })).toThrow(new SelinuxError("unknown built-in policy 'builtin:nosuch' (available: builtin:default, builtin:strict)"));
    expect(() => bootWithSelinux({ policy: 'builtin:default', booleans: { nosuch: true } })).toThrow(SelinuxError);
    expect(() => bootWithSelinux({ policy: 'builtin:default', permissiveDomains: ['domain'] })).toThrow(new SelinuxError("builtin:default: no type 'domain'"));
    expect(() => selinuxOf(Kernel.boot())).toThrow(/not SELinux/);
    const k = bootWithSelinux({ policy: 'builtin:default' });
    expect(() => selinuxOf(k).setBoolean('nosuch', true)).toThrow(new SelinuxError("builtin:default: no boolean 'nosuch'"));
  });

  it('a policy without a valid `sid unlabeled` context is refused', () => {
    const src = `class file\nsid kernel\nclass file { read }\ntype t;\nrole r;\nrole r types { t };\nuser u roles { r };\nsid kernel u:r:t\n`;
    const p = compilePolicy(parsePolicy(src, 'tiny.conf').ast, { name: 'tiny.conf' });
    expect(() => new SelinuxLsm({ policy: p })).toThrow(/tiny.conf: the policy defines no valid context for the initial SID 'unlabeled'/);
  });
});

describe('administration', () => {
  it('booleans change decisions (builtin:default sgx_loader_execmem)', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    const pid = k.spawn({ comm: 'loader', context: PROCESS_CONTEXTS.loader });
    expect(execmem(k, pid)).toBe(-EACCES);
    selinuxOf(k).setBoolean('sgx_loader_execmem', true);
    expect(execmem(k, pid)).toBeGreaterThan(0);
  });

  it('policy seqno: bumped by booleans and permissive changes, not by setenforce', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    const se = selinuxOf(k);
    const s0 = se.policySeqno;
    se.setEnforcing(false);
    se.setEnforcing(true);
    expect(se.policySeqno).toBe(s0);
    se.setBoolean('deny_execmem', true);
    se.setPermissiveDomain('sgx_loader_t', true);
    expect(se.policySeqno).toBe(s0 + 2);
  });
});

describe('checkPerm() for hooks modelled elsewhere (design hooks)', () => {
  it('asks the AVC as the stock hooks do: traced with the caller\'s hook and check names, audited, permissive-once', () => {
    const k = boot('', { enforcing: false });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const se = selinuxOf(k);
    const t = traced(k, () => [
      se.checkPerm(k, k.cred(pid), 'enclave_load', 'selinux_enclave_load', null, 'process', ['execmem']),
      se.checkPerm(k, k.cred(pid), 'enclave_load', 'selinux_enclave_load', null, 'process', ['execmem']),
      se.checkPerm(k, k.cred(pid), 'enclave_init', 'selinux_enclave_init', 'u:object_r:nosuch_t:s0', 'file', ['execute']),
    ]);
    expect(t.ret).toEqual([0, 0, 0]);
    expect(t.events.map((e) => [e.hook, e.check, e.decision, e.audited])).toEqual([
      ['enclave_load', 'selinux_enclave_load', 'denied', true],
      ['enclave_load', 'selinux_enclave_load', 'granted', false],
      ['enclave_init', 'selinux_enclave_init', 'denied', true],
    ]);
    expect(t.lines[1]).toBe(`avc:  denied  { execute } for  pid=${pid} comm="loader" scontext=${LOADER} tcontext=system_u:object_r:unlabeled_t:s0 tclass=file permissive=1 trawcon="u:object_r:nosuch_t:s0"`);
  });
});

describe('the trace record of an AVC query', () => {
  it('carries hook, check, contexts, class, requested, decision, errno, audited, permissive and the line — allowed decisions too', () => {
    const k = boot('allow loader_t lib_t:file { read open map };');
    k.fs.createFile('/opt/lib.so', { data: 'x', label: obj('lib_t') });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0));
    expect(t.ret).toBe(-EACCES);
    const [map, file] = t.events;
    expect({ ...map, seq: 0 }).toEqual({
      kind: 'avc', seq: 0, pid, hook: 'mmap_file', check: 'selinux_mmap_file', scontext: LOADER, tcontext: obj('lib_t'), tclass: 'file',
      requested: ['map'], perms: ['map'], decision: 'granted', ret: 0, errno: null, audited: false, permissive: false, line: null, ioctlcmd: null,
    });
    expect(file).toMatchObject({ hook: 'mmap_file', check: 'file_has_perm', requested: ['read', 'execute'], perms: ['execute'], decision: 'denied', ret: -EACCES, errno: 'EACCES', audited: true, permissive: false });
    expect(file.line).toBe(`avc:  denied  { execute } for  pid=${pid} comm="loader" path="/opt/lib.so" dev="sda1" ino=${k.fs.stat('/opt/lib.so').ino} scontext=${LOADER} tcontext=${obj('lib_t')} tclass=file permissive=0`);
    expect(avcLines(k, t.events[0].seq)).toEqual([file.line]);
    // the kernel model's own 'lsm' record of the failing hook follows
    expect(k.trace.ofKind('lsm').at(-1)).toMatchObject({ hook: 'mmap_file', ret: -EACCES });
  });

  it('with the trace disabled nothing is recorded and decisions are unchanged', () => {
    const k = boot('', { trace: false });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const before = selinuxOf(k).avc.stats.lookups;
    expect(execmem(k, pid)).toBe(-EACCES);
    expect(avcEvents(k)).toEqual([]);
    expect(selinuxOf(k).avc.stats.lookups).toBe(before + 1);
  });
});

describe('LSM before VFS: mmap of PROT_EXEC on a noexec mount', () => {
  function setup(opts: Parameters<typeof boot>[1]): { k: Kernel; pid: number; fd: number } {
    const k = boot('allow loader_t lib_t:file { read open map };', opts);
    k.fs.mkdir('/mnt', { label: 'system_u:object_r:tmp_t:s0' });
    k.fs.mount('/mnt', 'tmpfs', { noexec: true, label: 'system_u:object_r:tmp_t:s0' });
    k.fs.createFile('/mnt/lib.so', { data: 'x', label: obj('lib_t') });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    return { k, pid, fd: k.sys.open(pid, '/mnt/lib.so', O_RDONLY) };
  }

  it('permissive: the execute denial is logged (permissive=1) and the VFS then fails the mmap with EPERM', () => {
    const { k, pid, fd } = setup({ permissiveDomains: ['loader_t'] });
    const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0));
    expect(t.ret).toBe(-EPERM);
    expect(t.lines).toEqual([`avc:  denied  { execute } for  pid=${pid} comm="loader" path="/mnt/lib.so" dev="tmpfs" ino=${k.fs.stat('/mnt/lib.so').ino} scontext=${LOADER} tcontext=${obj('lib_t')} tclass=file permissive=1`]);
  });

  it('enforcing: the LSM denial comes first, so the result is EACCES, not EPERM', () => {
    const { k, pid, fd } = setup({});
    const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0));
    expect(t.ret).toBe(-EACCES);
    expect(t.lines).toHaveLength(1);
  });
});

describe('permissive: logged once per AVC entry, across syscalls, until the AVC is reset', () => {
  it('a boolean change resets the AVC: the next denial is logged again', () => {
    const k = boot('bool flip false;', { enforcing: false });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const t = traced(k, () => {
      execmem(k, pid);
      execmem(k, pid);
      execmem(k, pid);
      selinuxOf(k).setBoolean('flip', true);
      return execmem(k, pid);
    });
    expect(t.ret).toBeGreaterThan(0);
    expect(t.brief).toEqual(['mmap_file:process{execmem}=permissive', 'mmap_file:process{execmem}=ok', 'mmap_file:process{execmem}=ok', 'mmap_file:process{execmem}=permissive']);
    expect(t.lines).toHaveLength(2);
  });
});

describe('an fd passed between domains', () => {
  it('SCM_RIGHTS checks fd:use at receive; each later use of the fd checks fd:use again', () => {
    const k = boot('allow loader_t other_t:fd use; allow other_t lib_t:file { read open }; allow loader_t lib_t:file { read map };');
    k.fs.createFile('/opt/lib.so', { data: 'x'.repeat(100), label: obj('lib_t') });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const other = k.spawn({ comm: 'other', context: OTHER });
    const ofd = k.sys.open(other, '/opt/lib.so', O_RDONLY);
    const t = traced(k, () => {
      const fd = k.sys.passFd(other, ofd, pid);
      return [fd, (k.sys.read(pid, fd, 10) as Uint8Array).length, k.sys.mmap(pid, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 0) > 0 ? 1 : 0];
    });
    expect(t.ret.slice(1)).toEqual([10, 1]);
    expect(t.brief).toEqual([
      'file_receive:fd{use}=ok', 'file_receive:file{read}=ok',
      'file_permission:fd{use}=ok', 'file_permission:file{read}=ok', // fsec->sid (other_t) != current: revalidate
      'mmap_file:file{map}=ok', 'mmap_file:fd{use}=ok', 'mmap_file:file{read}=ok',
    ]);
  });
});

describe('clone()', () => {
  it('shares nothing mutable: permissive grants, booleans, enforcing, file blobs, mount contexts and traces diverge', () => {
    const k = boot('bool flip false; allow loader_t lib_t:file { read open };', { enforcing: false });
    k.fs.createFile('/opt/lib.so', { data: 'x'.repeat(100), label: obj('lib_t') });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    const c = k.clone();
    expect(c.lsm).not.toBe(k.lsm);
    // a permissive grant in the clone leaves the original's AVC alone
    expect(traced(c, () => execmem(c, pid)).lines).toHaveLength(1);
    expect(traced(k, () => execmem(k, pid)).lines).toHaveLength(1);
    expect(traced(k, () => execmem(k, pid)).lines).toHaveLength(0);
    // booleans (and the policy seqno that file_permission() compares) diverge
    selinuxOf(c).setBoolean('flip', true);
    expect(selinuxOf(k).getBoolean('flip')).toBe(false);
    expect(traced(c, () => c.sys.read(pid, fd, 1)).brief).toEqual(['file_permission:file{read}=ok']);
    expect(traced(k, () => k.sys.read(pid, fd, 1)).brief).toEqual([]);
    // enforcing
    selinuxOf(c).setEnforcing(true);
    expect(selinuxOf(k).enforcing).toBe(false);
    // mount contexts
    selinuxOf(c).setMountContext(c, '/tmp', obj('mnt_t'));
    expect(selinuxOf(c).inodeContext(c, c.lsmInode(c.fs.lookup('/tmp')!))).toBe(obj('mnt_t'));
    expect(selinuxOf(k).inodeContext(k, k.lsmInode(k.fs.lookup('/tmp')!))).toBe('system_u:object_r:tmp_t:s0');
  });

  it('grants made before the clone are kept by both (the AVC state is part of the snapshot)', () => {
    const k = boot('', { enforcing: false });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    execmem(k, pid);
    const c = k.clone();
    expect(traced(c, () => execmem(c, pid)).lines).toEqual([]);
    expect(traced(k, () => execmem(k, pid)).lines).toEqual([]);
  });

  it('file blobs recorded in the clone after the fork stay in the clone', () => {
    const k = boot('allow loader_t lib_t:file { read open };');
    k.fs.createFile('/opt/lib.so', { data: 'x'.repeat(100), label: obj('lib_t') });
    const pid = k.spawn({ comm: 'loader', context: LOADER });
    const c = k.clone();
    const fd = c.sys.open(pid, '/opt/lib.so', O_RDONLY);
    expect(traced(c, () => c.sys.read(pid, fd, 1)).events).toEqual([]);
    // the same fd number and file id opened in the original after the fork have their own blob
    const fd2 = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
    expect(fd2).toBe(fd);
    expect(traced(k, () => k.sys.read(pid, fd2, 1)).events).toEqual([]);
  });

  it('policies and options are shared (immutable), the instance is new', () => {
    const { policy } = testPolicy('');
    const k = bootWithSelinux({ policy, fsRules: testPolicy('').fsRules });
    const c = k.clone();
    expect(selinuxOf(c).policy).toBe(selinuxOf(k).policy);
    expect(selinuxOf(c).avc).not.toBe(selinuxOf(k).avc);
  });
});
