// ABI constants against their Linux sources.
import { describe, expect, it } from 'vitest';
import { _IOW, _IOWR, _IOR, _IOC_NR, _IOC_TYPE, _IOC_SIZE, _IOC_DIR } from '../../src/abi/ioctl.js';
import { EACCES, EINTR, ENOTTY, ERESTARTSYS, ENOIOCTLCMD, errnoName, errnoByName, userspaceResult, formatReturn } from '../../src/abi/errno.js';
import { MAP_FIXED_NOREPLACE, MAP_SHARED_VALIDATE, MAP_GROWSDOWN, protToString, mapFlagsToString, PROT_READ, PROT_EXEC, MAP_PRIVATE, MAP_ANONYMOUS } from '../../src/abi/mman.js';
import { O_CLOEXEC, O_APPEND, openFmode, O_RDONLY, O_WRONLY, O_RDWR, accMode } from '../../src/abi/fcntl.js';
import { VM_MAYREAD, VM_READ, VM_PFNMAP, VM_IO, VM_DONTEXPAND, VM_ACCOUNT } from '../../src/abi/vm_flags.js';
import { READ_IMPLIES_EXEC } from '../../src/abi/personality.js';
import { MKDEV, MAJOR, MINOR } from '../../src/abi/stat.js';

describe('ioctl encoding (include/uapi/asm-generic/ioctl.h)', () => {
  it('matches the SGX uapi numbers (arch/x86/include/uapi/asm/sgx.h)', () => {
    // SGX_IOC_ENCLAVE_CREATE = _IOW(0xA4, 0x00, struct sgx_enclave_create) (8 bytes)
    expect(_IOW(0xa4, 0x00, 8)).toBe(0x4008a400);
    // SGX_IOC_ENCLAVE_ADD_PAGES = _IOWR(0xA4, 0x01, struct sgx_enclave_add_pages) (48 bytes)
    expect(_IOWR(0xa4, 0x01, 48)).toBe(0xc030a401);
    // SGX_IOC_ENCLAVE_INIT = _IOW(0xA4, 0x02, struct sgx_enclave_init) (8 bytes)
    expect(_IOW(0xa4, 0x02, 8)).toBe(0x4008a402);
    expect(_IOR(0x54, 0x13, 8)).toBe(0x80085413);
    const c = 0xc030a401;
    expect([_IOC_DIR(c), _IOC_TYPE(c), _IOC_NR(c), _IOC_SIZE(c)]).toEqual([3, 0xa4, 1, 48]);
  });
});

describe('errno', () => {
  it('x86-64 numbers and names', () => {
    expect(EACCES).toBe(13);
    expect(errnoName(-13)).toBe('EACCES');
    expect(errnoByName('EOPNOTSUPP')).toBe(95);
    expect(ERESTARTSYS).toBe(512);
    expect(ENOIOCTLCMD).toBe(515);
    expect(formatReturn(-13)).toBe('-1 EACCES');
  });
  it('kernel-internal codes reach userspace as the signal path makes them', () => {
    expect(userspaceResult(-ERESTARTSYS)).toBe(-EINTR);
    expect(userspaceResult(-ERESTARTSYS, { handler: true, saRestart: true })).toBe('restart');
    expect(userspaceResult(-ERESTARTSYS, { handler: false, saRestart: false })).toBe('restart');
    expect(userspaceResult(-ENOIOCTLCMD)).toBe(-ENOTTY);
    expect(userspaceResult(5)).toBe(5);
  });
});

describe('flag values', () => {
  it('mman, fcntl, vm_flags, personality (uapi headers, include/linux/mm.h)', () => {
    expect([MAP_SHARED_VALIDATE, MAP_GROWSDOWN, MAP_FIXED_NOREPLACE]).toEqual([0x03, 0x0100, 0x100000]);
    expect([O_APPEND, O_CLOEXEC]).toEqual([0o2000, 0o2000000]);
    expect([VM_READ, VM_MAYREAD, VM_PFNMAP, VM_IO, VM_DONTEXPAND, VM_ACCOUNT]).toEqual([1, 0x10, 0x400, 0x4000, 0x40000, 0x100000]);
    expect(READ_IMPLIES_EXEC).toBe(0x0400000);
    expect([openFmode(O_RDONLY), openFmode(O_WRONLY), openFmode(O_RDWR), openFmode(3)]).toEqual([1, 2, 3, 0]);
    expect([accMode(O_RDONLY), accMode(O_WRONLY), accMode(O_RDWR)]).toEqual([4, 2, 6]);
    expect(protToString(PROT_READ | PROT_EXEC)).toBe('PROT_READ|PROT_EXEC');
    expect(mapFlagsToString(MAP_PRIVATE | MAP_ANONYMOUS)).toBe('MAP_PRIVATE|MAP_ANONYMOUS');
    expect([MAJOR(MKDEV(10, 125)), MINOR(MKDEV(10, 125))]).toEqual([10, 125]);
  });
});
