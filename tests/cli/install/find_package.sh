#!/usr/bin/env bash
# The installed package works for an out-of-tree CMake project:
# find_package(ovfkit) gives ovfkit::ovfkit, and examples/consumer built
# against it converts a disk through the operations layer (ops::convert_disk,
# with a progress callback) that qemu-img then finds identical.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/install_lib.bash"

for f in include/ovfkit/ops/disk_convert.hpp include/ovfkit/disk/convert.hpp include/ovfkit/base/error.hpp \
  include/ovfkit/ovf/schema_files.hpp include/ovfkit/package/tar_index.hpp \
  lib/libovfkit.a lib/cmake/ovfkit/ovfkitConfig.cmake \
  lib/cmake/ovfkit/ovfkitConfigVersion.cmake lib/cmake/ovfkit/ovfkitTargets.cmake bin/ovfkit; do
  [[ -f $prefix/$f ]] || fail "$f is not installed"
done
# Every header of the source tree is installed, in its folder.
(cd "$OVFKIT_SOURCE_DIR/src" && find ovfkit -name '*.hpp' | sort) >"$T/want"
(cd "$prefix/include" && find ovfkit -name '*.hpp' | sort) >"$T/got"
diff "$T/want" "$T/got" >&2 || fail "the installed headers differ from src/ovfkit"
# The build-only interface targets must not reach consumers: no warnings,
# -Werror or sanitizer flags in the exported target.
if grep -E 'ovfkit_(warnings|settings)|-Werror|-Wall|fsanitize|/src/ovfkit' \
  "$prefix"/lib/cmake/ovfkit/ovfkitTargets*.cmake >&2; then
  fail "the exported target leaks build settings or source paths"
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$OVFKIT_SOURCE_DIR/examples/consumer" -B "$T/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$T/configure.log" 2>&1 ||
  { cat "$T/configure.log" >&2; fail "configuring examples/consumer failed"; }
cmake --build "$T/consumer" >"$T/build.log" 2>&1 ||
  { cat "$T/build.log" >&2; fail "building examples/consumer failed"; }
# The consumer compiles with C++20 from the target's usage requirements alone.
grep -q -- '-std=\(c\|gnu\)++20' "$T/consumer/compile_commands.json" ||
  fail "ovfkit::ovfkit does not ask for C++20"

make_input_disk
expect_rc 0 "$T/consumer/ovfkit_consumer" "$T/in.qcow2" "$T/out.vmdk" vmdk
[[ $(head -n 1 "$T/out") == "converted $T/in.qcow2 (qcow2) to $T/out.vmdk (vmdk): 8388608 guest bytes, "*" written, "*" progress reports" ]] ||
  fail "unexpected output: $(cat "$T/out")"
# The operations layer's own JSON report, as `ovfkit disk convert --json` prints it.
tail -n 1 "$T/out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["schema"] == "ovfkit/1" and d["output_format"] == "vmdk" and d["virtual_size"] == 8388608, d' ||
  fail "unexpected JSON: $(tail -n 1 "$T/out")"
qemu-img compare -q -f raw -F vmdk "$T/disk.raw" "$T/out.vmdk" || fail "the converted disk differs"
# Errors come back as values: an existing output is refused (Errc::refused, 4).
expect_rc 4 "$T/consumer/ovfkit_consumer" "$T/in.qcow2" "$T/out.vmdk" vmdk
grep -q "^error: .*out.vmdk" "$T/err" || fail "unexpected error: $(cat "$T/err")"
echo "ok"
