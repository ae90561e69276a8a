// What each design states as the permission that makes enclave code acceptable when it did not
// come from a file the domain may execute (invariant I2), and the permission it names for a page
// that is writable and executable at once (I3). Sources: the reference notes
// (/work/shared/reference/sgx-driver-and-designs.md §2) and each design's code
// (src/drivers/sgx/<design>/); docs/explorer.md "Invariants" has the table with the reasons.
// A grant is asked of the policy (PolicyOracle), never of the AVC of the explored run.

/** Where the bytes of an enclave page came from (ghost state, recorded when the page was added). */
export type SourceClass =
  /** An unmodified page of a regular file (shared mapping, or private and never COWed). */
  | 'file'
  /** A file page the task changed (a COWed private file page, or a shared page written through a mapping or write(2)). */
  | 'modified'
  /** Anonymous memory (private or shared), written or not. */
  | 'anon'
  /** No source: the page was added by EAUG (SGX2). */
  | 'eaug';

/** One permission that counts as a grant. */
export type Grant =
  /** The domain on itself: `allow domain self:tclass perm`. */
  | { readonly kind: 'self'; readonly tclass: string; readonly perm: string }
  /** The domain on the source file of the page (its label, in its class). */
  | { readonly kind: 'source-file'; readonly perm: string }
  /** The domain on the enclave's file (the device node, or the anon inode for D1). */
  | { readonly kind: 'enclave-file'; readonly perm: string };

export interface DesignRules {
  /** I2: alternatives to `execute` on the source file, per source class (any one suffices). */
  readonly i2: Readonly<Record<SourceClass, readonly Grant[]>>;
  /** I3: the permission(s) the design names for a W+X enclave page (any one suffices; none: never allowed). */
  readonly i3: readonly Grant[];
  /** Where the entry comes from. */
  readonly source: string;
}

const self = (tclass: string, perm: string): Grant => ({ kind: 'self', tclass, perm });
const src = (perm: string): Grant => ({ kind: 'source-file', perm });
const encl = (perm: string): Grant => ({ kind: 'enclave-file', perm });
const EXECMEM = self('process', 'execmem');

const NONE: DesignRules['i2'] = { file: [], modified: [], anon: [], eaug: [] };

export const DESIGN_RULES: Readonly<Record<string, DesignRules>> = {
  // v20: only the device's permissions; no per-page statement at all.
  D0: { i2: NONE, i3: [], source: 'v20 status quo: an LSM sees only the device (notes §2 D0)' },
  // The seed: permissions come from source VMAs "that have already gone through LSM checks" —
  // execmem for anonymous (or W+X private) sources, execmod for a COWed private file mapping made X.
  D1: {
    i2: { file: [], modified: [src('execmod'), EXECMEM], anon: [EXECMEM], eaug: [] },
    i3: [EXECMEM],
    source: 'Sean 2019-05-17 (20190517192823.GG15006@linux.intel.com): the stock mmap/mprotect checks of the source (notes §2 D1)',
  },
  // Andy 2019-05-15: "RX mapping of pages whose source was not PROT_EXEC needs EXECMEM or EXECMOD"; "RWX should fail unless EXECMOD".
  D2: {
    i2: { file: [], modified: [src('execmod'), EXECMEM], anon: [EXECMEM], eaug: [EXECMEM] },
    i3: [src('execmod'), EXECMEM],
    source: 'Andy 2019-05-15 (CALCETrX2ovRx3Rre+1_xC-q6CiybyLjQ-gmB4FZF_qCZ-Qd+4A@mail.gmail.com)',
  },
  // Andy 2019-05-30: X of an EADD'd page needs EXECUTE on the source (or EXECMOD/EXECMEM); X of a
  // page ever W (or EAUG'd, intent=false) needs EXECMOD; WX needs EXECMEM.
  D3: {
    i2: { file: [src('execmod'), EXECMEM], modified: [src('execmod'), EXECMEM], anon: [EXECMEM], eaug: [encl('execmod')] },
    i3: [EXECMEM],
    source: 'Andy 2019-05-30 execute_intent (notes §2 D3)',
  },
  // Sean RFC v1/v2: X from a source that is not VM_EXEC needs EXECUTE (file) or EXECMEM
  // (anonymous/private); a COWed or W+X source needs EXECMOD (file) or EXECMEM.
  D4: {
    i2: { file: [], modified: [src('execmod'), EXECMEM], anon: [EXECMEM], eaug: [] },
    i3: [src('execmod'), EXECMEM],
    source: 'Sean RFC v1 9/9, v2 5/5 selinux_enclave_load() (src/drivers/sgx/allow-prot/driver.ts)',
  },
  // Sean RFC v4: FILE__SGX_EXECUTE for file sources, SGX_EXECANON for anonymous (or anon_vma)
  // sources, SGX_EXECDIRTY for EAUG'd pages mapped X (12/12), SGX_MAPWX to map W+X.
  D5: {
    i2: { file: [src('sgx_execute')], modified: [self('process2', 'sgx_execanon')], anon: [self('process2', 'sgx_execanon')], eaug: [self('process2', 'sgx_execdirty')] },
    i3: [self('process2', 'sgx_mapwx')],
    source: 'Sean RFC v4 08/12, 10/12, 12/12 (src/drivers/sgx/sgx-perms/driver.ts)',
  },
  // Cedric v3: X from a file needs FILE__EXECUTE (+EXECMOD if modified); anonymous needs
  // PROCESS2__ENCLAVE_EXECANON, else EXECMEM; EAUG pages need EXECMOD on the SIGSTRUCT file
  // (approximated by the enclave's file here); any WX needs EXECMEM.
  D6: {
    i2: { file: [], modified: [src('execmod')], anon: [self('process2', 'enclave_execanon'), EXECMEM], eaug: [encl('execmod')] },
    i3: [EXECMEM],
    source: 'Cedric v3 (3a9efc8d3c27490dbcfe802ce3facddd62f47872.1562542383.git.cedric.xing@intel.com)',
  },
  // Mainline: no SGX LSM hook; an LSM sees only the device file. No per-page permission is stated.
  D7: { i2: NONE, i3: [], source: 'Linux 5.11: no enclave LSM hook (notes §3.9)' },
  D8: { i2: NONE, i3: [], source: 'Linux 6.0/6.1: no enclave LSM hook (notes §4)' },
};

/** The rules of a design id (D0..D8); an unknown id states nothing. */
export function designRules(id: string): DesignRules {
  return DESIGN_RULES[id] ?? { i2: NONE, i3: [], source: 'no statement known' };
}

export function grantText(g: Grant): string {
  switch (g.kind) {
    case 'self':
      return `self:${g.tclass} ${g.perm}`;
    case 'source-file':
      return `source file ${g.perm}`;
    case 'enclave-file':
      return `enclave file ${g.perm}`;
  }
}
