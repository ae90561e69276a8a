// D4 `allow-prot` (variants v1, v2): Sean Christopherson's RFC v1 (2019-05-31) and v2 (2019-06-05).
// docs/designs.md §D4; driver.ts has the rules, v20/driver.ts the v20 driver they patch (v20/rfc.ts).
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import type { UserProcess } from '../../../userspace/process.js';
import { designKey, designSymbols, type IoctlSpec, type LoaderKind, type LoaderSupport, type NeutralAdd, type NeutralResult, type SgxDesign } from '../design.js';
import { registerDesign } from '../registry.js';
import { neutralSecinfo } from '../mainline/adapter.js';
import { booleanOptions, rfcInstall, V20_DEVICES } from '../v20/rfc.js';
import { declaredProt, enclaveBaseOf, ioctlWith, rfcAdapter, rfcPerPageAdd } from './loader.js';
import { d4DriverSpec, type D4Variant } from './driver.js';
import {
  D4V1_ENCLAVE_ADD_PAGES,
  D4V1_IOC_ENCLAVE_ADD_PAGES,
  D4V2_ENCLAVE_ADD_PAGE,
  D4V2_IOC_ENCLAVE_ADD_PAGE,
  SGX_ALLOW_EXEC,
  SGX_ALLOW_READ,
  SGX_ALLOW_WRITE,
} from './uapi.js';
import { SGX_MAGIC, v20CommonIoctls } from '../v20/uapi.js';

const PAGE = 4096n;
const U64 = (1n << 64n) - 1n;

/** The loader table of D4 and D5 (designs-spec §12). */
export function rfcLoaderTable(design: 'D4' | 'D5'): Readonly<Partial<Record<LoaderKind, LoaderSupport>>> {
  const execPerm = design === 'D4' ? 'process:execmem' : 'process2:sgx_execanon';
  return {
    selftest: {
      kind: 'rewrite',
      how:
        design === 'D4'
          ? "designs-spec §12 L1 ≈: load.c's 4 KiB device probes are dropped (v20's get_unmapped_area refuses lengths below 8 KiB without MAP_FIXED); each ADD_PAGES becomes the design's ADD with the segment's protection declared (TCS: RW); the image segments are mapped as sources with their own protection, so the text source is PROT_READ|PROT_EXEC and security_enclave_load() has nothing to check (designs-spec §5.3); the per-segment MAP_FIXED mappings after INIT stay (RFC v1 2/9 returns a MAP_FIXED address as is)"
          : "designs-spec §12 L1 ≈: load.c's 4 KiB device probes are dropped (v20's get_unmapped_area refuses lengths below 8 KiB without MAP_FIXED); each ADD_PAGES becomes ADD_PAGE per page with prot = the segment's protection (TCS: RW) and mrmask 0xffff when measured; the image stays mapped PROT_READ (sources need only VM_MAYEXEC), so the RX text needs file:sgx_execute on the image; the per-segment MAP_FIXED mappings after INIT stay",
      plan: design === 'D4' ? { probes: false, sourceProt: 'segment' } : { probes: false },
    },
    gramine: {
      kind: 'untranslatable',
      why: 'Gramine maps the whole ELRANGE RWX before ECREATE; a PROT != NONE mapping over pages that do not exist yet is -EACCES (' + (design === 'D4' ? 'sgx_map_allowed()' : 'sgx_allowed_rwx()') + '), and its EDMM flow needs such holes',
    },
    psw: {
      kind: 'rewrite',
      how: `the adapter turns each ADD_PAGES into the design's ADD with the declared protection = the SECINFO permissions (TCS: RW); the page images come from heap buffers, so the RX text needs ${execPerm} at ADD time`,
    },
  };
}

