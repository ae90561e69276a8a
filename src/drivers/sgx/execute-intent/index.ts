// D3 `execute-intent` (variants `static`, `dynamic`): Andy Lutomirski's execute_intent design of
// 2019-05-30. docs/designs.md §D3; driver.ts has the rules, ../sigstruct-file/core.ts the driver.
import type { Kernel } from '../../../kernel/kernel.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { designKey, designSymbols, type DeviceSpec, type HookSpec, type InstallOptions, type LoaderKind, type LoaderSupport, type SgxDesign, type SgxInstall } from '../design.js';
import { registerDesign } from '../registry.js';
import { v20Install, V20_DEVICES } from '../v20/install.js';
import { lsmCoreDriver } from '../sigstruct-file/core.js';
import { d3DriverSpec, d3Options } from './driver.js';
import { d3Adapter } from './adapter.js';
import { d3Loader } from './loader.js';
import { d3Ioctls, SGX_MAGIC, SGX_PAGE_EXEC_INTENT, SGX_PAGE_MEASURE, type D3Variant } from './uapi.js';

/** The v20 nodes (Andy's mails were about the v20 driver). */
export const D3_DEVICES: readonly DeviceSpec[] = V20_DEVICES;

const MAP_HOOKS: readonly HookSpec[] = [
  {
    name: 'security_enclave_map_wx',
    signature: 'int security_enclave_map_wx(void) (OPEN CHOICE: Andy names the rule, not the hook)',
    calledFrom: 'sgx_mmap() and vm_ops->may_mprotect (before security_file_mprotect()) for a mapping that is writable and executable',
    selinux: 'R1: avc_has_perm(sid, sid, PROCESS__EXECMEM)',
  },
  {
    name: 'security_enclave_execmod',
    signature: 'int security_enclave_execmod(struct file *source) (OPEN CHOICE)',
    calledFrom: 'sgx_mmap() and vm_ops->may_mprotect for an executable mapping, once per distinct source of the pages without execute intent or written since INIT',
    selinux: 'R2: file_has_perm(cred, source, FILE__EXECMOD); no file (anonymous source, private inode, EAUG): PROCESS__EXECMEM',
  },
];

function hooksOf(variant: D3Variant): readonly HookSpec[] {
  const load: HookSpec =
    variant === 'static'
      ? {
          name: 'security_enclave_load',
          signature: 'int security_enclave_load(struct vm_area_struct *source, bool execute_intent)',
          calledFrom: 'SGX_IOC_ENCLAVE_ADD_PAGES, per page, after find_vma() of the source (and its VM_MAYEXEC test), before the page is copied',
          selinux:
            'R3, only with execute_intent: file_has_perm(source->vm_file, FILE__EXECUTE) (audited), else FILE__EXECMOD on it, else PROCESS__EXECMEM (probed, checked if they pass); a source without a file: PROCESS__EXECMEM; none -> -EACCES',
        }
      : {
          name: 'security_enclave_load',
          signature: 'int security_enclave_load(struct vm_area_struct *source, bool *execute_intent)',
          calledFrom: 'SGX_IOC_ENCLAVE_ADD_PAGES, per page, after find_vma() of the source, before the page is copied; *execute_intent starts true',
          selinux: 'R3: *execute_intent = false unless file_has_perm(source->vm_file, FILE__EXECUTE) would pass (probed without audit); never fails',
        };
  return [load, ...MAP_HOOKS];
}

