#!/usr/bin/env bash
# The installed ovfkit.pc: public flags for compiling, the static library's
# own dependencies only with --static (Requires.private), and a one-file
# program built from `pkg-config --static --cflags --libs ovfkit` links and
# converts a disk.
. "$(dirname "$0")/../lib.sh"
need pkg-config
. "$(dirname "$0")/install_lib.bash"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[[ $(pkg-config --modversion ovfkit) == "$(cache_value CMAKE_PROJECT_VERSION)" ]] ||
  fail "ovfkit.pc has the wrong version: $(pkg-config --modversion ovfkit)"
cflags=$(pkg-config --cflags ovfkit)
libs=$(pkg-config --libs ovfkit)
static_libs=$(pkg-config --static --libs ovfkit)
# ${pcfiledir} makes the file relocatable: it names the prefix it sits in.
[[ " $cflags " == *" -I$prefix/lib/pkgconfig/../../include "* ]] || fail "cflags: $cflags"
[[ " $libs " == *" -L$prefix/lib/pkgconfig/../../lib "* && " $libs " == *" -lovfkit "* ]] ||
  fail "libs: $libs"
[[ " $libs " == *" -lfmt "* ]] || fail "fmt (used by the headers) is not in Libs: $libs"
for l in -lxml2 -lcrypto -lz -ltbb -ldeflate -lisofs; do
  [[ " $libs " != *" $l "* ]] || fail "$l is private but in Libs: $libs"
  [[ " $static_libs " == *" $l "* ]] || fail "$l is missing from --static: $static_libs"
done

cat >"$T/prog.cpp" <<'CPP'
#include <cstdio>
#include <ovfkit/disk/convert.hpp>
int main(int argc, char** argv) {
    if (argc != 3) {
        return 2;
    }
    ovfkit::disk::ConvertRequest request;
    request.input = argv[1];
    request.output = argv[2];
    request.output_format = "vhdx";
    auto result = ovfkit::disk::convert_image(request);
    if (!result) {
        std::fprintf(stderr, "%s\n", result.error().message.c_str());
        return 1;
    }
    std::printf("%s -> %s\n", result->input_format.c_str(), result->output_format.c_str());
    return 0;
}
CPP
# shellcheck disable=SC2046,SC2086 # word splitting of the flags is intended
"$cxx" -std=c++20 -Wall -Werror $san_flags "$T/prog.cpp" -o "$T/prog" \
  $(pkg-config --static --cflags --libs ovfkit) 2>"$T/cc.log" ||
  { cat "$T/cc.log" >&2; fail "compiling with pkg-config's flags failed"; }
make_input_disk
expect_rc 0 "$T/prog" "$T/in.qcow2" "$T/out.vhdx"
[[ $(cat "$T/out") == "qcow2 -> vhdx" ]] || fail "unexpected output: $(cat "$T/out")"
qemu-img compare -q -f raw -F vhdx "$T/disk.raw" "$T/out.vhdx" || fail "the converted disk differs"
echo "ok"
