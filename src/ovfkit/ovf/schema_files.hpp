// The XML schema files under schemas/, compiled into the library by
// cmake/EmbedFiles.cmake (generated schema_files.cpp).
#pragma once

#include <cstddef>

namespace ovfkit::ovf {

struct EmbeddedFile {
    const char* name;          // path below schemas/, e.g. "ovf1/DSP8023.xsd"
    const unsigned char* data; // followed by a NUL byte
    size_t size;               // without the NUL
};

extern const EmbeddedFile k_embedded_files[];
extern const size_t k_embedded_file_count;

} // namespace ovfkit::ovf
