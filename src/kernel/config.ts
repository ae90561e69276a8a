// Boot configuration and the kernel version's behaviour switches. The reference kernel is Linux
// 6.1; where a later kernel behaves differently in a way the model covers, the difference is a
// feature flag derived from `version` here (documented in docs/kernel.md, "Version options").
import type { Lsm } from '../security/lsm.js';

export interface KernelConfig {
  /** Kernel release to model, e.g. '6.1' (default) or a `uname -r` string like '6.18.44-foo'. */
  version?: string;
  /** vm.mmap_min_addr (dac_mmap_min_addr, security/min_addr.c). Default 65536. */
  mmapMinAddr?: number;
  /** CONFIG_LSM_MMAP_MIN_ADDR. Default 65536. */
  lsmMmapMinAddr?: number;
  /** vm.max_map_count (sysctl_max_map_count). Default 65530 (DEFAULT_MAX_MAP_COUNT). */
  maxMapCount?: number;
  /** The CPU has protection keys and the OS enabled them (X86_FEATURE_OSPKE): PROT_EXEC-only mappings get the execute-only pkey. Default false. */
  pku?: boolean;
  /** RLIMIT_STACK soft limit in bytes (default 8 MiB). */
  rlimitStack?: number;
  /** RLIMIT_NOFILE soft limit (default 1024). */
  rlimitNofile?: number;
  /** Record trace events (default true). */
  trace?: boolean;
  /** The LSM (default: none). */
  lsm?: Lsm;
}

export interface KernelVersion {
  major: number;
  minor: number;
  /** As given. */
  release: string;
}

/** Behaviour switches derived from the version (see docs/kernel.md). */
export interface KernelFeatures {
  /**
   * is_mergeable_anon_vma(): 6.1 refuses to merge a range that has an anon_vma into a neighbour
   * that has none (the neighbour's empty anon_vma_chain fails list_is_singular()); the mm/vma.c
   * rewrite (6.12+, "Case 1 - we will dup_anon_vma() from src into tgt") allows it.
   */
  mergeAnonVmaIntoUnfaulted: boolean;
  /**
   * Merging a new mapping with both neighbours when their anon_vmas differ: 6.1's mmap_region()
   * checks next first and then prev against next's anon_vma, so it merges with next; 6.12+'s
   * vma_merge_new_range() merges with prev.
   */
  mergeNewRangePrefersPrev: boolean;
  /**
   * mmap_region(): 6.1 unmaps what a MAP_FIXED mapping replaces before calling the driver's
   * ->mmap(); if that fails, the old mappings are gone. 6.12+ (vms_abort_munmap_vmas) restores them.
   */
  mmapFixedRestoresOnError: boolean;
  /** memfd_create(): MFD_NOEXEC_SEAL / MFD_EXEC exist (6.3+). */
  memfdExecFlags: boolean;
  /** anon_inodefs sets SB_I_NOEXEC (6.16+: "anon_inode: raise SB_I_NODEV and SB_I_NOEXEC"). */
  anonInodeNoexec: boolean;
  /**
   * mprotect_fixup(): making an anonymous VMA that has no anon_vma non-writable drops VM_ACCOUNT
   * ("mm/mprotect: allow unfaulted VMAs to be unaccounted on mprotect()", 6.5); 6.1 keeps it, so
   * such a VMA no longer merges with never-writable neighbours.
   */
  mprotectUnaccountUnfaulted: boolean;
  /** MAP_DROPPABLE exists (6.11+). */
  mapDroppable: boolean;
  /**
   * remap_file_pages() calls security_mmap_file() before do_mmap() (6.12+, CVE-2024-47745; the fix
   * was also sent to the stable trees, so a late 6.1.y may have it: choose a 6.12 version to model it).
   * 6.1 as released calls do_mmap() with no LSM hook.
   */
  remapFilePagesLsm: boolean;
}

export interface ResolvedConfig {
  readonly version: KernelVersion;
  readonly features: KernelFeatures;
  readonly mmapMinAddr: number;
  readonly dacMmapMinAddr: number;
  readonly lsmMmapMinAddr: number;
  readonly maxMapCount: number;
  readonly pku: boolean;
  readonly rlimitStack: number;
  readonly rlimitNofile: number;
  readonly trace: boolean;
}

/** Parse '6.1', '6.18.44-fc-v782', 'v6.6'. Throws an Error with a readable message on garbage. */
export function parseVersion(s: string): KernelVersion {
  const m = /^v?(\d+)\.(\d+)/.exec(s.trim());
  if (!m) throw new Error(`not a kernel version: '${s}' (expected e.g. 6.1 or 6.18.44-generic)`);
  return { major: Number(m[1]), minor: Number(m[2]), release: s.trim() };
}

export function versionAtLeast(v: KernelVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function featuresFor(v: KernelVersion): KernelFeatures {
  return {
    mergeAnonVmaIntoUnfaulted: versionAtLeast(v, 6, 12),
    mergeNewRangePrefersPrev: versionAtLeast(v, 6, 12),
    mmapFixedRestoresOnError: versionAtLeast(v, 6, 12),
    memfdExecFlags: versionAtLeast(v, 6, 3),
    anonInodeNoexec: versionAtLeast(v, 6, 16),
    mprotectUnaccountUnfaulted: versionAtLeast(v, 6, 5),
    mapDroppable: versionAtLeast(v, 6, 11),
    remapFilePagesLsm: versionAtLeast(v, 6, 12),
  };
}

export function resolveConfig(c: KernelConfig = {}): ResolvedConfig {
  const version = parseVersion(c.version ?? '6.1');
  const dac = c.mmapMinAddr ?? 65536;
  const lsmMin = c.lsmMmapMinAddr ?? 65536;
  for (const [name, v] of [['mmapMinAddr', dac], ['lsmMmapMinAddr', lsmMin]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`config.${name} must be a non-negative integer`);
  }
  return {
    version,
    features: featuresFor(version),
    dacMmapMinAddr: dac,
    lsmMmapMinAddr: lsmMin,
    // security/min_addr.c update_mmap_min_addr(): max(dac_mmap_min_addr, CONFIG_LSM_MMAP_MIN_ADDR).
    mmapMinAddr: Math.max(dac, lsmMin),
    maxMapCount: c.maxMapCount ?? 65530,
    pku: c.pku ?? false,
    rlimitStack: c.rlimitStack ?? 8 * 1024 * 1024,
    rlimitNofile: c.rlimitNofile ?? 1024,
    trace: c.trace ?? true,
  };
}
