// libFuzzer target for the QCOW2 reader: header, extensions, L1/L2 mapping,
// compressed clusters, the allocation map and check(). Backing files are
// never followed. The shared body is in reader_target.hpp.
#include "reader_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ovfkit::fuzz::read_image("qcow2", data, size);
}
