// The environment ISO, built with libisofs (Debian's libisofs-dev).
//
// libisofs keeps process-wide state (iso_init, its message queue) and
// produces the image on a thread of its own that we read from; one image
// is built at a time, under a mutex, and the library is initialised once
// and never finalised (iso_finish would pull it from under another user).
// Its messages are never printed: the library reports errors as values.
#include <cstdlib>
#include <cstring>
#include <mutex>

// libisofs declares struct burn_source only for programs without libburn.
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <fmt/format.h>
#include <libisofs/libisofs.h>

#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/io/atomic_output.hpp>

namespace ovfkit::deploy {

namespace {

// 2000-01-01 00:00:00 UTC: every timestamp of the image, so the same XML
// gives the same bytes.
constexpr time_t k_timestamp = 946684800;

constexpr size_t k_block = 2048;
// An environment is a few KiB; this bounds the image whatever the input.
constexpr size_t k_max_xml = size_t{16} << 20;

std::mutex g_iso_mutex;

Result<void> init_once() {
    static int status = [] {
        int rc = iso_init();
        if (rc >= 0) {
            char never[] = "NEVER";
            char empty[] = "";
            iso_set_msgs_severities(never, never, empty);
        }
        return rc;
    }();
    if (status < 0) {
        return fail(Errc::io, "libisofs could not be initialised ({})", iso_error_to_msg(status));
    }
    return {};
}

// Owners of libisofs objects.
struct ImageRef {
    IsoImage* p = nullptr;
    ~ImageRef() {
        if (p != nullptr) {
            iso_image_unref(p);
        }
    }
};
struct OptsRef {
    IsoWriteOpts* p = nullptr;
    ~OptsRef() {
        if (p != nullptr) {
            iso_write_opts_free(p);
        }
    }
};
struct StreamRef {
    IsoStream* p = nullptr;
    ~StreamRef() {
        if (p != nullptr) {
            iso_stream_unref(p);
        }
    }
};
struct SourceRef {
    burn_source* p = nullptr;
    ~SourceRef() {
        if (p != nullptr) {
            // Stops the writer thread if it still runs, then frees.
            if (p->version >= 1 && p->cancel != nullptr) {
                p->cancel(p);
            }
            p->free_data(p);
            std::free(p);
        }
    }
};

Error iso_failure(std::string_view what, int rc) {
    return Error{Errc::io, fmt::format("building the environment ISO: {} failed ({})", what,
                                       iso_error_to_msg(rc))};
}

Result<std::vector<std::byte>> build(std::string_view xml) {
    OVFKIT_TRY(init_once());
    ImageRef image;
    if (int rc = iso_image_new(k_environment_volume_id, &image.p); rc < 0) {
        return fail(iso_failure("iso_image_new", rc));
    }
    IsoDir* root = iso_image_get_root(image.p);

    // The stream takes ownership of a malloc'ed copy.
    auto* buf = static_cast<unsigned char*>(std::malloc(xml.empty() ? 1 : xml.size()));
    if (buf == nullptr) {
        return fail(Errc::io, "building the environment ISO: out of memory");
    }
    std::memcpy(buf, xml.data(), xml.size());
    StreamRef stream;
    if (int rc = iso_memory_stream_new(buf, xml.size(), &stream.p); rc < 0) {
        std::free(buf);
        return fail(iso_failure("iso_memory_stream_new", rc));
    }
    IsoFile* file = nullptr;
    if (int rc = iso_tree_add_new_file(root, k_environment_file, stream.p, &file); rc < 0) {
        return fail(iso_failure("iso_tree_add_new_file", rc));
    }
    stream.p = nullptr; // the file took our reference
    iso_node_set_permissions(reinterpret_cast<IsoNode*>(file), 0444);
    for (IsoNode* node : {reinterpret_cast<IsoNode*>(file), reinterpret_cast<IsoNode*>(root)}) {
        iso_node_set_mtime(node, k_timestamp);
        iso_node_set_atime(node, k_timestamp);
        iso_node_set_ctime(node, k_timestamp);
        iso_node_set_uid(node, 0);
        iso_node_set_gid(node, 0);
    }

    OptsRef opts;
    if (int rc = iso_write_opts_new(&opts.p, 0); rc < 0) {
        return fail(iso_failure("iso_write_opts_new", rc));
    }
    iso_write_opts_set_iso_level(opts.p, 1);
    iso_write_opts_set_rockridge(opts.p, 1);
    iso_write_opts_set_joliet(opts.p, 1);
    // "OVF-ENV.XML;1" rather than "OVF_ENV.XML;1" in the plain tree: the
    // name guests that read no Rock Ridge look for.
    iso_write_opts_set_allow_7bit_ascii(opts.p, 1);
    // Keeps the space of "OVF ENV" in the volume id (d-characters have none).
    iso_write_opts_set_relaxed_vol_atts(opts.p, 1);
    // Joliet names without ";1", as other tools write them.
    iso_write_opts_set_omit_version_numbers(opts.p, 2);
    iso_write_opts_set_always_gmt(opts.p, 1);
    iso_write_opts_set_replace_timestamps(opts.p, 2);
    iso_write_opts_set_default_timestamp(opts.p, k_timestamp);
    iso_write_opts_set_replace_mode(opts.p, 2, 2, 2, 2);
    iso_write_opts_set_default_dir_mode(opts.p, 0555);
    iso_write_opts_set_default_file_mode(opts.p, 0444);
    iso_write_opts_set_default_uid(opts.p, 0);
    iso_write_opts_set_default_gid(opts.p, 0);
    // The same instant as the volume descriptor records it (libisofs takes a
    // non-const pointer, hence the local copy).
    char volume_time[] = "2000010100000000";
    iso_write_opts_set_pvd_times(opts.p, k_timestamp, k_timestamp, 0, 0, volume_time);

    SourceRef source;
    if (int rc = iso_image_create_burn_source(image.p, opts.p, &source.p); rc < 0) {
        return fail(iso_failure("iso_image_create_burn_source", rc));
    }
    off_t size = source.p->get_size(source.p);
    if (size <= 0 || static_cast<uint64_t>(size) > k_max_xml + 4 * 1024 * 1024 ||
        static_cast<uint64_t>(size) % k_block != 0) {
        return fail(Errc::io, "building the environment ISO: libisofs announced {} bytes", size);
    }
    std::vector<std::byte> out(static_cast<size_t>(size));
    size_t done = 0;
    while (done < out.size()) {
        int n = source.p->read_xt(source.p, reinterpret_cast<unsigned char*>(out.data() + done),
                                  static_cast<int>(k_block));
        if (n < 0) {
            return fail(Errc::io, "building the environment ISO: libisofs failed at byte {}", done);
        }
        if (n == 0) {
            break;
        }
        done += static_cast<size_t>(n);
    }
    if (done != out.size()) {
        return fail(Errc::io,
                    "building the environment ISO: libisofs gave {} of the {} bytes it announced",
                    done, out.size());
    }
    return out;
}

} // namespace

Result<std::vector<std::byte>> environment_iso(std::string_view xml) {
    if (xml.size() > k_max_xml) {
        return fail(Errc::refused, "the OVF environment is {} bytes, more than the {} byte limit",
                    xml.size(), k_max_xml);
    }
    std::lock_guard lock(g_iso_mutex);
    return build(xml);
}

Result<void> write_environment_iso(std::string_view xml, io::OutputSet& outputs,
                                   const std::string& path) {
    OVFKIT_TRY_ASSIGN(auto bytes, environment_iso(xml));
    OVFKIT_TRY_ASSIGN(io::File * file, outputs.create(path));
    return file->pwrite(bytes, 0);
}

Result<void> write_environment_iso(std::string_view xml, const std::string& path, bool force) {
    io::OutputSet outputs(force);
    OVFKIT_TRY(write_environment_iso(xml, outputs, path));
    return outputs.commit();
}

} // namespace ovfkit::deploy
