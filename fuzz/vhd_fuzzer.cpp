// libFuzzer target for the VHD reader: footer and header, BAT and entry
// validation, sector bitmaps, the allocation map and check(). Parent images
// are never followed. The shared body is in reader_target.hpp.
#include "reader_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ovfkit::fuzz::read_image("vhd", data, size);
}
