// libFuzzer target for the OVA tar index (package/tar_index.cpp): ustar, GNU
// and PAX headers, long names, sizes and the archive limits (SECURITY.md R6,
// R7). What the index accepts must keep its promises, or the target aborts so
// the fuzzer reports it:
//   - every member lies inside the file, after its own header, in order and
//     without overlapping the next one;
//   - every name is a single safe component (io::check_member_name) and
//     find() returns that member;
//   - the first block is recognised as a tar header.
// Inputs are capped at 4 MiB: the index reads headers only, so larger files
// add nothing but time. Small limits make the member and record caps
// reachable within that size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/package/tar_index.hpp>

namespace {

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

void index(const uint8_t* data, size_t size, const ovfkit::package::TarLimits& limits) {
    using namespace ovfkit;
    auto bytes = std::as_bytes(std::span(data, size));
    io::MemFile file("fuzz.ova", std::vector<std::byte>(bytes.begin(), bytes.end()));
    Diagnostics notes;
    auto tar = package::TarIndex::build(file, limits, &notes);
    if (!tar) {
        return;
    }
    check(tar->members().size() <= limits.max_members);
    uint64_t previous_end = 0;
    for (const auto& m : tar->members()) {
        check(m.header_offset % package::k_tar_block == 0);
        check(m.header_offset >= previous_end);
        check(m.data_offset > m.header_offset);
        check(m.data_offset <= size && m.size <= size - m.data_offset);
        previous_end = m.data_offset + m.size;
        check(io::check_member_name(m.name).has_value());
        check(tar->find(m.name) == &m);
    }
    if (!tar->members().empty()) {
        check(size >= package::k_tar_block &&
              package::is_tar_header(bytes.first(package::k_tar_block)));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > (size_t{4} << 20)) {
        return 0;
    }
    index(data, size, {});
    index(data, size, {.max_members = 3, .max_name_record = 300, .max_member_metadata = 2048});
    return 0;
}
