// Design LSM hooks through the SelinuxLsm's AVC: decisions are audited and traced like any hook.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../../../src/kernel/kernel.js';
import { bootWithSelinux, selinuxOf } from '../../../../src/security/selinux/boot.js';
import { PROCESS_CONTEXTS } from '../../../../src/security/selinux/builtin.js';
import { O_RDONLY } from '../../../../src/abi/fcntl.js';
import { designAvc, selectHooks } from '../../../../src/drivers/sgx/common/lsm.js';

describe('design LSM hooks', () => {
  it('check(): avc_has_perm with the exact audit line, traced with the design hook name', () => {
    const k = bootWithSelinux({ policy: 'builtin:default' });
    const pid = k.spawn({ comm: 'loader', context: PROCESS_CONTEXTS.loader });
    const avc = designAvc(k)!;
    const from = k.trace.length;
    expect(avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'self' }, 'process', ['execmem'])).toBe(-13);
    const ev = k.trace.ofKind('avc', from);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ hook: 'enclave_load', check: 'selinux_enclave_load', tclass: 'process', requested: ['execmem'], decision: 'denied', ret: -13, audited: true });
    expect(ev[0].line).toBe(
      `avc:  denied  { execmem } for  pid=${pid} comm="loader" scontext=${PROCESS_CONTEXTS.loader} tcontext=${PROCESS_CONTEXTS.loader} tclass=process permissive=0`,
    );
    expect(k.trace.ofKind('lsm', from)).toMatchObject([{ hook: 'enclave_load', ret: -13 }]);
  });
  it('file targets use the inode label and FILE audit data; permissive logs once', () => {
    const k = bootWithSelinux({ policy: 'builtin:default', enforcing: false });
    k.fs.mkdirs('/home/user');
    k.fs.createFile('/home/user/e.img', { data: new Uint8Array(10), label: 'unconfined_u:object_r:user_home_t:s0' });
    const pid = k.spawn({ comm: 'loader', context: PROCESS_CONTEXTS.loader });
    const fd = k.sys.open(pid, '/home/user/e.img', O_RDONLY);
    const f = k.fdFile(pid, fd)!;
    const avc = designAvc(k)!;
    const from = k.trace.length;
    expect(avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'file', fileId: f.id }, 'file', ['execute'])).toBe(0);
    expect(avc.check(k, pid, 'enclave_load', 'selinux_enclave_load', { kind: 'file', fileId: f.id }, 'file', ['execute'])).toBe(0);
    const ev = k.trace.ofKind('avc', from);
    expect(ev.map((e) => e.audited)).toEqual([true, false]);
    expect(ev[0].line).toContain('path="/home/user/e.img" dev="sda1"');
    expect(ev[0].line).toContain('tcontext=unconfined_u:object_r:user_home_t:s0 tclass=file permissive=1');
    // probe(): the decision only, nothing traced
    selinuxOf(k).setEnforcing(true);
    const from2 = k.trace.length;
    expect(avc.probe(k, pid, { kind: 'file', fileId: f.id }, 'file', ['execute'])).toBe(-13);
    expect(k.trace.ofKind('avc', from2)).toHaveLength(0);
  });
  it('selectHooks(): the no-op implementation without SELinux', () => {
    expect(designAvc(Kernel.boot())).toBeNull();
    expect(selectHooks(Kernel.boot(), { none: 'none', selinux: () => 'selinux' })).toBe('none');
    expect(selectHooks(bootWithSelinux({ policy: 'builtin:default' }), { none: 'none', selinux: () => 'selinux' })).toBe('selinux');
  });
});