function d4Design(variant: D4Variant): SgxDesign {
  const key = designKey('D4', variant);
  const addIoctl: IoctlSpec =
    variant === 'v1'
      ? {
          name: 'SGX_IOC_ENCLAVE_ADD_PAGES',
          cmd: D4V1_IOC_ENCLAVE_ADD_PAGES,
          macro: '_IOW(SGX_MAGIC, 0x01, struct sgx_enclave_add_pages)',
          device: 'enclave',
          arg: D4V1_ENCLAVE_ADD_PAGES,
          returns: '0; -EFAULT, -EACCES (SECINFO not within the allowed protections, or the LSM), -ERESTARTSYS (any page; no count), -EINVAL, -EEXIST',
          doc: 'nr_pages contiguous pages with one SECINFO and mrmask; flags = SGX_ALLOW_* (the pages\' allowed protections, narrowed by noexec and the LSM)',
          since: 'RFC v1 (2019-05-31)',
        }
      : {
          name: 'SGX_IOC_ENCLAVE_ADD_PAGE',
          cmd: D4V2_IOC_ENCLAVE_ADD_PAGE,
          macro: '_IOW(SGX_MAGIC, 0x01, struct sgx_enclave_add_page)',
          device: 'enclave',
          arg: D4V2_ENCLAVE_ADD_PAGE,
          returns: '0; -EFAULT, -EACCES (noexec source with PROT_EXEC, or the LSM), -EINVAL, -EEXIST',
          doc: 'one page; flags = PROT_* (the page\'s maximal protections; SECINFO is not checked against them)',
          since: 'RFC v2 (2019-06-05)',
        };
  const addPages =
    variant === 'v1'
      ? (p: UserProcess, fd: number, a: NeutralAdd): NeutralResult => {
          const length = BigInt(a.length);
          if (length % PAGE !== 0n) return { ret: 0, count: 0, unsupported: 'ADD_PAGES counts whole pages (nr_pages)' };
          const ret = ioctlWith(p, fd, D4V1_IOC_ENCLAVE_ADD_PAGES, D4V1_ENCLAVE_ADD_PAGES, {
            addr: (enclaveBaseOf(p, fd) + BigInt(a.offset)) & U64,
            src: a.src,
            secinfo: neutralSecinfo(a),
            nr_pages: length / PAGE,
            mrmask: a.measure ? 0xffff : 0,
            flags: declaredProt(a),
          });
          // v1 reports no count: all pages on success, unknown otherwise.
          return ret === 0 ? { ret, count: Number(length) } : { ret };
        }
      : (p: UserProcess, fd: number, a: NeutralAdd): NeutralResult =>
          rfcPerPageAdd(p, fd, a, (addr, src, secinfo) =>
            ioctlWith(p, fd, D4V2_IOC_ENCLAVE_ADD_PAGE, D4V2_ENCLAVE_ADD_PAGE, { addr, src, secinfo, flags: declaredProt(a), mrmask: a.measure ? 0xffff : 0 }),
          );
  const design: SgxDesign = {
    id: 'D4',
    variant,
    key,
    slug: 'allow-prot',
    title: variant === 'v1' ? 'Declared ALLOW_* protections at EADD, security_enclave_load() narrowing (Sean Christopherson RFC v1)' : 'Declared PROT_* protections at EADD, security_enclave_load() rejecting (Sean Christopherson RFC v2)',
    provenance: {
      kind: 'lkml',
      refs:
        variant === 'v1'
          ? ['20190531233159.30992-1-sean.j.christopherson@intel.com ([RFC PATCH 0/9] security: x86/sgx: SGX vs. LSM)', '20190531233159.30992-3 .. -10 (patches 2/9 .. 9/9)', 'based on the v20 series 20190417103938.7762-1-jarkko.sakkinen@linux.intel.com']
          : ['20190606021145.12604-1-sean.j.christopherson@intel.com ([RFC PATCH v2 0/5] security: x86/sgx: SGX vs. LSM, round 2)', '20190606021145.12604-2 .. -6 (patches 1/5 .. 5/5)', 'on top of RFC v1 patches 1/9-2/9 and the v20 series'],
      date: variant === 'v1' ? '2019-05-31' : '2019-06-05',
      authors: ['Sean Christopherson'],
      summary:
        variant === 'v1'
          ? 'ADD_PAGES declares each page\'s allowed protections (SGX_ALLOW_*); the SECINFO permissions must be a subset. sgx_mmap() and vm_ops->mprotect (called before security_file_mprotect()) refuse anything beyond them, and any PROT != NONE mapping of a missing page. A noexec source loses ALLOW_EXEC; security_enclave_load() lets SELinux require EXECUTE/EXECMOD/EXECMEM on the source, narrowing the allowed protections instead of failing unless the SECINFO asked for the bit.'
          : 'ADD_PAGE declares each page\'s maximal PROT_* (SECINFO not checked against it); a PROT_EXEC page from a source without VM_MAYEXEC is -EACCES; security_enclave_load() rejects (never narrows): EXECUTE for X from an unmodified file, EXECMOD for a COWed private or W+X shared file source, EXECMEM otherwise. vm_ops->may_mprotect enforces the maximum before security_file_mprotect().',
    },
    devices: V20_DEVICES,
    ioctls: [...v20CommonIoctls(variant === 'v1' ? 'RFC v1 (v20)' : 'RFC v2 (v20)'), addIoctl].sort((x, y) => x.cmd - y.cmd || x.name.localeCompare(y.name)),
    constants: {
      SGX_MAGIC,
      SGX_PAGE_TYPE_TCS: SgxPageType.TCS,
      SGX_PAGE_TYPE_REG: SgxPageType.REG,
      ...(variant === 'v1' ? { SGX_ALLOW_READ, SGX_ALLOW_WRITE, SGX_ALLOW_EXEC } : { PROT_READ, PROT_WRITE, PROT_EXEC }),
    },
    hooks: [
      variant === 'v1'
        ? {
            name: 'security_enclave_load',
            signature: 'int security_enclave_load(struct vm_area_struct *vma, unsigned long prot, unsigned long *allowed_prot)',
            calledFrom: 'SGX_IOC_ENCLAVE_ADD_PAGES, per page, under mmap_sem, after the noexec narrowing, before the copy',
            selinux: 'only if allowed has X: source not VM_EXEC -> file:execute on the source file (process:execmem if anonymous or S_PRIVATE); allowed W+X -> file:execmod (process:execmem). A denial fails if the SECINFO asked for the bit, else narrows allowed_prot (clears X, or W when the SECINFO has X).',
          }
        : {
            name: 'security_enclave_load',
            signature: 'int security_enclave_load(struct vm_area_struct *vma, unsigned long prot)',
            calledFrom: 'SGX_IOC_ENCLAVE_ADD_PAGE, under mmap_sem, after the VM_MAYEXEC test, before the copy',
            selinux: 'reject only: no X -> allowed; VM_EXEC source without W -> allowed; file source (not S_PRIVATE) shared or without W -> file:execute (unmodified, no W) else file:execmod; otherwise process:execmem',
          },
    ],
    permissions: [],
    features: { sgx2: false, mmapAfterAdd: true, mapHoles: false },
    // The selftest flow rewritten for D4 (code sources mapped PROT_READ|PROT_EXEC: designs-spec §5.3).
    canonicalLoader: 'selftest',
    loaders: rfcLoaderTable('D4'),
    adapter: rfcAdapter(addPages),
    symbols: () => designSymbols(design),
    install(k, opts) {
      booleanOptions(key, opts.driver, []);
      return rfcInstall(k, opts, design, d4DriverSpec(key, variant));
    },
  };
  return design;
}

export const D4_V1: SgxDesign = registerDesign(d4Design('v1'));
export const D4_V2: SgxDesign = registerDesign(d4Design('v2'));
