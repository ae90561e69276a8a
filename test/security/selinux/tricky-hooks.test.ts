// The tricky cases of ../shared/reference/selinux-semantics.md §7.7, hook level: each row drives
// real syscalls through the kernel model with SELinux as its LSM and compares the return values,
// the AVC queries the hooks made (class{requested}=result, in order) and the audit lines with
// what §7.7 and the decision tables §7.3/§7.4 (quoting security/selinux/hooks.c, mm/mmap.c,
// mm/mprotect.c, security/security.c of Linux 6.1) say. Each row names the code it relies on.
// The AVC-level parts of the same cases are in tricky.test.ts.
import { describe, it, expect } from 'vitest';
import { boot, traced, LOADER, OTHER, obj, HEADER, TYPES, BASE_RULES, FOOTER } from './hooks-fixture.js';
import { bootWithSelinux, selinuxOf } from '../../../src/security/selinux/boot.js';
import { PROCESS_CONTEXTS } from '../../../src/security/selinux/builtin.js';
import { parsePolicy } from '../../../src/security/selinux/parser.js';
import { compilePolicy } from '../../../src/security/selinux/compile.js';
import { fsLabelRulesFromAst } from '../../../src/security/selinux/label.js';
import { securityMmapFile } from '../../../src/security/hooks.js';
import { anonInodeGetfile, anonInodeGetfileSecure } from '../../../src/fs/anon_inodes.js';
import { shmemFileSetup } from '../../../src/fs/memfd.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import type { FileOperations } from '../../../src/fs/types.js';
import { START_BRK, STACK_VMA_START, STACK_TOP } from '../../../src/kernel/kernel.js';
import { errnoName } from '../../../src/abi/errno.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_ANONYMOUS, MAP_FIXED } from '../../../src/abi/mman.js';
import { READ_IMPLIES_EXEC } from '../../../src/abi/personality.js';
import { CAP_SYS_RAWIO } from '../../../src/abi/capability.js';
import { findDesign } from '../../../src/drivers/sgx/registry.js';
import '../../../src/drivers/sgx/index.js';
import { reserveElrange } from '../../../src/drivers/sgx/loaders/flows.js';
import { secsBytes } from '../../../src/arch/x86/sgx/encls.js';
import { UserProcess } from '../../../src/userspace/process.js';
import { nodeCrypto } from '../../../src/platform/node/crypto.js';

const R = PROT_READ;
const RX = PROT_READ | PROT_EXEC;
const RW = PROT_READ | PROT_WRITE;
const RWX = PROT_READ | PROT_WRITE | PROT_EXEC;
const PAGE = 4096;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

interface Ctx {
  k: Kernel;
  pid: number;
  v: Record<string, number>;
}

interface Row {
  id: number;
  title: string;
  /** the kernel code the row relies on */
  hook: string;
  /** policy rules for the test policy (hooks-fixture.ts), or the built-in policy */
  rules?: string;
  policy?: 'builtin:default';
  boot?: Parameters<typeof boot>[1];
  context?: string;
  /** untraced preparation */
  setup?: (c: Ctx) => void;
  /** the traced syscalls; each return value is recorded ('ok' for >= 0, else the errno name) */
  steps?: (c: Ctx) => number[];
  ret?: string[];
  /** class{requested}=ok|EACCES|permissive of every AVC query, with the hook: 'mmap_file:file{map}=ok' */
  avc?: string[];
  /** the audit lines, in order (a function of the context for pids and inode numbers) */
  lines?: (c: Ctx) => string[];
  /** further checks after the steps */
  after?: (c: Ctx) => void;
  /** a row (or part of one) the model cannot run, with the reason */
  todo?: string;
}

/** Rows 23/23.1: a 2-page memfd mapped shared RW at c.v.a, then personality(READ_IMPLIES_EXEC). */
function rieSharedMemfd(c: Ctx): void {
  c.v.fd = c.k.sys.memfd_create(c.pid, 'test', 0);
  c.k.sys.write(c.pid, c.v.fd, new Uint8Array(2 * PAGE));
  c.v.a = c.k.sys.mmap(c.pid, 0, 2 * PAGE, RW, MAP_SHARED, c.v.fd, 0);
  c.k.setPersonality(c.pid, READ_IMPLIES_EXEC);
}
const okOrErr = (r: number): string => (r >= 0 ? 'ok' : errnoName(r));
const ino = (k: Kernel, path: string): number => k.fs.stat(path).ino;
const denyLine = (c: Ctx, perm: string, rest: string, permissive = 0): string => `avc:  denied  { ${perm} } for  pid=${c.pid} comm="loader"${rest} permissive=${permissive}`;
const selfProc = ` scontext=${LOADER} tcontext=${LOADER} tclass=process`;
/** The perms column of /proc/PID/maps for the VMA at addr. */
function mapsPerms(k: Kernel, pid: number, addr: number): string {
  const hex = addr.toString(16);
  const line = k.procMaps(pid).split('\n').find((l) => l.startsWith(hex + '-'));
  return line ? line.split(' ')[1] : '';
}
const anonFops: FileOperations = { name: 'anontest', mmap: () => 0 };
const sgxStub: FileOperations = { name: 'sgx_enclave (stand-in: the SELinux part only)', mmap: () => 0, unlocked_ioctl: () => 0 };
const LIB_RULES = 'allow loader_t lib_t:file { read write open map execute };';

