import { it } from 'vitest';
import { bootWithSelinux } from '../../../../src/security/selinux/boot.js';
import { restorecon } from '../../../../src/security/selinux/label.js';
import { Kernel } from '../../../../src/kernel/kernel.js';
import { PROCESS_CONTEXTS } from '../../../../src/security/selinux/builtin.js';
import { O_RDONLY } from '../../../../src/abi/fcntl.js';
import { PROT_READ, PROT_EXEC, MAP_PRIVATE } from '../../../../src/abi/mman.js';
function run(k: Kernel, label: string) {
  k.fs.mkdirs('/lib');
  k.fs.createFile('/lib/x.so', { data: 'x'.repeat(8192), label: 'system_u:object_r:lib_t:s0' });
  if (label === 'selinux') restorecon(k, '/lib');
  const pid = k.spawn({ comm: 'loader', context: PROCESS_CONTEXTS.loader });
  const fd = k.sys.open(pid, '/lib/x.so', O_RDONLY);
  const N = 50000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const a = k.sys.mmap(pid, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    k.sys.munmap(pid, a, 4096);
  }
  const t1 = performance.now();
  console.log(label, fd, ((t1 - t0) / N * 1000).toFixed(2), 'us per mmap+munmap');
}
it('perf', () => {
  run(Kernel.boot({ trace: false }), 'noop');
  run(bootWithSelinux({ policy: 'builtin:default', trace: false }), 'selinux');
  run(Kernel.boot({ trace: false }), 'noop');
  run(bootWithSelinux({ policy: 'builtin:default', trace: false }), 'selinux');
});
it('hook only', () => {
  for (const tr of [false, false, false]) {
  const k = bootWithSelinux({ policy: 'builtin:default', trace: tr });
  k.fs.mkdirs('/lib');
  k.fs.createFile('/lib/x.so', { data: 'x'.repeat(8192), label: 'system_u:object_r:lib_t:s0' });
  restorecon(k, '/lib');
  const pid = k.spawn({ comm: 'loader', context: PROCESS_CONTEXTS.loader });
  const fd = k.sys.open(pid, '/lib/x.so', O_RDONLY);
  const f = k.lsmFile(k.fdFile(pid, fd)!.id);
  const cred = k.cred(pid);
  const N = 1000000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) k.lsm.mmap_file(k, cred, f, 5, 5, MAP_PRIVATE);
  const t1 = performance.now();
  console.log('trace', tr, ((t1 - t0) / N * 1000).toFixed(3), 'us per mmap_file hook (2 AVC queries)');
  }
});
it('avc only', () => {
  const k = bootWithSelinux({ policy: 'builtin:default', trace: false });
  const avc = (k.lsm as any).avc;
  const s = avc.sids.sid(PROCESS_CONTEXTS.loader);
  const t = avc.sids.sid('system_u:object_r:lib_t:s0');
  const ad = { type: 'NONE', pid: 0, comm: '' };
  const N = 1000000;
  for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  for (let i = 0; i < N; i++) { avc.hasPerm(s, t, 'file', ['map'], ad); avc.hasPerm(s, t, 'file', ['read'], ad); }
  let t1 = performance.now();
  console.log('avc strings', ((t1 - t0) / N * 1000).toFixed(3), 'us per 2 queries');
  const cid = avc.classId('file'); const m1 = avc.permMask(cid, ['map']); const m2 = avc.permMask(cid, ['read']);
  t0 = performance.now();
  for (let i = 0; i < N; i++) { avc.hasPerm(s, t, cid, m1, ad); avc.hasPerm(s, t, cid, m2, ad); }
  t1 = performance.now();
  console.log('avc numbers', ((t1 - t0) / N * 1000).toFixed(3), 'us per 2 queries');
  }
});
