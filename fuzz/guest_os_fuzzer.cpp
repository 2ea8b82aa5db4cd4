// libFuzzer target for the guest-OS hint rules (platform/guest_os.cpp): the
// input is up to six lines, read as ovf:id, ovf:version, vmw:osType,
// vbox:OSType, an OS type of unknown vocabulary and the Description.
// Whatever they say, the answer is a row of the table, and every line about
// ignored hints stays one printable line; anything else aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <ovfkit/platform/guest_os.hpp>

namespace {

bool in_table(const ovfkit::platform::GuestOsRow* row) {
    auto table = ovfkit::platform::guest_os_table();
    return row != nullptr && row >= table.data() && row < table.data() + table.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit::platform;
    if (size > (size_t{1} << 20)) {
        return 0;
    }
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::optional<std::string> field[6];
    for (auto& f : field) {
        if (input.empty()) {
            break;
        }
        auto end = input.find('\n');
        f = std::string(input.substr(0, end));
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    }
    GuestOsHints hints{field[0], field[1], field[2], field[3], field[4], field[5]};
    GuestOs os = resolve_guest_os(hints);
    if (!in_table(os.row) || !in_table(os.newest) || os.decided_by.empty()) {
        std::abort();
    }
    for (const auto& line : os.ignored) {
        for (char c : line) {
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
                std::abort();
            }
        }
    }
    if (os.conflict && os.conflict->find('\n') != std::string::npos) {
        std::abort();
    }
    return 0;
}
