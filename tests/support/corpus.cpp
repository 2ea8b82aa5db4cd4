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
