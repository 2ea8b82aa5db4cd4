#include <algorithm>
#include <array>

#include <ovfkit/disk/image.hpp>

namespace ovfkit::disk {

namespace {

constexpr std::string_view k_name_hint = "name the format with -f (raw is never guessed)";

std::string known_names(DriverList drivers, bool (*want)(const FormatDriver&)) {
    std::string out;
    for (const FormatDriver* d : drivers) {
        if (want(*d)) {
            out += out.empty() ? "" : ", ";
            out += d->name;
        }
    }
    return out;
}

bool any_driver(const FormatDriver&) {
    return true;
}

} // namespace

Result<ProbeBuffers> read_probe_buffers(io::File& file) {
    ProbeBuffers b;
    OVFKIT_TRY_ASSIGN(b.file_size, file.size());
    b.head.resize(static_cast<size_t>(std::min<uint64_t>(b.file_size, k_probe_head)));
    OVFKIT_TRY_ASSIGN(size_t got, file.pread(b.head, 0));
    b.head.resize(got);
    uint64_t tail = std::min<uint64_t>(b.file_size, k_probe_tail);
    b.tail.resize(static_cast<size_t>(tail));
    OVFKIT_TRY_ASSIGN(got, file.pread(b.tail, b.file_size - tail));
    b.tail.resize(got);
    return b;
}

std::vector<const FormatDriver*> confident_matches(const ProbeInput& input, DriverList drivers) {
    std::vector<const FormatDriver*> out;
    for (const FormatDriver* d : drivers) {
        if (d->probe != nullptr && d->probe(input) >= k_confident_score) {
            out.push_back(d);
        }
    }
    return out;
}

Result<const FormatDriver*> detect_format(const ProbeInput& input, DriverList drivers,
                                          std::string_view name) {
    std::vector<std::pair<const FormatDriver*, int>> scored;
    const FormatDriver* weak = nullptr;
    int weak_score = 0;
    for (const FormatDriver* d : drivers) {
        if (d->probe == nullptr) {
            continue; // raw: never guessed
        }
        int s = std::clamp(d->probe(input), 0, 100);
        if (s >= k_confident_score) {
            scored.emplace_back(d, s);
        } else if (s > weak_score) {
            weak = d;
            weak_score = s;
        }
    }
    if (scored.empty()) {
        if (weak != nullptr) {
            return fail(Errc::invalid,
                        "{}: unknown disk format: no format recognises the content (closest: {}, "
                        "score {} of 100); {}",
                        name, weak->name, weak_score, k_name_hint);
        }
        return fail(Errc::invalid, "{}: unknown disk format: no format recognises the content; {}",
                    name, k_name_hint);
    }
    if (scored.size() > 1) {
        std::string list;
        for (const auto& [d, s] : scored) {
            list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", d->name, s);
        }
        return fail(Errc::refused,
                    "{}: ambiguous disk format: the content matches {} (a file that carries "
                    "several formats' headers is refused); {}",
                    name, list, k_name_hint);
    }
    return scored.front().first;
}

Result<const FormatDriver*> driver_by_name(std::string_view name, DriverList drivers) {
    for (const FormatDriver* d : drivers) {
        if (d->name == name) {
            return d;
        }
    }
    return fail(Errc::usage, "unknown disk format '{}' (known: {})", name,
                known_names(drivers, any_driver));
}

std::string_view file_extension(const FormatDriver& driver) {
    constexpr std::array<std::pair<std::string_view, std::string_view>, 5> k_extensions{{
        {"vmdk", ".vmdk"},
        {"qcow2", ".qcow2"},
        {"vpc", ".vhd"},
        {"vhdx", ".vhdx"},
        {"vdi", ".vdi"},
    }};
    for (const auto& [family, ext] : k_extensions) {
        if (driver.family == family) {
            return ext;
        }
    }
    return ".img";
}

namespace {

// Opens `file` (called `path` in messages) with the named or detected
// driver; `image.directory` is where it may find the files it names.
Result<Image> open_in(Image image, std::unique_ptr<io::File> file, const std::string& path,
                      const OpenImageOptions& options) {
    const FormatDriver* driver = nullptr;
    if (!options.format.empty()) {
        OVFKIT_TRY_ASSIGN(driver, driver_by_name(options.format, options.drivers));
        if (driver->open == nullptr) {
            return fail(Errc::usage, "disk format '{}' cannot be read (readable: {})", driver->name,
                        known_names(options.drivers,
                                    [](const FormatDriver& d) { return d.open != nullptr; }));
        }
    }
    OpenPolicy policy = options.policy;
    if (driver == nullptr) {
        OVFKIT_TRY_ASSIGN(ProbeBuffers probe, read_probe_buffers(*file));
        OVFKIT_TRY_ASSIGN(driver, detect_format(probe.input(), options.drivers, path));
        image.detected = true;
        policy.allow_parent = false;
    } else if (driver->probe == nullptr) {
        // Stated raw: read as raw, whatever the first bytes look like, but
        // say so when they look like something else.
        OVFKIT_TRY_ASSIGN(ProbeBuffers probe, read_probe_buffers(*file));
        for (const FormatDriver* d : confident_matches(probe.input(), options.drivers)) {
            image.findings.push_back(
                {Severity::warning, "DISK-RAW-LOOKS-LIKE",
                 fmt::format("{}: opened as {} as requested, but its content looks like {}; it is "
                             "not read as {}",
                             path, driver->name, d->name, d->name),
                 path, 0});
        }
    }

    OpenContext ctx{std::move(file), image.directory.get(), policy, 0};
    auto reader = driver->open(ctx);
    if (!reader) {
        Error e = std::move(reader).error();
        if (image.detected && e.code == Errc::refused) {
            e.message += fmt::format(" (the format {} was detected from the content, so files it "
                                     "names are not followed; name the format with -f)",
                                     driver->name);
        }
        return fail(std::move(e));
    }
    image.reader = std::move(*reader);
    image.driver = driver;
    const auto& found = image.reader->findings();
    image.findings.insert(image.findings.end(), found.begin(), found.end());
    return image;
}

} // namespace

Result<Image> open_image(const std::string& path, const OpenImageOptions& options) {
    if (!options.format.empty()) {
        OVFKIT_TRY(driver_by_name(options.format, options.drivers));
    }
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OVFKIT_TRY_ASSIGN(auto dir, io::Directory::of_file(path));
    Image image;
    image.directory = std::make_unique<io::Directory>(std::move(dir));
    return open_in(std::move(image), std::move(file), path, options);
}

Result<Image> open_image_at(io::Directory directory, std::string_view name,
                            const OpenImageOptions& options) {
    if (!options.format.empty()) {
        OVFKIT_TRY(driver_by_name(options.format, options.drivers));
    }
    OVFKIT_TRY_ASSIGN(auto file, directory.open_read(name));
    std::string path = directory.path() + "/" + std::string(name);
    Image image;
    image.directory = std::make_unique<io::Directory>(std::move(directory));
    return open_in(std::move(image), std::move(file), path, options);
}

Result<Image> open_image_file(std::unique_ptr<io::File> file, const OpenImageOptions& options) {
    std::string name = file->name();
    return open_in(Image{}, std::move(file), name, options);
}

Result<uint64_t> data_bytes(DiskReader& reader) {
    constexpr uint64_t k_window = uint64_t{64} << 20; // at most 128 Ki extents
    uint64_t total = 0;
    const uint64_t size = reader.virtual_size();
    for (uint64_t pos = 0; pos < size; pos += std::min(k_window, size - pos)) {
        OVFKIT_TRY_ASSIGN(auto map, reader.extents(pos, std::min(k_window, size - pos)));
        for (const Extent& e : map) {
            total += e.kind == ExtentKind::data ? e.length : 0;
        }
    }
    return total;
}

Result<void> check_create_options(const FormatDriver& driver, const CreateOptions& options,
                                  std::string_view path) {
    if (options.compress && !driver.supports_compression) {
        return fail(Errc::usage, "{}: {} images cannot be compressed", path, driver.name);
    }
    const ClusterSizes& c = driver.cluster_sizes;
    const uint64_t n = options.cluster_size;
    if (n == 0) {
        return {}; // the format's default
    }
    if (c.max == 0) {
        return fail(Errc::usage, "{}: {} images have no {} (got {})", path, driver.name, c.what, n);
    }
    if (c.min == c.max && n != c.min) {
        return fail(Errc::usage, "{}: {} {} {} is not supported: {} uses {} bytes", path,
                    driver.name, c.what, n, driver.name, c.min);
    }
    const bool shape_ok = !c.power_of_two || (n & (n - 1)) == 0;
    if (!shape_ok || n < c.min || n > c.max) {
        return fail(Errc::usage, "{}: {} {} {} is not {}between {} and {} bytes", path, driver.name,
                    c.what, n, c.power_of_two ? "a power of two " : "", c.min, c.max);
    }
    return {};
}

Result<std::unique_ptr<DiskWriter>> create_image(io::OutputSet& outputs, const std::string& path,
                                                 const FormatDriver& driver,
                                                 const CreateOptions& options) {
    if (driver.create == nullptr) {
        return fail(Errc::usage, "disk format '{}' cannot be written", driver.name);
    }
    OVFKIT_TRY(check_create_options(driver, options, path));
    OVFKIT_TRY_ASSIGN(io::File * file, outputs.create(path));
    CreateContext ctx{file, path, &outputs, options};
    return driver.create(ctx);
}

} // namespace ovfkit::disk
