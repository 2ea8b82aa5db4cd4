// VDI differencing images (type 4) read on top of parents the caller
// supplies. Such an image names its parent only by UUID (uuidLinkage = the
// parent's uuidCreate); VirtualBox finds the file through its media
// registry, so the disk engine alone cannot, and refuses a lone one. A
// caller that knows the chain (the .vbox importer) opens the parents' files
// beneath the directories it trusts and passes them here, the immediate
// parent first: each is checked through chain.hpp (open_supplied_parent:
// parents allowed, depth, no file twice) and by UUID (the child's parent
// UUID is the parent's image UUID; no UUID twice in the chain). Details and
// refusals: docs/disk.md, "VDI differencing images".
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <ovfkit/disk/image.hpp>

namespace ovfkit::disk::formats::vdi {

// Opens the VDI `name` beneath `directory` on `parents` with `policy`
// (allow_parent must be set). A normal or fixed image given parents is
// refused: the caller's chain and the images disagree.
Result<Image> open_on_parents(io::Directory directory, std::string_view name,
                              std::vector<std::unique_ptr<io::File>> parents,
                              const OpenPolicy& policy);

// The same on an opened file (tests, fuzzing): ctx.directory may be null.
Result<std::unique_ptr<DiskReader>> open_on_parents(OpenContext& ctx,
                                                    std::vector<std::unique_ptr<io::File>> parents);

} // namespace ovfkit::disk::formats::vdi
