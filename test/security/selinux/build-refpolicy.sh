#!/usr/bin/env bash
# Build Debian's reference policy source (package selinux-policy-src) into a monolithic policy.conf
# (~45 MB, ~3.2 million lines) and compile it with checkpolicy, as the conformance tests and the
# SELinux bench do (they call the same steps from refpolicy.ts). Usage:
#   test/security/selinux/build-refpolicy.sh [OUTDIR]      (default .tmp/refpolicy)
# Output: OUTDIR/policy.conf and, when checkpolicy is installed, OUTDIR/policy.33.
set -euo pipefail
out=${1:-"$(dirname "$0")/../../../.tmp/refpolicy"}
src=${SGXSIM_REFPOLICY_SRC:-/usr/src/selinux-policy-src.tar.zst}
[ -f "$src" ] || { echo "missing $src (apt-get install selinux-policy-src)" >&2; exit 1; }
for t in m4 make tar zstd; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }; done
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar --zstd -xf "$src" -C "$work"
make -C "$work/selinux-policy-src" MONOLITHIC=y policy.conf >/dev/null
mv "$work/selinux-policy-src/policy.conf" "$out/policy.conf"
if command -v checkpolicy >/dev/null; then
  checkpolicy -M -c 33 -o "$out/policy.33" "$out/policy.conf" >/dev/null
fi
wc -lc "$out/policy.conf"