function openLib(c: Ctx, flags = O_RDONLY, path = '/opt/lib.so'): number {
  const fd = c.k.sys.open(c.pid, path, flags);
  if (fd < 0) throw new Error(`open ${path}: ${errnoName(fd)}`);
  return fd;
}

const ROWS: Row[] = [
  {
    id: 1, title: 'mmap anon PRIVATE RWX -> execmem', hook: 'file_map_prot_check(): default_noexec && PROT_EXEC && !file',
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RWX, ANON, -1, 0)],
    ret: ['EACCES'], avc: ['mmap_file:process{execmem}=EACCES'],
    lines: (c) => [denyLine(c, 'execmem', selfProc)],
  },
  {
    id: 2, title: 'mmap anon PRIVATE RW, then mprotect RX -> execmem only (not heap, not stack)', hook: 'selinux_file_mprotect() -> file_map_prot_check()',
    steps: (c) => {
      const a = c.k.sys.mmap(c.pid, 0, PAGE, RW, ANON, -1, 0);
      return [a, c.k.sys.mprotect(c.pid, a, PAGE, RX)];
    },
    ret: ['ok', 'EACCES'], avc: ['file_mprotect:process{execmem}=EACCES'],
  },
  {
    id: 3, title: 'mmap anon SHARED RX -> execmem (no file at the hook); mprotect +X later -> execmem through the S_PRIVATE shmem file', hook: 'file_map_prot_check() IS_PRIVATE clause (892e8cac99a7); shmem_zero_setup()',
    steps: (c) => {
      const r1 = c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      const a = c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      return [r1, a, c.k.sys.mprotect(c.pid, a, PAGE, RX)];
    },
    ret: ['EACCES', 'ok', 'EACCES'], avc: ['mmap_file:process{execmem}=EACCES', 'file_mprotect:process{execmem}=EACCES'],
  },
  {
    id: 4, title: 'mmap file PRIVATE RX -> map, read+execute, no execmem', hook: 'selinux_mmap_file() FILE__MAP; file_map_prot_check() FILE__READ|FILE__EXECUTE',
    rules: LIB_RULES,
    setup: (c) => {
      c.v.fd = openLib(c);
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_PRIVATE, c.v.fd, 0)],
    ret: ['ok'], avc: ['mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok'],
  },
  {
    id: 5, title: 'mmap file PRIVATE RWX -> map, execmem, read+execute (no write)', hook: 'file_map_prot_check(): !shared && PROT_WRITE',
    rules: LIB_RULES + 'allow loader_t self:process execmem;',
    setup: (c) => {
      c.v.fd = openLib(c);
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RWX, MAP_PRIVATE, c.v.fd, 0)],
    ret: ['ok'], avc: ['mmap_file:file{map}=ok', 'mmap_file:process{execmem}=ok', 'mmap_file:file{read execute}=ok'],
  },
  {
    id: 6, title: 'mmap file PRIVATE RW, write, mprotect RX -> execmod + read+execute; without the write -> read+execute only', hook: 'selinux_file_mprotect(): vma->vm_file && vma->anon_vma -> file_has_perm(FILE__EXECMOD)',
    rules: LIB_RULES + 'allow loader_t lib_t:file execmod;',
    setup: (c) => {
      const fd = openLib(c);
      c.v.a = c.k.sys.mmap(c.pid, 0, PAGE, RW, MAP_PRIVATE, fd, 0);
      c.v.b = c.k.sys.mmap(c.pid, 0, PAGE, RW, MAP_PRIVATE, fd, 0);
      if (!c.k.mem.write(c.pid, c.v.a, new Uint8Array([0xc3])).ok) throw new Error('write fault');
    },
    steps: (c) => [c.k.sys.mprotect(c.pid, c.v.a, PAGE, RX), c.k.sys.mprotect(c.pid, c.v.b, PAGE, RX)],
    ret: ['ok', 'ok'], avc: ['file_mprotect:file{execmod}=ok', 'file_mprotect:file{read execute}=ok', 'file_mprotect:file{read execute}=ok'],
  },
  {
    id: 7, title: 'mmap file SHARED RWX -> map, read+write+execute, no execmem; with an O_RDONLY fd -> EACCES from the VFS after the LSM checks', hook: 'vm_mmap_pgoff(): security_mmap_file() before do_mmap()',
    rules: LIB_RULES,
    setup: (c) => {
      c.v.rw = openLib(c, O_RDWR);
      c.v.ro = openLib(c, O_RDONLY);
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RWX, MAP_SHARED, c.v.rw, 0), c.k.sys.mmap(c.pid, 0, PAGE, RWX, MAP_SHARED, c.v.ro, 0)],
    ret: ['ok', 'EACCES'],
    avc: ['mmap_file:file{map}=ok', 'mmap_file:file{read write execute}=ok', 'mmap_file:file{map}=ok', 'mmap_file:file{read write execute}=ok'],
  },
  {
    id: 8, title: 'memfd: shared RW mapping + second shared RX mapping -> tmpfs write, then execute; no execmem', hook: 'file_map_prot_check() on a tmpfs (not S_PRIVATE) inode; fs_use_trans tmpfs',
    rules: 'allow loader_t tmpfs_t:file { read write map execute };',
    setup: (c) => {
      c.v.fd = c.k.sys.memfd_create(c.pid, 'jit', 0);
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RW, MAP_SHARED, c.v.fd, 0), c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_SHARED, c.v.fd, 0)],
    ret: ['ok', 'ok'], avc: ['mmap_file:file{map}=ok', 'mmap_file:file{read write}=ok', 'mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok'],
    after: (c) => {
      // the memfd inode: fs_use_trans from the creating task: its user, tmpfs_t, its low level
      const t = traced(c.k, () => c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_SHARED, c.v.fd, 0));
      expect(t.events[0].tcontext).toBe('u:object_r:tmpfs_t:s0');
    },
  },
  {
    id: 9, title: 'READ_IMPLIES_EXEC: PROT_READ becomes RX (execute checked); on a noexec mount no X is added; PROT_EXEC on noexec -> the SELinux check, then EPERM', hook: 'security_mmap_file() mmap_prot(), security/security.c; do_mmap() path_noexec()',
    rules: LIB_RULES + 'auditallow loader_t lib_t:file execute;',
    setup: (c) => {
      c.k.fs.mkdir('/mnt', { label: 'system_u:object_r:tmp_t:s0' });
      c.k.fs.mount('/mnt', 'tmpfs', { noexec: true, label: 'system_u:object_r:tmp_t:s0' });
      c.k.fs.createFile('/mnt/lib.so', { data: 'x', label: obj('lib_t') });
      c.k.setPersonality(c.pid, READ_IMPLIES_EXEC);
      c.v.fd = openLib(c);
      c.v.nfd = openLib(c, O_RDONLY, '/mnt/lib.so');
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_PRIVATE, c.v.fd, 0), c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_PRIVATE, c.v.nfd, 0), c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_PRIVATE, c.v.nfd, 0)],
    ret: ['ok', 'ok', 'EPERM'],
    avc: ['mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok', 'mmap_file:file{map}=ok', 'mmap_file:file{read}=ok', 'mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok'],
    lines: (c) => [
      `avc:  granted  { execute } for  pid=${c.pid} comm="loader" path="/opt/lib.so" dev="sda1" ino=${ino(c.k, '/opt/lib.so')} scontext=${LOADER} tcontext=${obj('lib_t')} tclass=file`,
      `avc:  granted  { execute } for  pid=${c.pid} comm="loader" path="/mnt/lib.so" dev="tmpfs" ino=${ino(c.k, '/mnt/lib.so')} scontext=${LOADER} tcontext=${obj('lib_t')} tclass=file`,
    ],
  },
  {
    id: 10, title: 'READ_IMPLIES_EXEC + mmap PRIVATE RW -> execmem; a later mprotect RX skips execmod (the VMA is already VM_EXEC)', hook: 'file_map_prot_check(); selinux_file_mprotect() skips its block when VM_EXEC',
    rules: LIB_RULES + 'allow loader_t self:process execmem;',
    setup: (c) => {
      c.k.setPersonality(c.pid, READ_IMPLIES_EXEC);
      c.v.fd = openLib(c);
    },
    steps: (c) => {
      const a = c.k.sys.mmap(c.pid, 0, PAGE, RW, MAP_PRIVATE, c.v.fd, 0);
      if (!c.k.mem.write(c.pid, a, new Uint8Array([1])).ok) throw new Error('write fault');
      return [a, c.k.sys.mprotect(c.pid, a, PAGE, RX)];
    },
    ret: ['ok', 'ok'], avc: ['mmap_file:file{map}=ok', 'mmap_file:process{execmem}=ok', 'mmap_file:file{read execute}=ok', 'file_mprotect:file{read execute}=ok'],
  },
  {
    id: 11, title: 'mprotect +X on the heap -> execheap AND execmem; a VMA next to the heap is not the heap; an empty heap matches nothing', hook: 'selinux_file_mprotect(): vm_start >= start_brk && vm_end <= brk (open-coded, not vma_is_initial_heap())',
    rules: 'allow loader_t self:process { execheap execmem };',
    setup: (c) => {
      c.k.sys.brk(c.pid, START_BRK + 2 * PAGE);
      c.v.adj = c.k.sys.mmap(c.pid, START_BRK + 2 * PAGE, PAGE, R, ANON | MAP_FIXED, -1, 0);
      c.v.p2 = c.k.spawn({ comm: 'loader', context: LOADER });
      c.v.e = c.k.sys.mmap(c.v.p2, START_BRK, PAGE, RW, ANON | MAP_FIXED, -1, 0);
    },
    steps: (c) => [c.k.sys.mprotect(c.pid, START_BRK, 2 * PAGE, RX), c.k.sys.mprotect(c.pid, c.v.adj, PAGE, RX), c.k.sys.mprotect(c.v.p2, c.v.e, PAGE, RX)],
    ret: ['ok', 'ok', 'ok'],
    avc: ['file_mprotect:process{execheap}=ok', 'file_mprotect:process{execmem}=ok', 'file_mprotect:process{execmem}=ok', 'file_mprotect:process{execmem}=ok'],
  },
  {
    id: 12, title: 'mprotect +X on the main stack or a thread stack -> execstack AND execmem; a file VMA at the stack pointer is not a stack', hook: 'selinux_file_mprotect(): !vm_file && (start_stack inside || vma_is_stack_for_current())',
    rules: LIB_RULES + 'allow loader_t self:process { execstack execmem };',
    setup: (c) => {
      c.v.t = c.k.sys.mmap(c.pid, 0, PAGE, RW, ANON, -1, 0);
      c.v.f = c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_PRIVATE, openLib(c), 0);
    },
    steps: (c) => {
      const r1 = c.k.sys.mprotect(c.pid, STACK_VMA_START, STACK_TOP - STACK_VMA_START, RWX);
      c.k.setStackPointer(c.pid, c.v.t + 64);
      const r2 = c.k.sys.mprotect(c.pid, c.v.t, PAGE, RX);
      c.k.setStackPointer(c.pid, c.v.f + 64);
      return [r1, r2, c.k.sys.mprotect(c.pid, c.v.f, PAGE, RX)];
    },
    ret: ['ok', 'ok', 'ok'],
    avc: ['file_mprotect:process{execstack}=ok', 'file_mprotect:process{execmem}=ok', 'file_mprotect:process{execstack}=ok', 'file_mprotect:process{execmem}=ok', 'file_mprotect:file{read execute}=ok'],
  },
  {
    id: 13, title: 'mprotect RX -> RWX on anonymous memory -> execmem only (the special block is skipped: VM_EXEC already set)', hook: 'selinux_file_mprotect(): !(vma->vm_flags & VM_EXEC)',
    rules: 'allow loader_t self:process execmem;',
    setup: (c) => {
      c.k.sys.brk(c.pid, START_BRK + PAGE);
      c.v.a = c.k.sys.mmap(c.pid, 0, PAGE, RX, ANON, -1, 0);
    },
    steps: (c) => [c.k.sys.mprotect(c.pid, c.v.a, PAGE, RWX)],
    ret: ['ok'], avc: ['file_mprotect:process{execmem}=ok'],
  },
  {
    id: 14, title: 'mprotect over two VMAs where the second fails -> the first stays changed', hook: 'do_mprotect_pkey(): per-VMA loop, mm/mprotect.c',
    rules: LIB_RULES,
    setup: (c) => {
      c.v.a = c.k.sys.mmap(c.pid, 0x700000000000, PAGE, R, MAP_PRIVATE | MAP_FIXED, openLib(c), 0);
      c.k.sys.mmap(c.pid, 0x700000000000 + PAGE, PAGE, R, ANON | MAP_FIXED, -1, 0);
    },
    steps: (c) => [c.k.sys.mprotect(c.pid, c.v.a, 2 * PAGE, RX)],
    ret: ['EACCES'], avc: ['file_mprotect:file{read execute}=ok', 'file_mprotect:process{execmem}=EACCES'],
    after: (c) => {
      expect(mapsPerms(c.k, c.pid, c.v.a)).toBe('r-xp');
      expect(mapsPerms(c.k, c.pid, c.v.a + PAGE)).toBe('r--p');
    },
  },
  {
    id: 15, title: 'mprotect +W on MAP_SHARED of an O_RDONLY fd -> EACCES, no AVC query', hook: 'do_mprotect_pkey(): VM_MAY* check before security_file_mprotect()',
    rules: LIB_RULES,
    setup: (c) => {
      c.v.a = c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_SHARED, openLib(c), 0);
    },
    steps: (c) => [c.k.sys.mprotect(c.pid, c.v.a, PAGE, RW)],
    ret: ['EACCES'], avc: [],
  },
  {
    id: 16, title: 'mmap of an fd received from another domain -> fd:use before the file permissions (after map)', hook: 'file_has_perm(): fd:use when current_sid != fsec->sid; selinux_mmap_file() map via inode_has_perm()',
    rules: LIB_RULES + 'allow loader_t other_t:fd use; allow other_t lib_t:file { read open };',
    setup: (c) => {
      const other = c.k.spawn({ comm: 'other', context: OTHER });
      const ofd = c.k.sys.open(other, '/opt/lib.so', O_RDONLY);
      c.v.fd = c.k.sys.passFd(other, ofd, c.pid);
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_PRIVATE, c.v.fd, 0)],
    ret: ['ok'], avc: ['mmap_file:file{map}=ok', 'mmap_file:fd{use}=ok', 'mmap_file:file{read}=ok'],
  },
  {
    id: 16.1, title: 'mmap of a foreign fd without fd:use -> EACCES at fd:use, the file permissions are not asked', hook: 'file_has_perm() fd:use',
    rules: LIB_RULES + 'allow other_t lib_t:file { read open };',
    setup: (c) => {
      const other = c.k.spawn({ comm: 'other', context: OTHER });
      const ofd = c.k.sys.open(other, '/opt/lib.so', O_RDONLY);
      c.v.fd = c.k.installFile(c.pid, c.k.fdFile(other, ofd)!.id); // inherited, no SCM_RIGHTS check
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, R, MAP_PRIVATE, c.v.fd, 0)],
    ret: ['EACCES'], avc: ['mmap_file:file{map}=ok', 'mmap_file:fd{use}=EACCES'],
    lines: (c) => [denyLine(c, 'use', ` path="/opt/lib.so" dev="sda1" ino=${ino(c.k, '/opt/lib.so')} scontext=${LOADER} tcontext=${OTHER} tclass=fd`)],
  },
  {
    id: 17, title: 'anon inode mmap PROT_EXEC: non-secure (S_PRIVATE) -> execmem only; secure -> anon_inode map, read+execute', hook: 'alloc_anon_inode() S_PRIVATE; selinux_inode_init_security_anon(); file_map_prot_check()',
    rules: 'type_transition loader_t loader_t:anon_inode anon_t "[sec]"; allow loader_t anon_t:anon_inode { create map read execute };',
    setup: (c) => {
      c.v.plain = c.k.installFile(c.pid, anonInodeGetfile(c.k, c.pid, '[plain]', anonFops, null, O_RDWR));
      c.v.sec = c.k.installFile(c.pid, anonInodeGetfileSecure(c.k, c.pid, '[sec]', anonFops, null, O_RDWR));
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_SHARED, c.v.plain, 0), c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_SHARED, c.v.sec, 0)],
    ret: ['EACCES', 'ok'], avc: ['mmap_file:process{execmem}=EACCES', 'mmap_file:anon_inode{map}=ok', 'mmap_file:anon_inode{read execute}=ok'],
  },
  {
    id: 17.1, title: 'secure anon inode PROT_EXEC on a kernel with SB_I_NOEXEC anon_inodefs (6.16+) -> the SELinux checks, then EPERM', hook: 'anon_inode: raise SB_I_NOEXEC (6.16); do_mmap() path_noexec()',
    rules: 'type_transition loader_t loader_t:anon_inode anon_t "[sec]"; allow loader_t anon_t:anon_inode { create map read execute };',
    boot: { version: '6.16' },
    setup: (c) => {
      c.v.sec = c.k.installFile(c.pid, anonInodeGetfileSecure(c.k, c.pid, '[sec]', anonFops, null, O_RDWR));
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_SHARED, c.v.sec, 0)],
    ret: ['EPERM'], avc: ['mmap_file:anon_inode{map}=ok', 'mmap_file:anon_inode{read execute}=ok'],
  },
  {
    id: 18, title: 'permissive: the first denial is logged with permissive=1 and succeeds, the repeat is silent; after setenforce 1 (AVC reset) EACCES with permissive=0', hook: 'avc_denied() AVC_CALLBACK_GRANT; sel_write_enforce() avc_ss_reset()',
    boot: { enforcing: false },
    steps: (c) => {
      const r1 = c.k.sys.mmap(c.pid, 0, PAGE, RWX, ANON, -1, 0);
      const r2 = c.k.sys.mmap(c.pid, 0, PAGE, RWX, ANON, -1, 0);
      selinuxOf(c.k).setEnforcing(true);
      return [r1, r2, c.k.sys.mmap(c.pid, 0, PAGE, RWX, ANON, -1, 0)];
    },
    ret: ['ok', 'ok', 'EACCES'], avc: ['mmap_file:process{execmem}=permissive', 'mmap_file:process{execmem}=ok', 'mmap_file:process{execmem}=EACCES'],
    lines: (c) => [denyLine(c, 'execmem', selfProc, 1), denyLine(c, 'execmem', selfProc, 0)],
  },
  {
    id: 18.1, title: 'permissive domain (enforcing system): logged once with permissive=1, then silent, across syscalls', hook: 'security_compute_av() AVD_FLAGS_PERMISSIVE; avc_denied()',
    boot: { permissiveDomains: ['loader_t'] },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RWX, ANON, -1, 0), c.k.sys.mmap(c.pid, 0, PAGE, RWX, ANON, -1, 0)],
    ret: ['ok', 'ok'], avc: ['mmap_file:process{execmem}=permissive', 'mmap_file:process{execmem}=ok'],
    lines: (c) => [denyLine(c, 'execmem', selfProc, 1)],
  },
  {
    id: 19, title: 'dontaudit execmem: denied silently (EACCES, no record); auditallow execute: avc:  granted  { execute }', hook: 'avc_audit_required(), security/selinux/avc.c',
    rules: LIB_RULES + 'dontaudit loader_t self:process execmem; auditallow loader_t lib_t:file execute;',
    setup: (c) => {
      c.v.fd = openLib(c);
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RWX, ANON, -1, 0), c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_PRIVATE, c.v.fd, 0)],
    ret: ['EACCES', 'ok'], avc: ['mmap_file:process{execmem}=EACCES', 'mmap_file:file{map}=ok', 'mmap_file:file{read execute}=ok'],
    lines: (c) => [`avc:  granted  { execute } for  pid=${c.pid} comm="loader" path="/opt/lib.so" dev="sda1" ino=${ino(c.k, '/opt/lib.so')} scontext=${LOADER} tcontext=${obj('lib_t')} tclass=file`],
  },
  {
    id: 21, title: 'MAP_FIXED below mmap_min_addr: EPERM without CAP_SYS_RAWIO (no AVC), EACCES from memprotect:mmap_zero with it', hook: 'cap_mmap_addr() then selinux_mmap_addr()',
    steps: (c) => {
      const r1 = c.k.sys.mmap(c.pid, 0x1000, PAGE, R, ANON | MAP_FIXED, -1, 0);
      c.k.setCapabilities(c.pid, [CAP_SYS_RAWIO]);
      return [r1, c.k.sys.mmap(c.pid, 0x1000, PAGE, R, ANON | MAP_FIXED, -1, 0)];
    },
    ret: ['EPERM', 'EACCES'], avc: ['mmap_addr:memprotect{mmap_zero}=EACCES'],
    lines: (c) => [denyLine(c, 'mmap_zero', ` scontext=${LOADER} tcontext=${LOADER} tclass=memprotect`)],
  },
  {
    id: 22, title: 'SGX under builtin:default: open O_RDWR /dev/sgx_enclave, mmap SHARED PROT_NONE, ADD_PAGES ioctl, mprotect RX -> success, no execmem', hook: 'selinux_inode_permission(), selinux_file_open(), selinux_mmap_file(), ioctl_has_perm(), selinux_file_mprotect()',
    policy: 'builtin:default', context: PROCESS_CONTEXTS.loader,
    setup: (c) => {
      c.k.fs.registerMisc('sgx_enclave', sgxStub);
    },
    steps: (c) => {
      const fd = c.k.sys.open(c.pid, '/dev/sgx_enclave', O_RDWR);
      const a = c.k.sys.mmap(c.pid, 0, 4 * PAGE, PROT_NONE, MAP_SHARED, fd, 0);
      const io = c.k.sys.ioctl(c.pid, fd, 0xc030a401, 0); // SGX_IOC_ENCLAVE_ADD_PAGES
      return [fd, a, io, c.k.sys.mprotect(c.pid, a, PAGE, RX)];
    },
    ret: ['ok', 'ok', 'ok', 'ok'],
    avc: [
      'inode_permission:dir{search}=ok', 'inode_permission:dir{search}=ok', 'inode_permission:chr_file{read write}=ok', 'file_open:chr_file{read write open}=ok',
      'mmap_file:chr_file{map}=ok', 'mmap_file:chr_file{read}=ok', 'file_ioctl:chr_file{ioctl}=ok', 'file_mprotect:chr_file{read execute}=ok',
    ],
    after: (c) => {
      // the node was labelled by the built-in file contexts (as udev does)
      const t = traced(c.k, () => c.k.sys.open(c.pid, '/dev/sgx_enclave', O_RDWR));
      expect(t.events.at(-1)!.tcontext).toBe('system_u:object_r:sgx_enclave_device_t:s0');
    },
  },
  {
    id: 22.1, title: 'SGX with /dev mounted noexec: mmap PROT_EXEC -> EPERM after the SELinux checks; mprotect +X -> EACCES (VM_MAYEXEC cleared), no AVC', hook: 'do_mmap() path_noexec(); do_mprotect_pkey() VM_MAY* check',
    policy: 'builtin:default', context: PROCESS_CONTEXTS.loader,
    setup: (c) => {
      c.k.fs.registerMisc('sgx_enclave', sgxStub);
      c.k.fs.remount('/dev', { noexec: true, nosuid: true });
      c.v.fd = c.k.sys.open(c.pid, '/dev/sgx_enclave', O_RDWR);
      c.v.a = c.k.sys.mmap(c.pid, 0, PAGE, PROT_NONE, MAP_SHARED, c.v.fd, 0);
    },
    steps: (c) => [c.k.sys.mmap(c.pid, 0, PAGE, RX, MAP_SHARED, c.v.fd, 0), c.k.sys.mprotect(c.pid, c.v.a, PAGE, RX)],
    ret: ['EPERM', 'EACCES'], avc: ['mmap_file:chr_file{map}=ok', 'mmap_file:chr_file{read execute}=ok'],
  },
  {
    id: 22.2, title: 'SGX (mainline driver): ADD_PAGES from a source VMA without VM_MAYEXEC (noexec file) -> EACCES from the driver for every page, whatever the SECINFO; SELinux checks only ioctl', hook: 'sgx_ioc_enclave_add_pages() -> __sgx_encl_add_page() "Deny noexec" (arch/x86/kernel/cpu/sgx/ioctl.c); ioctl_has_perm()',
    policy: 'builtin:default', context: PROCESS_CONTEXTS.loader,
    setup: (c) => {
      findDesign('D7').install(c.k, { crypto: nodeCrypto, cpu: { epcPages: 64, sgx2: true } });
      // /tmp mounted noexec (as hardened distributions do); the loader may read tmp_t files
      c.k.fs.remount('/tmp', { noexec: true, nosuid: true, nodev: true });
      c.k.fs.createFile('/tmp/code', { data: new Uint8Array(2 * PAGE).fill(0xcc), label: 'system_u:object_r:tmp_t:s0' });
      const p = new UserProcess(c.k, c.pid);
      const a = findDesign('D7').adapter;
      c.v.fd = a.openEnclave(p, O_RDWR);
      const base = reserveElrange(p, 0x10000);
      if (a.create(p, c.v.fd, secsBytes({ size: 0x10000n, base: BigInt(base) })).ret !== 0) throw new Error('ECREATE');
      const f = p.open('/tmp/code', O_RDONLY);
      c.v.src = p.mmap(0, 2 * PAGE, R, MAP_PRIVATE, f, 0);
    },
    steps: (c) => {
      const p = new UserProcess(c.k, c.pid);
      const a = findDesign('D7').adapter;
      const add = (offset: number, src: number, perms: number) => a.addPages(p, c.v.fd, { offset, src, length: PAGE, type: 'REG', perms, measure: true }).ret;
      // SECINFO R (no X asked) and SECINFO RX: the VM_MAYEXEC test does not look at the SECINFO
      return [add(0x2000, c.v.src, R), add(0x3000, c.v.src + PAGE, RX)];
    },
    ret: ['EACCES', 'EACCES'],
    avc: ['file_ioctl:chr_file{ioctl}=ok', 'file_ioctl:chr_file{ioctl}=ok'],
  },
  {
    id: 23, title: 'remap_file_pages with READ_IMPLIES_EXEC on a shared RW memfd, 6.1: no LSM hook, the mapping becomes rwxs (the CVE-2024-47745 bypass)', hook: 'remap_file_pages() -> do_mmap() without security_mmap_file() (mm/mmap.c, 6.1); do_mmap() READ_IMPLIES_EXEC',
    rules: 'allow loader_t tmpfs_t:file { read write map };',
    setup: rieSharedMemfd,
    steps: (c) => [c.k.sys.remapFilePages(c.pid, c.v.a, PAGE, 0, 1, 0)],
    ret: ['ok'], avc: [],
    after: (c) => {
      expect(mapsPerms(c.k, c.pid, c.v.a)).toBe('rwxs');
    },
  },
  {
    id: 23.1, title: 'the same on 6.12+: security_mmap_file() with the VMA\'s RW, READ_IMPLIES_EXEC adds PROT_EXEC -> map, then read write execute on the memfd -> EACCES; nothing remapped', hook: 'remap_file_pages(): security_mmap_file() before do_mmap() (6.12, "mm: call the security_mmap_file() LSM hook in remap_file_pages()"); security_mmap_file() mmap_prot()',
    rules: 'allow loader_t tmpfs_t:file { read write map };',
    boot: { version: '6.12' },
    setup: rieSharedMemfd,
    steps: (c) => [c.k.sys.remapFilePages(c.pid, c.v.a, PAGE, 0, 1, 0)],
    ret: ['EACCES'], avc: ['mmap_file:file{map}=ok', 'mmap_file:file{read write execute}=EACCES'],
    after: (c) => {
      expect(mapsPerms(c.k, c.pid, c.v.a)).toBe('rw-s');
    },
  },
  {
    id: 24, title: 'shmat(SHM_EXEC) -> execmem (the segment is an S_PRIVATE shmem file)', hook: 'do_shmat(): security_mmap_file() on shmem_kernel_file_setup()\'s file; file_map_prot_check() IS_PRIVATE',
    setup: (c) => {
      // do_shmat()'s own security_mmap_file() call on the segment's kernel-internal shmem file; the
      // SysV IPC syscalls and selinux_shm_shmat()'s shm-class check are not modelled
      c.v.shm = shmemFileSetup(c.k, c.pid, 'SYSV00000000', PAGE, true);
    },
    steps: (c) => [securityMmapFile(c.k, c.pid, c.v.shm, RWX, MAP_SHARED), securityMmapFile(c.k, c.pid, c.v.shm, RW, MAP_SHARED)],
    ret: ['EACCES', 'ok'], avc: ['mmap_file:process{execmem}=EACCES'],
  },
  {
    id: 24.1, title: 'shmat(2) itself and the shm class checks', hook: 'selinux_shm_shmat() ipc_has_perm(SHM__READ|SHM__WRITE)',
    todo: 'SysV shared memory (shmget/shmat, the shm class) is not in the kernel model',
  },
  {
    id: 25, title: 'MAP_SHARED_VALIDATE RWX -> execmem + read+execute, no write; MAP_SHARED -> read+write+execute, no execmem; a later mprotect uses VM_SHARED', hook: 'selinux_mmap_file(): (flags & MAP_TYPE) == MAP_SHARED; selinux_file_mprotect(): vma->vm_flags & VM_SHARED',
    rules: LIB_RULES + 'allow loader_t self:process execmem;',
    setup: (c) => {
      c.v.fd = openLib(c, O_RDWR);
    },
    steps: (c) => {
      const r1 = c.k.sys.mmap(c.pid, 0, PAGE, RWX, MAP_SHARED_VALIDATE, c.v.fd, 0);
      const r2 = c.k.sys.mmap(c.pid, 0, PAGE, RWX, MAP_SHARED, c.v.fd, 0);
      const a = c.k.sys.mmap(c.pid, 0, PAGE, RW, MAP_SHARED_VALIDATE, c.v.fd, 0);
      return [r1, r2, a, c.k.sys.mprotect(c.pid, a, PAGE, RWX)];
    },
    ret: ['ok', 'ok', 'ok', 'ok'],
    avc: [
      'mmap_file:file{map}=ok', 'mmap_file:process{execmem}=ok', 'mmap_file:file{read execute}=ok',
      'mmap_file:file{map}=ok', 'mmap_file:file{read write execute}=ok',
      'mmap_file:file{map}=ok', 'mmap_file:file{read}=ok',
      'file_mprotect:file{read write execute}=ok',
    ],
  },
];

