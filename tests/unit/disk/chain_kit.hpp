// What the parameterised chain tests (chain_test.cpp) need from each format
// that has parents or backing files: images made from bytes, with a parent
// name and an identity chosen by the test. Each format's test file defines
// its kit next to the byte helpers it already has.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace ovfkit::test {

struct ChainKit {
    std::string format;    // driver name: "qcow2", "vhd", "vhdx", "vmdk"
    std::string extension; // ".qcow2"
    bool has_identity = false;
    // Writes an image without a parent; `id` seeds its format identity.
    std::function<void(const std::string& path, uint8_t id)> write_base;
    // Writes a child that names `parent`, with identity `id`, recording
    // `parent_id` as its parent's identity.
    std::function<void(const std::string& path, const std::string& parent, uint8_t id,
                       uint8_t parent_id)>
        write_child;
};

const ChainKit& qcow2_chain_kit();
const ChainKit& vhd_chain_kit();
const ChainKit& vhdx_chain_kit();
const ChainKit& vmdk_chain_kit();

} // namespace ovfkit::test
