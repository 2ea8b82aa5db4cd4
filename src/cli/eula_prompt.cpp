#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cli/eula_prompt.hpp>
#include <cli/output.hpp>

namespace ovfkit::cli {

namespace {

// The license as a terminal may show it: each line made safe, line breaks
// kept (terminal_safe alone would escape them).
std::string shown_text(std::string_view text) {
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == text.npos) {
            end = text.size();
        }
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        out += terminal_safe(line);
        out += '\n';
        start = end + 1;
    }
    return out;
}

// Pipes `text` into the pager; false when it could not be run.
bool page(const std::string& text) {
    const char* env = std::getenv("PAGER");
    std::string pager = env != nullptr && *env != '\0' ? env : "less";
    std::fflush(stdout);
    // A pager quit early closes the pipe: that must not kill us.
    auto previous = std::signal(SIGPIPE, SIG_IGN);
    FILE* pipe = ::popen(pager.c_str(), "w");
    bool ok = false;
    if (pipe != nullptr) {
        std::fwrite(text.data(), 1, text.size(), pipe);
        int status = ::pclose(pipe);
        // 127: the shell found no such program.
        ok = status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 127);
    }
    std::signal(SIGPIPE, previous);
    return ok;
}

bool ask() {
    fmt::print("Accept? [y/N] ");
    std::fflush(stdout);
    std::string answer;
    int c = 0;
    while ((c = std::fgetc(stdin)) != EOF && c != '\n') {
        if (answer.size() < 16) {
            answer += static_cast<char>(c);
        }
    }
    while (!answer.empty() && (answer.back() == ' ' || answer.back() == '\r')) {
        answer.pop_back();
    }
    return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes" || answer == "YES";
}

} // namespace

bool accept_eulas_interactively(const std::vector<deploy::Eula>& eulas) {
    if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1) {
        return false;
    }
    for (size_t i = 0; i < eulas.size(); ++i) {
        const auto& e = eulas[i];
        std::string header = fmt::format(
            "License {} of {}{} (SHA-256 {})\n\n", i + 1, eulas.size(),
            e.system_id.empty() ? std::string()
                                : fmt::format(" for \"{}\"", terminal_safe(e.system_id)),
            e.sha256);
        std::string text = header + shown_text(e.text);
        if (!page(text)) {
            fmt::print("{}", text);
        }
        if (!ask()) {
            return false;
        }
    }
    return true;
}

} // namespace ovfkit::cli
