// audit2allow: rules grouped by source type as sepolgen's ModuleWriter prints them
// (python/sepolgen/src/sepolgen/output.py sort_filter), checked against the real audit2allow
// when it is installed (policycoreutils-python-utils; needs a compiled policy, here builtin:default).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { audit2allow, audit2allowDetailed, parseAvcLine } from '../../../src/security/selinux/audit2allow.js';
import { builtinPolicySource } from '../../../src/security/selinux/builtin.js';
import { which } from './refpolicy.js';

const L = 'unconfined_u:unconfined_r:sgx_loader_t:s0-s0:c0.c3';
const LINES = [
  // ausearch / audit.log
  `type=AVC msg=audit(1716900000.123:456): avc:  denied  { execute } for  pid=1234 comm="loader" path="/home/u/enclave.so" dev="sda1" ino=4242 scontext=${L} tcontext=unconfined_u:object_r:user_home_t:s0 tclass=file permissive=0`,
  // dmesg
  `[  812.123456] audit: type=1400 audit(1716900000.124:457): avc:  denied  { execute } for  pid=1234 comm="loader" path="/tmp/x" dev="tmpfs" ino=12 scontext=${L} tcontext=system_u:object_r:tmp_t:s0 tclass=file permissive=0`,
  // bare kernel text, two records for the same key merge
  `avc:  denied  { write } for  pid=1234 comm="loader" name="lib" dev="sda1" ino=9 scontext=${L} tcontext=system_u:object_r:lib_t:s0 tclass=dir permissive=0`,
  `avc:  denied  { add_name } for  pid=1234 comm="loader" name="lib" dev="sda1" ino=9 scontext=${L} tcontext=system_u:object_r:lib_t:s0 tclass=dir permissive=0`,
  `type=AVC msg=audit(1716900000.125:458): avc:  denied  { execheap } for  pid=1234 comm="loader" scontext=${L} tcontext=${L} tclass=process permissive=0`,
  `type=AVC msg=audit(1716900000.126:459): avc:  denied  { write } for  pid=1 comm="init" name="lib" dev="sda1" ino=9 scontext=system_u:system_r:init_t:s0 tcontext=system_u:object_r:lib_t:s0 tclass=dir permissive=1`,
  // granted records and other audit lines are ignored
  `type=AVC msg=audit(1716900000.127:460): avc:  granted  { execute } for  pid=1234 comm="loader" path="/dev/sgx_enclave" dev="devtmpfs" ino=86 scontext=${L} tcontext=system_u:object_r:sgx_enclave_device_t:s0 tclass=chr_file`,
  'type=SYSCALL msg=audit(1716900000.127:460): arch=c000003e syscall=9 success=yes exit=0',
];

const EXPECTED = [
  '',
  '',
  '#============= init_t ==============',
  'allow init_t lib_t:dir write;',
  '',
  '#============= sgx_loader_t ==============',
  'allow sgx_loader_t lib_t:dir { add_name write };',
  'allow sgx_loader_t self:process execheap;',
  'allow sgx_loader_t tmp_t:file execute;',
  'allow sgx_loader_t user_home_t:file execute;',
  '',
].join('\n');

describe('audit2allow', () => {
  it('groups rules by source type, merges permissions, uses self, ignores granted records', () => {
    expect(audit2allow(LINES)).toBe(EXPECTED);
  });

  it('parses the fields audit2allow needs and reports malformed records', () => {
    const r = parseAvcLine(LINES[0]);
    expect(r).toMatchObject({ denied: true, perms: ['execute'], stype: 'sgx_loader_t', ttype: 'user_home_t', tclass: 'file', comm: 'loader', path: '/home/u/enclave.so', permissive: false });
    const d = audit2allowDetailed(['avc:  denied  { read } for pid=1 tclass=file']);
    expect(d.skipped).toEqual([{ lineNo: 1, reason: 'missing scontext=, tcontext= or tclass=' }]);
    expect(parseAvcLine('avc:  denied  { ioctl } for  pid=1 comm="l" path="/dev/sgx_enclave" dev="devtmpfs" ino=86 ioctlcmd=0xa401 scontext=a:b:c_t tcontext=a:b:d_t tclass=chr_file permissive=0')).toMatchObject({ ioctlcmd: 0xa401 });
    expect(audit2allow([])).toBe('');
  });

  const missing = ['audit2allow', 'checkpolicy'].filter((t) => !which(t));
  it.skipIf(missing.length > 0)(`prints what the real audit2allow prints (skipped without: ${missing.join(', ') || 'nothing'})`, () => {
    const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), '.tmp', 'selinux-a2a');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'default.conf'), builtinPolicySource('default'));
    execFileSync('checkpolicy', ['-M', '-c', '33', '-o', join(dir, 'default.33'), join(dir, 'default.conf')], { stdio: 'pipe' });
    // denials no boolean of the policy would allow, so audit2allow adds no explanations
    const lines = LINES.filter((l) => !l.includes('init_t'));
    writeFileSync(join(dir, 'avc.log'), lines.join('\n') + '\n');
    const theirs = execFileSync('audit2allow', ['-p', join(dir, 'default.33'), '-i', join(dir, 'avc.log')], { encoding: 'utf8' });
    expect(audit2allow(lines)).toBe(theirs);
  });
});
