// D5 `sgx-perms`: Sean Christopherson's RFC v3/v4 (v4 2019-06-19). docs/designs.md §D5; driver.ts
// has the rules, v20/driver.ts the v20 driver they patch (v20/rfc.ts).
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../abi/mman.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { designKey, designSymbols, type SgxDesign } from '../design.js';
import { registerDesign } from '../registry.js';
import { booleanOptions, rfcInstall, V20_DEVICES } from '../v20/rfc.js';
import { declaredProt, ioctlWith, rfcAdapter, rfcPerPageAdd } from '../allow-prot/loader.js';
import { rfcLoaderTable } from '../allow-prot/index.js';
import { SGX_MAGIC, v20CommonIoctls } from '../v20/uapi.js';
import { D5_DEFAULT_OPTIONS, d5DriverSpec, SGX_VM_EAUG, type D5Options } from './driver.js';
import { D5_ENCLAVE_ADD_PAGE, D5_IOC_ENCLAVE_ADD_PAGE } from './uapi.js';

const OPTION_KEYS = ['sgx2', 'julyNames', 'rejectUnknownProt'] as const;

const key = designKey('D5', null);

export const D5: SgxDesign = registerDesign({
  id: 'D5',
  variant: null,
  key,
  slug: 'sgx-perms',
  title: 'SGX-specific SELinux permissions: process2 { sgx_mapwx sgx_execdirty sgx_execanon sgx_execunmr }, file sgx_execute (Sean Christopherson RFC v3/v4)',
  provenance: {
    kind: 'lkml',
    refs: [
      '20190619222401.14942-1-sean.j.christopherson@intel.com ([RFC PATCH v4 00/12] security: x86/sgx: SGX vs. LSM)',
      '-5 04/12 uAPI, -6 05/12 noexec, -7 06/12 may_mprotect, -8 07/12 enclave_map, -9 08/12 SELinux MAPWX, -10 09/12 enclave_load, -11 10/12 SELinux enclave_load, -13 12/12 EAUG line of sight',
      'RFC v3: patchwork 11000601 (not read; per the v4 changelog: SGX__EXECMEM/SGX__EXECMOD, VM_MAY* clearing)',
      'option julyNames: 20190710165758.GD4348@linux.intel.com (UNCERTAIN)',
    ],
    date: '2019-06-19',
    authors: ['Sean Christopherson'],
    summary:
      'ADD_PAGE carries each page\'s protection (prot); sgx_mmap() refuses more than every page of the VMA allows (a missing page allows nothing) and clears the VM_MAY* bits the pages lack. security_enclave_map(prot, eaug) from sgx_mmap() and vm_ops->may_mprotect asks process2:sgx_mapwx for W+X (sgx_execdirty for X over EAUG pages); security_enclave_load(vma, prot, measured) at ADD asks, for executable pages, sgx_execdirty (W), sgx_execunmr (not measured) and sgx_execanon (anonymous or modified source) or file:sgx_execute on the source file.',
  },
  devices: V20_DEVICES,
  ioctls: [
    ...v20CommonIoctls('RFC v4 (v20)'),
    {
      name: 'SGX_IOC_ENCLAVE_ADD_PAGE',
      cmd: D5_IOC_ENCLAVE_ADD_PAGE,
      macro: '_IOW(SGX_MAGIC, 0x01, struct sgx_enclave_add_page)',
      device: 'enclave' as const,
      arg: D5_ENCLAVE_ADD_PAGE,
      returns: '0; -EFAULT, -EACCES (PROT_EXEC from a source without VM_MAYEXEC, or the LSM), -EINVAL, -EEXIST',
      doc: 'one page; prot = the page\'s protection bits; mrmask 0xffff = measured',
      since: 'RFC v4 (2019-06-19)',
    },
  ].sort((x, y) => x.cmd - y.cmd || x.name.localeCompare(y.name)),
  constants: { SGX_MAGIC, SGX_PAGE_TYPE_TCS: SgxPageType.TCS, SGX_PAGE_TYPE_REG: SgxPageType.REG, PROT_READ, PROT_WRITE, PROT_EXEC, SGX_VM_EAUG },
  hooks: [
    {
      name: 'security_enclave_map',
      signature: 'int security_enclave_map(unsigned long prot, bool eaug)',
      calledFrom: 'sgx_mmap() after the sgx_allowed_rwx() test, and vm_ops->may_mprotect (before security_file_mprotect())',
      selinux: 'W+X -> process2:sgx_mapwx; else X over EAUG\'d (or missing) pages -> process2:sgx_execdirty',
    },
    {
      name: 'security_enclave_load',
      signature: 'int security_enclave_load(struct vm_area_struct *vma, unsigned long prot, bool measured)',
      calledFrom: 'SGX_IOC_ENCLAVE_ADD_PAGE under mmap_sem, after the VM_MAYEXEC test, before the copy',
      selinux: 'only for PROT_EXEC: W -> process2:sgx_execdirty; not measured -> process2:sgx_execunmr; anonymous, S_PRIVATE or COWed source -> process2:sgx_execanon, else file:sgx_execute on the source file; the first denial fails',
    },
  ],
  permissions: [
    { tclass: 'process2', perm: 'sgx_mapwx', meaning: 'map an enclave page writable and executable' },
    { tclass: 'process2', perm: 'sgx_execdirty', meaning: 'executable enclave code written inside the enclave (W+X at load, X over EAUG pages)' },
    { tclass: 'process2', perm: 'sgx_execanon', meaning: 'executable enclave code loaded from anonymous or modified memory' },
    { tclass: 'process2', perm: 'sgx_execunmr', meaning: 'executable enclave code that is not measured' },
    { tclass: 'file', perm: 'sgx_execute', meaning: 'load executable enclave code from this (unmodified) file' },
  ],
  features: { sgx2: false, mmapAfterAdd: true, mapHoles: false },
  canonicalLoader: 'selftest',
  loaders: rfcLoaderTable('D5'),
  adapter: rfcAdapter((p, fd, a) =>
    rfcPerPageAdd(p, fd, a, (addr, src, secinfo) => ioctlWith(p, fd, D5_IOC_ENCLAVE_ADD_PAGE, D5_ENCLAVE_ADD_PAGE, { addr, src, secinfo, mrmask: a.measure ? 0xffff : 0, prot: declaredProt(a), pad: 0 })),
  ),
  symbols: () => designSymbols(D5),
  install(k, opts) {
    const o: D5Options = { ...D5_DEFAULT_OPTIONS, ...booleanOptions(key, opts.driver, OPTION_KEYS) };
    return rfcInstall(k, opts, D5, d5DriverSpec(key, o));
  },
});
