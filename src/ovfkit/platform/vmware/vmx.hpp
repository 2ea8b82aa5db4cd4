// The `vmware` target's .vmx writer (vmx_writer.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <ovfkit/base/error.hpp>
#include <ovfkit/platform/export_target.hpp>

namespace ovfkit::platform::vmware {

// One <name>.vmx per VM of a plan `map_vm` made (Flavor::vmx). Errc::invalid
// when the plan holds what a .vmx cannot name (a bus or model VMware lacks,
// a file name that is not a plain name in the directory, a malformed MAC).
Result<std::vector<OutputFile>> write_vmx_files(const ExportPlan& plan);

// A .vmx value's text: `"`, `|`, 0x7F and bytes below 0x20 as `|XX`.
std::string vmx_escape(std::string_view value);

// A file name stem from a VM name: [A-Za-z0-9._-], at most 64 bytes, no
// leading dot, not a Windows device name, "vm" when nothing is left.
std::string vmx_file_stem(std::string_view name);

} // namespace ovfkit::platform::vmware
