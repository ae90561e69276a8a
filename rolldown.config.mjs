// Bundle the compiled CLI (dist/src/cli/main.js, emitted by tsc) into one CommonJS file,
// dist/cli/sgxsim.cjs, which src/cli/sgxsim.ts (the `sgxsim` executable) runs through V8's code
// cache. Loading one file whose compiled code is cached is several times faster than loading a
// few hundred ESM modules (bench/startup.bench.ts). `npm run build` = tsc, then this, then one run
// that writes the code cache (SGXSIM_CODE_CACHE=write). Dynamic imports (each command's
// implementation) are inlined: their modules still initialise only when the command runs.
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: 'dist/src/cli/main.js',
  platform: 'node',
  // node:* builtins stay require()s; commander, yaml, zod and sorted-btree are bundled.
  external: [/^node:/],
  output: {
    file: 'dist/cli/sgxsim.cjs',
    format: 'cjs',
    minify: true,
    codeSplitting: false,
  },
});
