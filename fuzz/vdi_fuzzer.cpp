// libFuzzer target for the VDI reader: header, block map (free and zero
// entries), the allocation map and check(). The shared body is in
// reader_target.hpp.
#include "reader_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ovfkit::fuzz::read_image("vdi", data, size);
}
