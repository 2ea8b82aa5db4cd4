// The EULA prompt of the command line (src/cli/eula_prompt.cpp), run in a
// child process on a pseudo-terminal: the pager shows each license with
// control characters escaped, "y"/"yes" accept, anything else refuses; not
// on a terminal it refuses without printing or reading.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cli/eula_prompt.hpp>

namespace ovfkit::cli {
namespace {

struct Run {
    int exit_code = -1; // 0 accepted, 1 refused
    std::string output; // what the terminal showed
};

std::vector<deploy::Eula> two_licenses() {
    return {{"", "First license\n\x1b[2Jclear attempt", "aa"}, {"vm", "Second license", "bb"}};
}

// Runs the prompt on a new pseudo-terminal with PAGER=`pager`, typing each
// of `answers` after a prompt appears.
Run on_terminal(const std::string& pager, const std::vector<std::string>& answers) {
    Run run;
    int master = -1;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (pid < 0) {
        ADD_FAILURE() << "forkpty: " << std::strerror(errno);
        return run;
    }
    if (pid == 0) {
        ::setenv("PAGER", pager.c_str(), 1);
        ::_exit(accept_eulas_interactively(two_licenses()) ? 0 : 1);
    }
    size_t answered = 0;
    size_t prompts_seen = 0;
    char buf[4096];
    for (;;) {
        pollfd p{master, POLLIN, 0};
        int ready = ::poll(&p, 1, 10000);
        if (ready <= 0) {
            ADD_FAILURE() << "the prompt stalled; output so far: " << run.output;
            ::kill(pid, SIGKILL);
            break;
        }
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) {
            break; // EIO: the child closed the terminal
        }
        run.output.append(buf, static_cast<size_t>(n));
        size_t prompts = 0;
        for (size_t at = run.output.find("Accept? [y/N]"); at != std::string::npos;
             at = run.output.find("Accept? [y/N]", at + 1)) {
            ++prompts;
        }
        while (prompts_seen < prompts) {
            ++prompts_seen;
            if (answered < answers.size()) {
                std::string line = answers[answered++] + "\n";
                EXPECT_EQ(::write(master, line.data(), line.size()),
                          static_cast<ssize_t>(line.size()));
            }
        }
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

TEST(CliEulaPrompt, AcceptsOnlyWhenEveryLicenseIsAccepted) {
    auto yes = on_terminal("cat", {"y", "yes"});
    EXPECT_EQ(yes.exit_code, 0) << yes.output;
    EXPECT_NE(yes.output.find("License 1 of 2 (SHA-256 aa)"), std::string::npos) << yes.output;
    EXPECT_NE(yes.output.find("License 2 of 2 for \"vm\" (SHA-256 bb)"), std::string::npos);
    EXPECT_NE(yes.output.find("First license"), std::string::npos);
    EXPECT_NE(yes.output.find("Second license"), std::string::npos);
    // The escape sequence in the license is shown, not obeyed.
    EXPECT_EQ(yes.output.find("\x1b[2J"), std::string::npos);
    EXPECT_NE(yes.output.find("\\x1b[2Jclear attempt"), std::string::npos) << yes.output;

    auto no = on_terminal("cat", {"y", "n"});
    EXPECT_EQ(no.exit_code, 1) << no.output;
    auto enter = on_terminal("cat", {""});
    EXPECT_EQ(enter.exit_code, 1) << "the default is no";
    auto first_no = on_terminal("cat", {"nope"});
    EXPECT_EQ(first_no.exit_code, 1);
    EXPECT_EQ(first_no.output.find("Second license"), std::string::npos)
        << "a refusal stops at the first license";
}

TEST(CliEulaPrompt, PrintsWhenThePagerCannotRun) {
    auto r = on_terminal("/nonexistent/pager", {"y", "y"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("First license"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Second license"), std::string::npos) << r.output;
}

TEST(CliEulaPrompt, NotATerminalRefusesSilently) {
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, STDIN_FILENO);
        ::dup2(out[1], STDOUT_FILENO);
        ::close(out[0]);
        ::_exit(accept_eulas_interactively(two_licenses()) ? 0 : 1);
    }
    ::close(out[1]);
    std::string printed;
    char buf[256];
    ssize_t n = 0;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) {
        printed.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
    EXPECT_EQ(printed, "");
}

} // namespace
} // namespace ovfkit::cli
