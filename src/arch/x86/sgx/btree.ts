// sorted-btree is a CommonJS package. Under Node's ESM loader (compiled code, NodeNext) its
// default import is module.exports, whose `default` is the class; under bundlers/vitest the
// default import is the class itself. The SGX hardware model imports BTree from here.
import sortedBtree from 'sorted-btree';

type BTreeClass = typeof import('sorted-btree').default;
const mod = sortedBtree as unknown as BTreeClass & { default?: BTreeClass };
export const BTree: BTreeClass = mod.default ?? mod;
export type BTree<K = any, V = any> = import('sorted-btree').default<K, V>;
