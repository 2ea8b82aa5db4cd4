// Parent and backing chains: the one policy every format follows when an
// image names another image it is read on top of (VHD and VHDX parents,
// qcow2 backing files; SECURITY.md R1, R3, R4).
//
// A driver reduces the name it finds to what the format means (VHD keeps the
// last component of a Windows path, VHDX's relative_path loses a leading
// ".\", qcow2 takes the bytes as they are) and hands it to open_parent(),
// which refuses, in this order: parents not allowed by the policy, an image
// with no directory to look in, a name that is not one plain file name, a
// chain deeper than the policy's limit, a name already in the chain, a file
// missing from the image's directory, and a file that is already in the
// chain under another name (same st_dev and st_ino: a hard link). Once the
// parent is open, check_parent_identity() refuses a parent whose format
// identity (VHD unique_id, VHDX data_write_guid) is already in the chain:
// copies of one image that name each other. Every refusal is Errc::refused,
// one line: "<child>: <kind> '<parent>'[ (named at offset O)]: <why>".
//
// The chain travels in OpenContext::chain, so a qcow2 whose backing file is
// a VHD that names the qcow2 again is a loop too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/disk/format.hpp>

namespace ovfkit::disk {

// The image whose parent is being opened, as its driver describes it.
struct ParentRef {
    const io::File* child = nullptr; // the child image (its name and identity)
    std::string_view kind;           // "backing file", "differencing disk: parent", ...
    std::string name;                // the parent's name as the format reduced it
    uint64_t offset = 0;             // where the name is stored in the child; 0: not said
    std::string child_identity;      // the child's format identity; empty: none
};

// Applies the policy to `ref` and opens the parent beneath ctx.directory.
// Returns the context to open the parent with: the opened file, the same
// directory and policy, depth + 1 and the chain with the child added.
Result<OpenContext> open_parent(const OpenContext& ctx, const ParentRef& ref);

// The same policy for a parent the caller supplied, for an image that names
// its parent by identity only (a VDI differencing image, whose parent
// VirtualBox finds through its media registry; formats/vdi/parents.hpp):
// refuses, in this order, parents not allowed by the policy, none supplied,
// a chain deeper than the limit, and a file already in the chain (same
// name, or same st_dev and st_ino). Takes `supplied.front()` (the caller
// opened it beneath the directories it trusts) and returns the context to
// open it with; the rest of `supplied` is for its own parent.
Result<OpenContext> open_supplied_parent(const OpenContext& ctx,
                                         std::vector<std::unique_ptr<io::File>>& supplied,
                                         const ParentRef& ref);

// Refuses the opened parent when its format identity (e.g. "unique_id U")
// is already in `parent_ctx.chain` (the child included).
Result<void> check_parent_identity(const OpenContext& parent_ctx, const ParentRef& ref,
                                   std::string_view identity);

} // namespace ovfkit::disk
