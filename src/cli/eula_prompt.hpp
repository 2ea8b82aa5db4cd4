// Asking a person at a terminal to accept an appliance's licenses.
#pragma once

#include <vector>

#include <ovfkit/deploy/eula.hpp>

namespace ovfkit::cli {

// On a terminal (stdin and stdout are ttys): shows each license through
// $PAGER (default `less`; printed directly when the pager cannot run), then
// asks "Accept? [y/N]". True only when every license was accepted with "y"
// or "yes". Not a terminal: false, without reading or printing anything.
// License text is made terminal-safe line by line before it is shown.
bool accept_eulas_interactively(const std::vector<deploy::Eula>& eulas);

} // namespace ovfkit::cli
