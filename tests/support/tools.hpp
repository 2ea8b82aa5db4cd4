// Running the independent readers tests check outputs with (qemu-img,
// vmdkinfo, vhdiinfo ...), capped so that a hostile output cannot hang a test
// (SECURITY.md R27).
#pragma once

#include <string>

#include <gtest/gtest.h>

#include <support/temp_dir.hpp>

namespace ovfkit::test {

inline bool have_tool(const std::string& tool) {
    return run("command -v " + tool + " >/dev/null 2>&1") == 0;
}

// Runs an independent reader on trusted output, with a memory and CPU cap.
inline int run_tool(const std::string& command, std::string* out = nullptr) {
    return run("prlimit --as=2000000000 --cpu=60 " + command + " 2>&1", out);
}

inline uint64_t qemu_virtual_size(const std::string& fmt, const std::string& path) {
    std::string out;
    if (run_tool("qemu-img info -f " + fmt + " --output=json '" + path + "'", &out) != 0) {
        ADD_FAILURE() << out;
        return 0;
    }
    auto pos = out.find("\"virtual-size\":");
    if (pos == std::string::npos) {
        ADD_FAILURE() << out;
        return 0;
    }
    return std::stoull(out.substr(pos + 15));
}

} // namespace ovfkit::test
