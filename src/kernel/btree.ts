// sorted-btree is a CommonJS package. Under NodeNext its default import is module.exports (whose
// `default` is the class), while bundlers (vitest) may hand over the class itself. Import BTree
// from here instead of from the package.
import sortedBtree from 'sorted-btree';

type BTreeClass = typeof import('sorted-btree').default;
const mod = sortedBtree as unknown as { default?: BTreeClass } & BTreeClass;
export const BTree: BTreeClass = typeof mod.default === 'function' ? mod.default : mod;
export type BTree<K = any, V = any> = import('sorted-btree').default<K, V>;