/** Row 20 needs a policy whose file classes lack `map` (a pre-4.13 policy), compiled with each handle_unknown. */
function bootWithoutMap(handleUnknown: 'allow' | 'deny'): Kernel {
  const header = HEADER.replace(' append map unlink ', ' append unlink ');
  const r = parsePolicy(header + TYPES + BASE_RULES + 'allow loader_t lib_t:file { read open };' + FOOTER, 'nomap.conf');
  if (r.errors.length) throw new Error(String(r.errors[0].message));
  const policy = compilePolicy(r.ast, { handleUnknown, name: 'nomap.conf' });
  return bootWithSelinux({ policy, fsRules: fsLabelRulesFromAst(r.ast) });
}

function runRow(row: Row): void {
  const k = row.policy === 'builtin:default' ? bootWithSelinux({ policy: 'builtin:default', ...row.boot }) : boot(row.rules ?? '', row.boot);
  k.fs.createFile('/opt/lib.so', { data: new Uint8Array(2 * PAGE).fill(0x90), label: obj('lib_t') });
  const pid = k.spawn({ comm: 'loader', context: row.context ?? LOADER });
  const c: Ctx = { k, pid, v: {} };
  row.setup?.(c);
  const t = traced(k, () => row.steps!(c));
  expect(t.ret.map(okOrErr)).toEqual(row.ret);
  expect(t.brief).toEqual(row.avc);
  if (row.lines) expect(t.lines).toEqual(row.lines(c));
  if (row.id === 22) expect(t.events.some((e) => e.tclass === 'process')).toBe(false);
  row.after?.(c);
}

