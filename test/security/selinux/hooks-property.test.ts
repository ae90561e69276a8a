// Property: for random mmap(2) and mprotect(2) calls on random kinds of memory, the AVC queries the
// SELinux hooks make (class and requested permissions, in order) equal those of a naive model
// written directly from the decision tables of selinux-semantics.md §7.3 (mmap) and §7.4
// (mprotect). The loader's domain is permissive so that no denial cuts a hook short: every query
// the kernel would make is made. Random initial states come from real syscalls.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { boot, LOADER, OTHER, obj } from './hooks-fixture.js';
import { avcEvents } from '../../../src/security/selinux/hooks.js';
import { anonInodeGetfile } from '../../../src/fs/anon_inodes.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import type { FileOperations } from '../../../src/fs/types.js';
import { START_BRK, STACK_VMA_START, STACK_TOP } from '../../../src/kernel/kernel.js';
import { O_RDONLY, O_RDWR } from '../../../src/abi/fcntl.js';
import { PROT_READ, PROT_WRITE, PROT_EXEC, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_ANONYMOUS, MAP_TYPE } from '../../../src/abi/mman.js';
import { READ_IMPLIES_EXEC } from '../../../src/abi/personality.js';

const PAGE = 4096;
const RULES = 'allow loader_t other_t:fd use; allow other_t lib_t:file { read write open };';
const anonFops: FileOperations = { name: 'anontest', mmap: () => 0 };

type Q = string; // "class{perm perm}"
const q = (cls: string, perms: string[]): Q => `${cls}{${perms.join(' ')}}`;

function setup(rie: boolean): { k: Kernel; pid: number; other: number } {
  const k = boot(RULES, { permissiveDomains: ['loader_t'] });
  k.fs.createFile('/opt/lib.so', { data: new Uint8Array(PAGE).fill(1), label: obj('lib_t') });
  const pid = k.spawn({ comm: 'loader', context: LOADER, personality: rie ? READ_IMPLIES_EXEC : 0 });
  const other = k.spawn({ comm: 'other', context: OTHER });
  return { k, pid, other };
}

function queries(k: Kernel, from: number, hook: string): Q[] {
  return avcEvents(k, from).filter((e) => e.hook === hook).map((e) => q(e.tclass, [...e.requested]));
}

// ------------------------------------------------------------------ mmap (§7.3)

type Source = 'anon' | 'file' | 'foreign' | 'memfd' | 'private-inode';

/** §7.3 rows 1-4 with lsmProt from mmap_prot() (security/security.c). */
function naiveMmap(src: Source, prot: number, flags: number, rie: boolean): Q[] {
  const file = src !== 'anon';
  let p = prot;
  if (rie && (prot & (PROT_READ | PROT_EXEC)) === PROT_READ) p |= PROT_EXEC; // no noexec mounts here
  const shared = (flags & MAP_TYPE) === MAP_SHARED;
  const priv = src === 'private-inode';
  const X = (p & PROT_EXEC) !== 0;
  const W = (p & PROT_WRITE) !== 0;
  const out: Q[] = [];
  if (file && !priv) out.push(q('file', ['map']));
  if (X && (!file || priv || (!shared && W))) out.push(q('process', ['execmem']));
  if (src === 'foreign') out.push(q('fd', ['use']));
  if (file && !priv) out.push(q('file', ['read', ...(shared && W ? ['write'] : []), ...(X ? ['execute'] : [])]));
  return out;
}

const protArb = fc.integer({ min: 0, max: 7 });

describe('property: mmap_file queries = §7.3', () => {
  it('random source, prot, map type, open mode and personality', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Source>('anon', 'file', 'foreign', 'memfd', 'private-inode'),
        protArb,
        fc.constantFrom(MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE),
        fc.boolean(),
        fc.boolean(),
        (src, prot, type, rdwr, rie) => {
          const { k, pid, other } = setup(rie);
          let fd = -1;
          if (src === 'file') fd = k.sys.open(pid, '/opt/lib.so', rdwr ? O_RDWR : O_RDONLY);
          else if (src === 'foreign') fd = k.sys.passFd(other, k.sys.open(other, '/opt/lib.so', rdwr ? O_RDWR : O_RDONLY), pid);
          else if (src === 'memfd') fd = k.sys.memfd_create(pid, 'm', 0);
          else if (src === 'private-inode') fd = k.installFile(pid, anonInodeGetfile(k, pid, '[x]', anonFops, null, O_RDWR));
          const flags = type | (src === 'anon' ? MAP_ANONYMOUS : 0);
          const from = k.trace.length;
          k.sys.mmap(pid, 0, PAGE, prot, flags, fd, 0);
          expect(queries(k, from, 'mmap_file')).toEqual(naiveMmap(src, prot, flags, rie));
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ------------------------------------------------------------------ mprotect (§7.4)

type Region = 'heap' | 'stack' | 'thread-stack' | 'anon' | 'file-private' | 'file-private-written' | 'file-shared';

/** §7.4 rows 2a-3 for one VMA (no READ_IMPLIES_EXEC; VM_MAY* never refuses in these setups). */
function naiveMprotect(r: Region, vmaX: boolean, prot: number): Q[] {
  const file = r.startsWith('file');
  const shared = r === 'file-shared';
  const X = (prot & PROT_EXEC) !== 0;
  const W = (prot & PROT_WRITE) !== 0;
  const out: Q[] = [];
  if (X && !vmaX) {
    if (r === 'heap') out.push(q('process', ['execheap']));
    else if (!file && (r === 'stack' || r === 'thread-stack')) out.push(q('process', ['execstack']));
    else if (r === 'file-private-written') out.push(q('file', ['execmod']));
  }
  if (X && (!file || (!shared && W))) out.push(q('process', ['execmem']));
  if (file) out.push(q('file', ['read', ...(shared && W ? ['write'] : []), ...(X ? ['execute'] : [])]));
  return out;
}

describe('property: file_mprotect queries = §7.4', () => {
  it('random region kind, starting protection and new protection', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Region>('heap', 'stack', 'thread-stack', 'anon', 'file-private', 'file-private-written', 'file-shared'),
        protArb,
        protArb,
        (r, start, prot) => {
          const { k, pid } = setup(false);
          let addr: number;
          let len = PAGE;
          if (r === 'heap') {
            k.sys.brk(pid, START_BRK + PAGE);
            addr = START_BRK;
          } else if (r === 'stack') {
            addr = STACK_VMA_START;
            len = STACK_TOP - STACK_VMA_START;
          } else if (r === 'anon' || r === 'thread-stack') {
            addr = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (r === 'thread-stack') k.setStackPointer(pid, addr + 128);
          } else {
            const fd = k.sys.open(pid, '/opt/lib.so', O_RDWR);
            addr = k.sys.mmap(pid, 0, PAGE, PROT_READ | PROT_WRITE, r === 'file-shared' ? MAP_SHARED : MAP_PRIVATE, fd, 0);
            if (r === 'file-private-written') expect(k.mem.write(pid, addr, new Uint8Array([2])).ok).toBe(true);
          }
          expect(k.sys.mprotect(pid, addr, len, start)).toBe(0); // the starting protection (its queries are not compared)
          const from = k.trace.length;
          expect(k.sys.mprotect(pid, addr, len, prot)).toBe(0);
          expect(queries(k, from, 'file_mprotect')).toEqual(naiveMprotect(r, (start & PROT_EXEC) !== 0, prot));
        },
      ),
      { numRuns: 150 },
    );
  });
});
