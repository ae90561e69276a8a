// Copy-on-write tables for mutable objects shared between Kernel clones.
//
// A table maps ids to objects that implement clone(). Kernel.clone() clones the table in O(1)
// (a sorted-btree clone) and gives both kernels fresh owner tokens. get() reads without copying;
// mut() returns an object this kernel owns, cloning it first if the entry still belongs to an
// older owner token (so a clone never sees the other's later writes).
import { BTree } from './btree.js';

export interface Clonable<T> {
  clone(): T;
}

interface Entry<T> {
  readonly owner: object;
  readonly value: T;
}

export class CowTable<T extends Clonable<T>> {
  private tree: BTree<number, Entry<T>>;
  owner: object;

  constructor(owner: object, tree?: BTree<number, Entry<T>>) {
    this.owner = owner;
    this.tree = tree ?? new BTree<number, Entry<T>>();
  }

  get(id: number): T | undefined {
    return this.tree.get(id)?.value;
  }

  /** The object, owned by this table's current owner (cloned on first write after a fork). */
  mut(id: number): T | undefined {
    const e = this.tree.get(id);
    if (!e) return undefined;
    if (e.owner === this.owner) return e.value;
    const v = e.value.clone();
    this.tree.set(id, { owner: this.owner, value: v });
    return v;
  }

  set(id: number, value: T): void {
    this.tree.set(id, { owner: this.owner, value });
  }

  delete(id: number): boolean {
    return this.tree.delete(id);
  }

  has(id: number): boolean {
    return this.tree.has(id);
  }

  get size(): number {
    return this.tree.size;
  }

  keys(): number[] {
    return this.tree.keysArray();
  }

  /** O(1): the copy and this table both get new owners, so neither mutates shared objects. */
  fork(newOwnerForThis: object, ownerForCopy: object): CowTable<T> {
    this.owner = newOwnerForThis;
    return new CowTable<T>(ownerForCopy, this.tree.clone());
  }
}
