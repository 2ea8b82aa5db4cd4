// The licenses an appliance asks the deployer to accept (EulaSection).
#pragma once

#include <string>
#include <vector>

#include <ovfkit/ovf/envelope.hpp>

namespace ovfkit::deploy {

struct Eula {
    std::string system_id; // "" for an envelope-level EulaSection
    std::string text;      // the License text as written
    std::string sha256;    // lower-case hex SHA-256 of the UTF-8 text
};

// Every EulaSection: the envelope's first, then each virtual system's and
// collection's, depth first. The text is the License element's; when that is
// empty and the License has an ovf:msgid, the message of that id in the
// Strings of the envelope's xml:lang (else the first Strings that has it).
std::vector<Eula> eulas(const ovf::Envelope& envelope);

} // namespace ovfkit::deploy
