// What the libvirt API users of this folder (connect.cpp: --define;
// live_source.cpp: import from a running libvirtd) share: owning handles
// and a quiet connection.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <ovfkit/base/error.hpp>

namespace ovfkit::platform::libvirt {

struct ConnectCloser {
    void operator()(virConnectPtr c) const { virConnectClose(c); }
};
struct PoolFree {
    void operator()(virStoragePoolPtr p) const { virStoragePoolFree(p); }
};
struct VolFree {
    void operator()(virStorageVolPtr v) const { virStorageVolFree(v); }
};
struct DomainFree {
    void operator()(virDomainPtr d) const { virDomainFree(d); }
};
struct StreamFree {
    void operator()(virStreamPtr s) const { virStreamFree(s); }
};
struct CFree {
    void operator()(char* p) const { std::free(p); } // NOLINT: libvirt allocates with malloc
};
using Connection = std::unique_ptr<virConnect, ConnectCloser>;
using Pool = std::unique_ptr<virStoragePool, PoolFree>;
using Volume = std::unique_ptr<virStorageVol, VolFree>;
using Domain = std::unique_ptr<virDomain, DomainFree>;
using Stream = std::unique_ptr<virStream, StreamFree>;
using CString = std::unique_ptr<char, CFree>;

// The message of libvirt's last error on this thread.
inline std::string last_error() {
    const char* m = virGetLastErrorMessage();
    return m != nullptr ? std::string(m) : std::string("unknown libvirt error");
}

// A connection to `uri` whose errors are only read back (last_error):
// libvirt prints every error to stderr unless a handler is set, and the
// library never prints. Errc::io when libvirt cannot start or connect.
inline Result<Connection> open_connection(const std::string& uri) {
    static constexpr virErrorFunc quiet = [](void*, virErrorPtr) {};
    if (virInitialize() < 0) {
        return fail(Errc::io, "libvirt: cannot initialise the library");
    }
    virSetErrorFunc(nullptr, quiet);
    Connection conn(virConnectOpen(uri.c_str()));
    if (!conn) {
        return fail(Errc::io, "libvirt: cannot connect to '{}': {}", uri, last_error());
    }
    virConnSetErrorFunc(conn.get(), nullptr, quiet);
    return conn;
}

} // namespace ovfkit::platform::libvirt