describe('tricky cases (selinux-semantics.md §7.7): hook level, through syscalls', () => {
  it('the table covers every case of §7.7', () => {
    const ids = new Set([...ROWS.map((r) => Math.floor(r.id)), 20]);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  for (const row of ROWS) {
    const name = `#${row.id} ${row.title} [${row.hook}]`;
    if (row.todo) it.todo(`${name}: ${row.todo}`);
    else it(name, () => runRow(row));
  }

  it('#20 policy without the map permission: handle_unknown allow -> map allowed; deny -> every file mmap denied [map_decision(), ss/services.c; selinux_mmap_file()]', () => {
    for (const [hu, ret, avc] of [
      ['allow', 'ok', ['mmap_file:file{map}=ok', 'mmap_file:file{read}=ok']],
      ['deny', 'EACCES', ['mmap_file:file{map}=EACCES']],
    ] as const) {
      const k = bootWithoutMap(hu);
      k.fs.createFile('/opt/lib.so', { data: 'x', label: obj('lib_t') });
      const pid = k.spawn({ comm: 'loader', context: LOADER });
      const fd = k.sys.open(pid, '/opt/lib.so', O_RDONLY);
      const t = traced(k, () => k.sys.mmap(pid, 0, PAGE, R, MAP_PRIVATE, fd, 0));
      expect(okOrErr(t.ret)).toBe(ret);
      expect(t.brief).toEqual(avc);
    }
  });
});
