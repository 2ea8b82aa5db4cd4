#include <span>

#include <ovfkit/deploy/eula.hpp>
#include <ovfkit/io/sink.hpp>

namespace ovfkit::deploy {

namespace {

// The text of a License: inline, else its msgid looked up in the Strings of
// the envelope's language, else in the first Strings that has it.
std::string license_text(const ovf::Envelope& envelope, const ovf::Msg& license) {
    if (!license.text.empty() || !license.msgid || license.msgid->empty()) {
        return license.text;
    }
    const ovf::Message* found = nullptr;
    for (const auto& strings : envelope.strings) {
        for (const auto& m : strings.messages) {
            if (m.msgid != *license.msgid) {
                continue;
            }
            if (envelope.lang && strings.lang == *envelope.lang) {
                return m.text;
            }
            if (found == nullptr) {
                found = &m;
            }
        }
    }
    return found != nullptr ? found->text : license.text;
}

std::string sha256_hex(std::string_view text) {
    auto digest = io::hex_digest(std::as_bytes(std::span(text.data(), text.size())),
                                 io::DigestAlgorithm::sha256);
    return digest ? *digest : std::string();
}

void add(const ovf::Envelope& envelope, const std::vector<ovf::Section>& sections,
         const std::string& system_id, std::vector<Eula>& out) {
    for (const auto* section : ovf::find_all<ovf::EulaSection>(sections)) {
        Eula e;
        e.system_id = system_id;
        if (section->license) {
            e.text = license_text(envelope, *section->license);
        }
        e.sha256 = sha256_hex(e.text);
        out.push_back(std::move(e));
    }
}

void walk(const ovf::Envelope& envelope, const ovf::Content& content, std::vector<Eula>& out,
          uint32_t depth) {
    add(envelope, content.sections, content.id, out);
    if (content.kind == ovf::ContentKind::collection && depth < ovf::k_max_collection_depth) {
        for (const auto& child : content.children) {
            walk(envelope, child, out, depth + 1);
        }
    }
}

} // namespace

std::vector<Eula> eulas(const ovf::Envelope& envelope) {
    std::vector<Eula> out;
    add(envelope, envelope.sections, "", out);
    walk(envelope, envelope.content, out, 0);
    return out;
}

} // namespace ovfkit::deploy
