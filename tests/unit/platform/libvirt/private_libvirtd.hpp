// A libvirt daemon of the test's own: a session daemon (qemu:///session)
// started on demand under a private HOME, so no system daemon is needed and
// nothing outside the test's directory changes. Run as root, the daemon is
// started as `nobody` (root's session URI goes to the system socket) in the
// kvm group when /dev/kvm exists; the test connects to its socket directly
// (qemu:///session?socket=...). The destructor stops it.
#pragma once

#include <csignal>
#include <filesystem>
#include <string>

#include <sys/types.h>
#include <unistd.h>

#include <support/temp_dir.hpp>
#include <support/tools.hpp>

namespace ovfkit::test {

class PrivateLibvirtd {
public:
    // Starts the daemon with an active directory pool `pool` under `dir`
    // (made traversable for the daemon's user). Returns "" on success, else
    // why it cannot run here (the test skips with it).
    std::string start(const std::string& dir, const std::string& pool = "ovfkit-test") {
        namespace fs = std::filesystem;
        if (!have_tool("virsh")) {
            return "virsh is not installed (Debian: libvirt-clients)";
        }
        if (!fs::exists("/usr/sbin/libvirtd") && !fs::exists("/usr/sbin/virtqemud")) {
            return "no libvirt daemon is installed (Debian: libvirt-daemon, "
                   "libvirt-daemon-driver-qemu)";
        }
        m_home = dir + "/libvirt-home";
        pool_dir = m_home + "/pool";
        fs::create_directories(pool_dir);
        std::string prefix;
        if (geteuid() == 0) {
            if (!have_tool("runuser")) {
                return "running as root without runuser to start a session daemon";
            }
            std::string group =
                fs::exists("/dev/kvm") && run("getent group kvm >/dev/null") == 0 ? " -g kvm" : "";
            prefix = "runuser -u nobody" + group + " -- ";
            run("chmod 0755 '" + dir + "' && chown -R nobody '" + m_home + "'");
        }
        m_env = prefix + "env HOME='" + m_home + "' XDG_RUNTIME_DIR='" + m_home +
                "/run' XDG_CONFIG_HOME='" + m_home + "/config' XDG_CACHE_HOME='" + m_home +
                "/cache' XDG_DATA_HOME='" + m_home + "/data' ";
        std::string out;
        int rc = run(m_env + "timeout 60 virsh -c qemu:///session pool-create-as '" + pool +
                         "' dir --target '" + pool_dir + "' 2>&1",
                     &out);
        read_pid();
        if (rc != 0) {
            return "a private libvirt session daemon could not run here: " + out;
        }
        for (const char* sock : {"/run/libvirt/virtqemud-sock", "/run/libvirt/libvirt-sock"}) {
            if (fs::exists(m_home + sock)) {
                uri = "qemu:///session?socket=" + m_home + sock;
                break;
            }
        }
        if (uri.empty()) {
            return "the session daemon's socket was not found under " + m_home;
        }
        return {};
    }

    // `virsh -c URI ARGS` (as the test's user, through the socket).
    int virsh(const std::string& args, std::string* out = nullptr) const {
        return run("timeout 120 virsh -q -c '" + uri + "' " + args + " 2>&1", out);
    }

    ~PrivateLibvirtd() {
        read_pid();
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
        }
    }

    std::string uri;
    std::string pool_dir;

private:
    void read_pid() {
        for (const char* f : {"/run/libvirt/virtqemud.pid", "/run/libvirt/libvirtd.pid"}) {
            std::string path = m_home + f;
            if (std::filesystem::exists(path)) {
                m_pid = static_cast<pid_t>(std::stol("0" + read_text(path)));
                return;
            }
        }
    }

    std::string m_home;
    std::string m_env;
    pid_t m_pid = 0;
};

} // namespace ovfkit::test
