// The _IOC ioctl number encoding (include/uapi/asm-generic/ioctl.h; x86 uses the generic one).

export const _IOC_NRBITS = 8;
export const _IOC_TYPEBITS = 8;
export const _IOC_SIZEBITS = 14;
export const _IOC_DIRBITS = 2;
export const _IOC_NRSHIFT = 0;
export const _IOC_TYPESHIFT = _IOC_NRSHIFT + _IOC_NRBITS;
export const _IOC_SIZESHIFT = _IOC_TYPESHIFT + _IOC_TYPEBITS;
export const _IOC_DIRSHIFT = _IOC_SIZESHIFT + _IOC_SIZEBITS;
export const _IOC_NONE = 0;
export const _IOC_WRITE = 1;
export const _IOC_READ = 2;

/** _IOC(dir, type, nr, size) as an unsigned 32-bit number. */
export function _IOC(dir: number, type: number, nr: number, size: number): number {
  if (dir < 0 || dir > 3 || type < 0 || type > 0xff || nr < 0 || nr > 0xff || size < 0 || size >= 1 << _IOC_SIZEBITS) {
    throw new RangeError(`_IOC: field out of range (dir=${dir} type=${type} nr=${nr} size=${size})`);
  }
  return ((dir << _IOC_DIRSHIFT) | (type << _IOC_TYPESHIFT) | (nr << _IOC_NRSHIFT) | (size << _IOC_SIZESHIFT)) >>> 0;
}
export const _IO = (type: number, nr: number): number => _IOC(_IOC_NONE, type, nr, 0);
export const _IOR = (type: number, nr: number, size: number): number => _IOC(_IOC_READ, type, nr, size);
export const _IOW = (type: number, nr: number, size: number): number => _IOC(_IOC_WRITE, type, nr, size);
export const _IOWR = (type: number, nr: number, size: number): number => _IOC(_IOC_READ | _IOC_WRITE, type, nr, size);

export const _IOC_DIR = (nr: number): number => (nr >>> _IOC_DIRSHIFT) & ((1 << _IOC_DIRBITS) - 1);
export const _IOC_TYPE = (nr: number): number => (nr >>> _IOC_TYPESHIFT) & ((1 << _IOC_TYPEBITS) - 1);
export const _IOC_NR = (nr: number): number => (nr >>> _IOC_NRSHIFT) & ((1 << _IOC_NRBITS) - 1);
export const _IOC_SIZE = (nr: number): number => (nr >>> _IOC_SIZESHIFT) & ((1 << _IOC_SIZEBITS) - 1);
