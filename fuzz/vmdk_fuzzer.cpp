// libFuzzer target for the VMDK reader: descriptor parsing, sparse header and
// footer checks, grain directory and tables, the stream marker walk,
// compressed-grain inflation and the allocation map. "vmdk" opens every VMDK
// variant; extent files and parents are never opened. The shared body is in
// reader_target.hpp.
#include "reader_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return ovfkit::fuzz::read_image("vmdk", data, size);
}
