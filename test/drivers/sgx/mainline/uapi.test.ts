// The mainline uAPI against arch/x86/include/uapi/asm/sgx.h: struct sizes and offsets, ioctl
// numbers (reference notes §3.2: the values computed with the x86 _IOC encoding).
import { describe, expect, it } from 'vitest';
import * as U from '../../../../src/drivers/sgx/mainline/uapi.js';
import { D7, D8 } from '../../../../src/drivers/sgx/index.js';

const offsets = (l: { fields: readonly { name: string; offset: number }[] }) => Object.fromEntries(l.fields.map((f) => [f.name, f.offset]));

describe('mainline uAPI', () => {
  it('struct sizes and field offsets', () => {
    expect(U.SGX_ENCLAVE_CREATE.size).toBe(8);
    expect(U.SGX_ENCLAVE_ADD_PAGES.size).toBe(48);
    expect(offsets(U.SGX_ENCLAVE_ADD_PAGES)).toEqual({ src: 0, offset: 8, length: 16, secinfo: 24, flags: 32, count: 40 });
    expect(U.SGX_ENCLAVE_INIT.size).toBe(8);
    expect(U.SGX_ENCLAVE_PROVISION.size).toBe(8);
    expect(U.SGX_ENCLAVE_RESTRICT_PERMISSIONS.size).toBe(40);
    expect(offsets(U.SGX_ENCLAVE_RESTRICT_PERMISSIONS)).toEqual({ offset: 0, length: 8, permissions: 16, result: 24, count: 32 });
    expect(U.SGX_ENCLAVE_MODIFY_TYPES.size).toBe(40);
    expect(U.SGX_ENCLAVE_REMOVE_PAGES.size).toBe(24);
    // arch.h: struct sgx_secs is 4096 bytes, packed; sgx_secinfo 64 bytes aligned to 64
    expect(U.SGX_SECS.size).toBe(4096);
    expect(offsets(U.SGX_SECS)).toMatchObject({ size: 0, base: 8, ssa_frame_size: 16, miscselect: 20, attributes: 48, xfrm: 56, mrenclave: 64, mrsigner: 128, config_id: 192, isv_prod_id: 256, isv_svn: 258, config_svn: 260, reserved4: 262 });
    expect(U.SGX_SECINFO.size).toBe(64);
    expect(U.SGX_SECINFO.align).toBe(64);
  });
  it('ioctl numbers', () => {
    expect(U.SGX_IOC_ENCLAVE_CREATE).toBe(0x4008a400);
    expect(U.SGX_IOC_ENCLAVE_ADD_PAGES).toBe(0xc030a401);
    expect(U.SGX_IOC_ENCLAVE_INIT).toBe(0x4008a402);
    expect(U.SGX_IOC_ENCLAVE_PROVISION).toBe(0x4008a403);
    expect(U.SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS).toBe(0xc028a405);
    expect(U.SGX_IOC_ENCLAVE_MODIFY_TYPES).toBe(0xc028a406);
    expect(U.SGX_IOC_ENCLAVE_REMOVE_PAGES).toBe(0xc018a407);
  });
  it('designs expose their tables and scenario symbols', () => {
    expect(D7.ioctls.map((i) => i.name)).toEqual(['SGX_IOC_ENCLAVE_CREATE', 'SGX_IOC_ENCLAVE_ADD_PAGES', 'SGX_IOC_ENCLAVE_INIT', 'SGX_IOC_ENCLAVE_PROVISION']);
    expect(D8.ioctls).toHaveLength(7);
    const s = D8.symbols();
    expect(s.id).toBe('D8');
    expect(s.ioctls.SGX_IOC_ENCLAVE_ADD_PAGES).toBe(0xc030a401);
    expect(s.constants?.SGX_PAGE_MEASURE).toBe(1);
    expect(s.constants?.SGX_PAGE_TYPE_TRIM).toBe(4);
  });
});
