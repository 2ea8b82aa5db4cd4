# Shared by the install tests: installs the build tree under test into
# $T/prefix and works out the flags a consumer needs to link it.
# Source it after lib.sh.
: "${OVFKIT_BUILD_DIR:?OVFKIT_BUILD_DIR must name the build tree}"
need cmake
need qemu-img

prefix=$T/prefix
cmake --install "$OVFKIT_BUILD_DIR" --prefix "$prefix" >"$T/install.log" ||
  { cat "$T/install.log" >&2; fail "cmake --install failed"; }

# A consumer must be built with the compiler of the library, and a library
# built with sanitizers (the ASan/TSan/fuzzing passes) needs their runtimes at
# link time; ordinary builds add nothing.
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$OVFKIT_BUILD_DIR/CMakeCache.txt"; }
cxx=$(cache_value CMAKE_CXX_COMPILER)
sanitize=$(cache_value OVFKIT_SANITIZE)
[[ $(cache_value OVFKIT_BUILD_FUZZERS) == ON ]] && sanitize=address,undefined
san_flags=""
[[ -n $sanitize ]] && san_flags="-fsanitize=$sanitize"

# A disk of known bytes: a raw image with data at the start, in the middle
# and at the end, as QCOW2 (the consumers detect their input's format, and
# raw is never guessed).
make_input_disk() {
  truncate -s 8M "$T/disk.raw"
  printf 'ovfkit consumer test: first sector' | dd of="$T/disk.raw" conv=notrunc status=none
  head -c 300000 /dev/urandom | dd of="$T/disk.raw" bs=4096 seek=700 conv=notrunc status=none
  printf 'last bytes' | dd of="$T/disk.raw" bs=1 seek=$((8 * 1048576 - 10)) conv=notrunc status=none
  qemu-img convert -f raw -O qcow2 "$T/disk.raw" "$T/in.qcow2"
}
