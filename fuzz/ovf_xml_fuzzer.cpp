// libFuzzer target for the OVF descriptor path: hardened XML loading
// (xml/document.cpp), the Envelope reader and the writer. Whatever reads must
// also write, the output must read again, and writing that model must give
// the same bytes (the writer is a fixed point); anything else aborts so the
// fuzzer reports it. Inputs are capped below the 16 MiB descriptor limit to
// keep iterations fast; the limit itself has unit tests.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/ovf/xml_writer.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    if (size > (size_t{4} << 20)) {
        return 0;
    }
    Diagnostics diag;
    auto env = ovf::read_envelope(std::as_bytes(std::span(data, size)), "fuzz.ovf", diag);
    if (!env) {
        return 0;
    }
    for (ovf::OvfVersion target : {ovf::OvfVersion::v1, ovf::OvfVersion::v2}) {
        auto out = ovf::write_envelope(*env, target);
        if (!out) {
            // Only unrepresentable text may stop the writer.
            if (out.error().code != Errc::invalid) {
                std::abort();
            }
            continue;
        }
        Diagnostics diag2;
        auto again = ovf::read_envelope(std::as_bytes(std::span(out->data(), out->size())),
                                        "fuzz.out.ovf", diag2);
        if (!again) {
            std::abort();
        }
        auto out2 = ovf::write_envelope(*again, target);
        if (!out2 || *out2 != *out) {
            std::abort();
        }
    }
    return 0;
}
