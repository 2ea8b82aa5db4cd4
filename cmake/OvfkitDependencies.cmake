# Every dependency comes from a Debian package (scripts/setup installs them).
find_package(PkgConfig REQUIRED)
find_package(LibXml2 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(TBB REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
pkg_check_modules(DEFLATE REQUIRED IMPORTED_TARGET libdeflate)
# libvirt's C API for `convert --to libvirt --define` (platform/libvirt/connect.cpp).
pkg_check_modules(LIBVIRT REQUIRED IMPORTED_TARGET libvirt)
find_package(tl-expected CONFIG REQUIRED)
# Packages over http(s) (package/remote.cpp) and Unicode normalisation of tar
# member names (package/tar_index.cpp).
find_package(CURL REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc)
# The OVF environment ISO (deploy/environment_iso.cpp).
pkg_check_modules(ISOFS REQUIRED IMPORTED_TARGET libisofs-1)
# Proxmox vzdump archives (.vma.zst), decompressed as a stream
# (platform/proxmox/vma_stream.cpp).
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
# vzdump archives compressed with lzop (.vma.lzo): LZO1X blocks
# (platform/proxmox/vma_input.cpp).
pkg_check_modules(LZO REQUIRED IMPORTED_TARGET lzo2)
# XenServer XVA block checksums (XXH64, `.xxhash` members), read and written
# (platform/xenserver/xva.cpp, xva_archive.cpp).
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
