#include <algorithm>
#include <cctype>
#include <filesystem>

#include <support/corpus.hpp>
#include <support/temp_dir.hpp>

namespace ovfkit::test {

bool have_corpus() {
    return std::filesystem::is_directory(corpus_path("ovf"));
}

std::vector<std::string> corpus_descriptors() {
    std::vector<std::string> out;
    std::filesystem::path root = corpus_path("ovf");
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".ovf") {
            out.push_back(entry.path().lexically_relative(root).generic_string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool have_xmllint() {
    static const bool have = run("command -v xmllint >/dev/null 2>&1") == 0;
    return have;
}

bool xmllint_schema_valid(const std::string& path, bool ovf2) {
    std::string schemas = corpus_path("schemas");
    std::string cmd = !ovf2
                          ? "xmllint --nonet --noout --schema '" + schemas +
                                "/ovf-envelope-1.xsd' '" + path + "' >/dev/null 2>&1"
                          : "XML_CATALOG_FILES='" + schemas +
                                "/ovf2/catalog.xml' xmllint --nonet --noout "
                                "--schema '" +
                                schemas + "/ovf2/dsp8023_2.0.1.xsd' '" + path + "' >/dev/null 2>&1";
    return run(cmd) == 0;
}

std::string corpus_param_name(const testing::TestParamInfo<std::string>& param) {
    std::string name = param.param;
    for (auto& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    return name;
}

} // namespace ovfkit::test