function loadersOf(variant: D3Variant): Readonly<Partial<Record<LoaderKind, LoaderSupport>>> {
  if (variant === 'dynamic') {
    // D3-dynamic has mainline's uAPI exactly (only the device path is the 2019 one, which the flows find).
    return { careful: { kind: 'native' }, selftest: { kind: 'native' }, gramine: { kind: 'native' }, psw: { kind: 'native' } };
  }
  const intent = 'the adapter sets SGX_PAGE_EXEC_INTENT on the pages whose SECINFO has X';
  return {
    careful: { kind: 'native' },
    selftest: { kind: 'rewrite', how: `designs-spec §12 L1 ≈: ${intent} (R3 then checks EXECUTE on the image at ADD)` },
    gramine: { kind: 'rewrite', how: `designs-spec §12 L2 ≈: ${intent}; its RWX mappings need EXECMEM (R1) and its code sources are private RW file mappings` },
    psw: { kind: 'rewrite', how: `designs-spec §12 L3 ≈: ${intent}; its code comes from heap buffers, so R3 needs EXECMEM at ADD` },
  };
}

function d3Design(variant: D3Variant): SgxDesign {
  const design: SgxDesign = {
    id: 'D3',
    variant,
    key: designKey('D3', variant),
    slug: 'execute-intent',
    title: `execute_intent, ${variant} variant (Andy Lutomirski, 2019-05-30)`,
    provenance: {
      kind: 'lkml',
      refs: [
        'CALCETrWXB9fNNDH7gZxPTx05F78Og6K=ZtAr2aA++BDwY09Wbg@mail.gmail.com (Andy Lutomirski, 2019-05-30 07:31 PDT: the requirements, the static and the dynamic variant; read as quoted in full in his 09:14 reply)',
        'CALCETrWsEXzUC33eJpGCpdMCBO4aYVviZLRD-CLMNaG5Jv-TCA@mail.gmail.com (Andy, 2019-05-30 09:14 PDT: answers to Stephen Smalley on the EXECMOD target and the audit of probing checks)',
      ],
      date: '2019-05-30',
      authors: ['Andy Lutomirski'],
      summary:
        variant === 'static'
          ? 'ADD_PAGES takes an execute_intent flag per call; security_enclave_load(source, execute_intent) fails the page unless the caller has EXECUTE on the source file, EXECMOD or EXECMEM. Mappings: W+X needs EXECMEM; X of a page without intent, or written since INIT, needs EXECMOD.'
          : 'No flag: security_enclave_load(source, *execute_intent) clears the intent when the caller lacks EXECUTE on the source file. Mappings: W+X needs EXECMEM; X of a page without intent, or written since INIT, needs EXECMOD.',
    },
    devices: D3_DEVICES,
    ioctls: d3Ioctls(variant),
    constants: {
      SGX_MAGIC,
      SGX_PAGE_MEASURE,
      ...(variant === 'static' ? { SGX_PAGE_EXEC_INTENT } : {}),
      SGX_PAGE_TYPE_SECS: SgxPageType.SECS,
      SGX_PAGE_TYPE_TCS: SgxPageType.TCS,
      SGX_PAGE_TYPE_REG: SgxPageType.REG,
    },
    hooks: hooksOf(variant),
    permissions: [],
    features: { sgx2: false, mmapAfterAdd: true, mapHoles: true },
    canonicalLoader: 'careful',
    loaders: loadersOf(variant),
    carefulLoader: (p, img) => d3Loader(design, p, img),
    adapter: d3Adapter(variant),
    symbols: () => designSymbols(design),
    install(k: Kernel, opts: InstallOptions): SgxInstall {
      const o = d3Options(opts.driver);
      return v20Install(k, opts, design, (platform) => lsmCoreDriver(platform, d3DriverSpec(design.key, variant, o)), D3_DEVICES);
    },
  };
  return design;
}

export const D3_STATIC: SgxDesign = registerDesign(d3Design('static'));
export const D3_DYNAMIC: SgxDesign = registerDesign(d3Design('dynamic'));

export { d3Options, d3Selinux, d3MapCheck, d3DriverSpec, D3_DEFAULT_OPTIONS, D3_NO_LSM, type D3Options, type D3Hooks } from './driver.js';
export { d3Adapter, d3AddFlags, D3_ENCLAVE_PATH, D3_PROVISION_PATH } from './adapter.js';
export { d3Loader } from './loader.js';
export * from './uapi.js';
