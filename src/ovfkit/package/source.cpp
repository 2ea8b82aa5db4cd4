// Opening what the user names as a package; see source.hpp.
//
// Detection is by content: a file whose first block carries the ustar magic
// is an OVA (gzip or xz magic is refused with a hint, since an OVA is an
// uncompressed tar); any other file is taken as a descriptor and the XML
// parser decides. A directory must hold exactly one *.ovf.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/package/source.hpp>

namespace ovfkit::package {

namespace {

// A read-only window [offset, offset + size) of an archive.
class MemberFile final : public io::File {
public:
    MemberFile(std::shared_ptr<io::File> archive, std::string name, uint64_t offset, uint64_t size)
        : m_archive(std::move(archive)), m_name(std::move(name)), m_offset(offset), m_size(size) {}

    const std::string& name() const override { return m_name; }
    Result<size_t> pread(std::span<std::byte> out, uint64_t offset) override {
        if (offset >= m_size) {
            return size_t{0};
        }
        uint64_t n = std::min<uint64_t>(out.size(), m_size - offset);
        return m_archive->pread(out.first(static_cast<size_t>(n)), m_offset + offset);
    }
    Result<void> pwrite(std::span<const std::byte>, uint64_t) override { return read_only(); }
    Result<uint64_t> size() override { return m_size; }
    Result<void> truncate(uint64_t) override { return read_only(); }
    Result<void> sync() override { return {}; }

private:
    Result<void> read_only() const {
        return fail(Errc::refused, "{}: an OVA member is read-only", m_name);
    }
    std::shared_ptr<io::File> m_archive;
    std::string m_name;
    uint64_t m_offset;
    uint64_t m_size;
};

bool ends_with_ovf(std::string_view name) {
    if (name.size() < 4) {
        return false;
    }
    std::string_view ext = name.substr(name.size() - 4);
    return iequals(ext, ".ovf");
}

Result<std::vector<std::byte>> read_bounded(io::File& file, uint64_t limit) {
    OVFKIT_TRY_ASSIGN(uint64_t size, file.size());
    if (size > limit) {
        return fail(Errc::refused, "{}: descriptor is {} bytes, more than the {} byte limit",
                    file.name(), size, limit);
    }
    std::vector<std::byte> data(static_cast<size_t>(size));
    OVFKIT_TRY(io::read_exact(file, data, 0));
    return data;
}

// The *.ovf names in a directory, sorted.
Result<std::vector<std::string>> list_descriptors(const io::Directory& dir) {
    OVFKIT_TRY_ASSIGN(std::vector<std::string> all, dir.names(io::k_max_directory_entries));
    std::vector<std::string> names;
    for (auto& name : all) {
        if (ends_with_ovf(name)) {
            names.push_back(std::move(name));
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool looks_like_tar(std::span<const std::byte> head) {
    if (head.size() < k_tar_block) {
        return false;
    }
    static constexpr std::array<char, 5> magic{'u', 's', 't', 'a', 'r'};
    for (size_t i = 0; i < magic.size(); ++i) {
        if (static_cast<char>(head[257 + i]) != magic[i]) {
            return false;
        }
    }
    // XML starts with '<', a BOM or white space; a tar header with a broken
    // checksum is still a tar header, and TarIndex says what is wrong.
    auto c = static_cast<unsigned char>(head[0]);
    return c != '<' && c != 0xef && c != ' ' && c != '\t' && c != '\r' && c != '\n';
}

} // namespace

Source::Source(Source&&) noexcept = default;
Source& Source::operator=(Source&&) noexcept = default;
Source::~Source() = default;

namespace {

// The last path segment of a URL, without query or fragment.
std::string url_file_name(std::string_view url) {
    std::string_view base = url.substr(0, url.find_first_of("?#"));
    auto slash = base.rfind('/');
    return std::string(slash == std::string_view::npos ? base : base.substr(slash + 1));
}

} // namespace

// Decides what the single file `file` is (OVA or descriptor) and fills the
// fields that follow from it; a descriptor's name and directory are the caller's.
Result<void> Source::read_single_file(std::shared_ptr<io::File> file, const SourceLimits& limits,
                                      Diagnostics* notes) {
    const std::string& path = m_path;
    OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
    std::array<std::byte, k_tar_block> head{};
    size_t head_size = static_cast<size_t>(std::min<uint64_t>(size, head.size()));
    OVFKIT_TRY(io::read_exact(*file, std::span(head).first(head_size), 0));
    auto h = std::span<const std::byte>(head).first(head_size);
    if (head_size >= 2 && h[0] == std::byte{0x1f} && h[1] == std::byte{0x8b}) {
        return fail(Errc::invalid,
                    "{}: gzip-compressed; an OVA is an uncompressed tar and a descriptor is XML "
                    "(decompress it first)",
                    path);
    }
    static constexpr std::array<uint8_t, 6> xz{0xfd, '7', 'z', 'X', 'Z', 0x00};
    if (head_size >= xz.size() &&
        std::equal(xz.begin(), xz.end(), h.begin(),
                   [](uint8_t a, std::byte b) { return a == static_cast<uint8_t>(b); })) {
        return fail(Errc::invalid,
                    "{}: xz-compressed; an OVA is an uncompressed tar and a descriptor is XML "
                    "(decompress it first)",
                    path);
    }

    if (!looks_like_tar(h)) {
        OVFKIT_TRY_ASSIGN(m_descriptor, read_bounded(*file, limits.max_descriptor));
        m_kind = SourceKind::descriptor;
        return {};
    }

    OVFKIT_TRY_ASSIGN(TarIndex index, TarIndex::build(*file, limits.tar, notes));
    std::vector<const TarMember*> descriptors;
    for (const auto& m : index.members()) {
        if (ends_with_ovf(m.name)) {
            descriptors.push_back(&m);
        }
    }
    if (descriptors.empty()) {
        return fail(Errc::invalid, "{}: the archive holds no .ovf descriptor", path);
    }
    if (descriptors.size() > 1) {
        return fail(Errc::refused,
                    "{}: the archive holds {} descriptors ('{}', '{}'); an OVA has exactly one",
                    path, descriptors.size(), descriptors[0]->name, descriptors[1]->name);
    }
    const TarMember& desc = *descriptors[0];
    if (notes != nullptr && &desc != &index.members().front()) {
        notes->warning("OVA-ORDER-001",
                       fmt::format("descriptor '{}' is not the first member of the archive "
                                   "(DSP0243 puts it first so readers can stream the package)",
                                   desc.name),
                       std::string(base_name(path)));
    }
    if (desc.size > limits.max_descriptor) {
        return fail(Errc::refused, "{}: descriptor '{}' is {} bytes, more than the {} byte limit",
                    path, desc.name, desc.size, limits.max_descriptor);
    }
    MemberFile member(file, desc.name, desc.data_offset, desc.size);
    OVFKIT_TRY_ASSIGN(m_descriptor, read_bounded(member, limits.max_descriptor));
    m_kind = SourceKind::ova;
    m_descriptor_name = desc.name;
    m_archive = std::move(file);
    m_tar = std::make_unique<TarIndex>(std::move(index));
    return {};
}

Result<Source> Source::open(const std::string& path, const SourceLimits& limits,
                            Diagnostics* notes) {
    Source src;
    src.m_path = path;
    src.m_remote = limits.remote;
    if (path == "-" || is_url(path)) {
        std::unique_ptr<io::File> file;
        if (path == "-") {
            OVFKIT_TRY_ASSIGN(file, spool_stream(STDIN_FILENO, "-", limits.remote, &src.m_spooled));
            src.m_origin = SourceOrigin::pipe;
        } else {
            OVFKIT_TRY_ASSIGN(file, open_url(path, limits.remote, &src.m_spooled));
            src.m_origin = SourceOrigin::url;
        }
        OVFKIT_TRY(src.read_single_file(std::move(file), limits, notes));
        if (src.m_kind == SourceKind::descriptor) {
            src.m_descriptor_name =
                src.m_origin == SourceOrigin::url ? url_file_name(path) : "stdin.ovf";
            if (src.m_descriptor_name.empty()) {
                src.m_descriptor_name = "descriptor.ovf";
            }
        }
        return src;
    }

    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int err = errno;
        return fail(Errc::io, "{}: cannot open: {}", path, std::strerror(err));
    }
    if (S_ISDIR(st.st_mode)) {
        OVFKIT_TRY_ASSIGN(auto dir, io::Directory::open(path));
        OVFKIT_TRY_ASSIGN(auto names, list_descriptors(dir));
        if (names.empty()) {
            return fail(Errc::invalid, "{}: no .ovf descriptor in this directory", path);
        }
        if (names.size() > 1) {
            return fail(Errc::usage,
                        "{}: {} descriptors in this directory ({}, {}{}); name the one to use",
                        path, names.size(), names[0], names[1], names.size() > 2 ? ", ..." : "");
        }
        OVFKIT_TRY_ASSIGN(auto file, dir.open_read(names[0]));
        OVFKIT_TRY_ASSIGN(src.m_descriptor, read_bounded(*file, limits.max_descriptor));
        src.m_kind = SourceKind::directory;
        src.m_descriptor_name = names[0];
        src.m_dir = std::make_unique<io::Directory>(std::move(dir));
        return src;
    }

    OVFKIT_TRY_ASSIGN(std::unique_ptr<io::File> file, io::open_read(path));
    OVFKIT_TRY(src.read_single_file(std::move(file), limits, notes));
    if (src.m_kind == SourceKind::descriptor) {
        OVFKIT_TRY_ASSIGN(auto dir, io::Directory::of_file(path));
        src.m_descriptor_name = std::string(base_name(path));
        src.m_dir = std::make_unique<io::Directory>(std::move(dir));
    }
    return src;
}

Source Source::assembled(std::string path, std::string descriptor_name,
                         std::vector<std::byte> descriptor,
                         std::shared_ptr<const AssembledFiles> files) {
    Source src;
    src.m_kind = SourceKind::assembled;
    src.m_path = std::move(path);
    src.m_descriptor_name = std::move(descriptor_name);
    src.m_descriptor = std::move(descriptor);
    src.m_files = std::move(files);
    return src;
}

std::optional<uint64_t> Source::link_count(std::string_view name) const {
    if (m_tar || !m_dir || !io::check_member_name(name)) {
        return std::nullopt;
    }
    struct stat st {};
    std::string n(name);
    if (::fstatat(m_dir->fd(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    return static_cast<uint64_t>(st.st_nlink);
}

Result<std::optional<uint64_t>> Source::file_size(std::string_view name) const {
    if (auto ok = io::check_member_name(name); !ok) {
        return fail(Errc::refused, "'{}': {}", name, ok.error().message);
    }
    if (m_files) {
        return m_files->file_size(name);
    }
    if (m_tar) {
        const TarMember* m = m_tar->find(name);
        if (m == nullptr) {
            return std::optional<uint64_t>{};
        }
        return std::optional<uint64_t>{m->size};
    }
    if (!m_dir) {
        if (m_origin != SourceOrigin::url) {
            return std::optional<uint64_t>{}; // a descriptor on a pipe has nothing beside it
        }
        OVFKIT_TRY_ASSIGN(std::string url, sibling_url(m_path, name));
        return url_size(url, m_remote);
    }
    if (!m_dir->exists(name)) {
        return std::optional<uint64_t>{};
    }
    OVFKIT_TRY_ASSIGN(auto file, m_dir->open_read(name));
    OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
    return std::optional<uint64_t>{size};
}

Result<std::unique_ptr<io::File>> Source::open_file(std::string_view name) const {
    if (auto ok = io::check_member_name(name); !ok) {
        return fail(Errc::refused, "'{}': {}", name, ok.error().message);
    }
    if (m_files) {
        return m_files->open_file(name);
    }
    if (m_tar) {
        const TarMember* m = m_tar->find(name);
        if (m == nullptr) {
            return fail(Errc::io, "{}: no member named '{}'", m_path, name);
        }
        return std::unique_ptr<io::File>(
            std::make_unique<MemberFile>(m_archive, m->name, m->data_offset, m->size));
    }
    if (!m_dir) {
        if (m_origin != SourceOrigin::url) {
            return fail(Errc::io, "{}: a descriptor read from a pipe has no file '{}' beside it",
                        m_path, name);
        }
        OVFKIT_TRY_ASSIGN(std::string url, sibling_url(m_path, name));
        return open_url(url, m_remote);
    }
    return m_dir->open_read(name);
}

} // namespace ovfkit::package
