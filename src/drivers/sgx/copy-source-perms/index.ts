// D1 `copy-source-perms`: Sean Christopherson's design of 2019-05-17 (the seed of this project):
// ENCLAVE_ADD copies the contents and the R/W/X of the source VMA into the enclave. docs/designs.md §D1.
import type { Kernel } from '../../../kernel/kernel.js';
import { SgxPageType } from '../../../arch/x86/sgx/arch.js';
import { designKey, designSymbols, type DeviceSpec, type InstallOptions, type LoaderKind, type LoaderSupport, type SgxDesign, type SgxInstall } from '../design.js';
import { registerDesign } from '../registry.js';
import { v20Install, V20_DEVICES } from '../v20/install.js';
import { copySourcePermsDriver, d1Options } from './driver.js';
import { d1Adapter } from './adapter.js';
import { d1SeedLoader } from './loader.js';
import { D1_IOCTLS, SGX_ENCLAVE_ADD_MEASURE, SGX_ENCLAVE_ADD_REG, SGX_ENCLAVE_ADD_TCS, SGX_MAGIC } from './uapi.js';

/**
 * The char major the v20 driver's alloc_chrdev_region() gets on a machine where no other driver
 * took a dynamic major first (find_dynamic_major() scans down from 254). v20 registers
 * "sgx/enclave" as minor 0 and "sgx/provision" as minor 1 of it.
 */
export const D1_CHRDEV_MAJOR = 254;

/** The v20 nodes: /dev/sgx/enclave (whose open() hands out the anon-inode enclave file) and /dev/sgx/provision. */
export const D1_DEVICES: readonly DeviceSpec[] = V20_DEVICES;

const LOADERS: Readonly<Partial<Record<LoaderKind, LoaderSupport>>> = {
  careful: { kind: 'native' },
  selftest: {
    kind: 'rewrite',
    how:
      'designs-spec §12: the ELRANGE reservation becomes an enclave mmap(PROT_READ, MAP_SHARED|MAP_FIXED) before CREATE; each image segment is mapped as the source with its own protection (text PROT_READ|PROT_EXEC), since ADD copies the source VMA\'s R/W/X; load.c\'s 4 KiB device probes are dropped (get_unmapped_area refuses < 8 KiB, and PROT_EXEC on the anon inode is execmem) and so are the per-segment mmaps after INIT (refused after the first ADD; the VMAs already have their permissions)',
    plan: { reserve: 'enclave-read', sourceProt: 'segment', mapAfterInit: 'none', probes: false },
  },
  gramine: {
    kind: 'untranslatable',
    why: 'designs-spec §12: Gramine maps the whole ELRANGE RWX from the enclave fd before CREATE (PROT_EXEC on the anon inode: execmem), copies code from RW buffers (ADD would copy them non-executable) and re-mmaps each range after adding it (D1 refuses mmap after the first ADD)',
  },
  psw: {
    kind: 'untranslatable',
    why: 'designs-spec §12: the PSW maps each region from the enclave fd after adding it (D1 refuses mmap after the first ADD) and adds every page from a RW heap buffer (ADD would copy code non-executable)',
  },
};

export const D1: SgxDesign = registerDesign(
  (() => {
    const design: SgxDesign = {
      id: 'D1',
      variant: null,
      key: designKey('D1', null),
      slug: 'copy-source-perms',
      title: 'ENCLAVE_ADD copies the contents and the permissions of the source VMA (Sean Christopherson, 2019-05-17)',
      provenance: {
        kind: 'lkml',
        refs: [
          '20190517192823.GG15006@linux.intel.com (Sean Christopherson, 2019-05-17 15:28 EDT: the proposal)',
          '20190517000331.GD11204@linux.intel.com (Sean, 2019-05-16: the 7-step outline; mprotect_fixup(), faults refused before INIT)',
          'c901ea99-5b43-a25d-03e8-55b4fce9c466@tycho.nsa.gov (Stephen Smalley, 2019-05-17 16:09: O_RDONLY? anon inodes lose ioctl whitelisting)',
          '20190517213637.GM15006@linux.intel.com (Sean, 2019-05-17 17:36: O_RDWR needed; the anon inode is for EXECMEM)',
          '20190521155140.GE22089@linux.intel.com (Sean, 2019-05-21: disallow mmap() after the first EADD)',
          '20190522153836.GA24833@linux.intel.com (Sean, 2019-05-22: "Requiring VMA backing to build an enclave seems reasonable and sane")',
          'CALCETrWxw7xALE0kmiYBzomaSMAeXEVq-7rX7xeqPtDPeDQiCA@mail.gmail.com (Andy Lutomirski, 2019-05-16: mmap again after EADD?)',
          'http://lkml.iu.edu/hypermail/linux/kernel/1905.1/02922.html (Cedric Xing, 2019-05-10: copy content and permissions)',
        ],
        date: '2019-05-17',
        authors: ['Sean Christopherson'],
        summary:
          'open("/dev/sgx/enclave", O_RDWR) allocates an anonymous (S_PRIVATE) inode; the enclave is mapped PROT_READ, MAP_SHARED before ECREATE; ENCLAVE_ADD {offset, source, size, type} copies the contents and the R/W/X of the source VMA (regular memory mapped from the enclave file, already checked by the stock mmap/mprotect hooks) into the EPC page and the enclave VMA of the calling mm; mmap of the enclave is refused after the first ADD; PROT_EXEC on the enclave fd meets execmem. No new LSM hook.',
      },
      devices: D1_DEVICES,
      ioctls: D1_IOCTLS,
      constants: {
        SGX_MAGIC,
        SGX_ENCLAVE_ADD_MEASURE,
        SGX_ENCLAVE_ADD_TCS,
        SGX_ENCLAVE_ADD_REG,
        SGX_PAGE_TYPE_SECS: SgxPageType.SECS,
        SGX_PAGE_TYPE_TCS: SgxPageType.TCS,
        SGX_PAGE_TYPE_REG: SgxPageType.REG,
      },
      hooks: [],
      permissions: [],
      features: { sgx2: false, mmapAfterAdd: false, mapHoles: true },
      canonicalLoader: 'careful',
      loaders: LOADERS,
      carefulLoader: (p, img) => d1SeedLoader(design, p, img),
      adapter: d1Adapter,
      symbols: () => designSymbols(design),
      install(k: Kernel, opts: InstallOptions): SgxInstall {
        const o = d1Options(opts.driver);
        // v20 sgx_drv_probe() (-ENODEV without SGX1 or flexible launch control), sgx_dev_init(): "sgx/enclave" (minor 0), then "sgx/provision" (minor 1).
        return v20Install(
          k,
          opts,
          design,
          (platform) => {
            const drv = copySourcePermsDriver(platform, design.key, o);
            return { enclaveFops: drv.deviceFops, provisionFops: drv.provisionFops };
          },
          D1_DEVICES,
          D1_CHRDEV_MAJOR,
        );
      },
    };
    return design;
  })(),
);

export { copySourcePermsDriver, d1Options, D1_DEFAULT_OPTIONS, d1CopiedPerms, d1State, enclaveVmasCover, D1_ANON_NAME, type D1Options, type D1EnclState, type D1PageState, type D1Driver } from './driver.js';
export { d1Adapter, d1AddType, D1_ENCLAVE_PATH, D1_PROVISION_PATH, D1_NO_SGX2, D1_NO_SECINFO } from './adapter.js';
export { d1SeedLoader } from './loader.js';
export * from './uapi.js';
