// libFuzzer target for the VHDX reader: headers, region tables, log replay in
// memory, metadata, BAT, the allocation map and check(). Parent images are
// never followed. The shared body is in reader_target.hpp.
#include "reader_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ovfkit::fuzz::read_image("vhdx", data, size);
}
