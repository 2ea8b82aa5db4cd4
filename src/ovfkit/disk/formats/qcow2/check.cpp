// QCOW2 consistency check: rebuilds the reference count of every host cluster
// from the active metadata and compares it with the stored refcounts, like
// `qemu-img check` (block/qcow2-refcount.c) does for images without snapshots.
//
// References counted: the header cluster, the active L1 table, the refcount
// table, every refcount block, every L2 table, every normal or preallocated
// zero data cluster, and for each compressed descriptor every host cluster
// its sector range touches (several streams may share one host cluster).
// Findings: metadata or data clusters used twice (overlaps), references past
// end-of-file, malformed entries, refcount lower than the references
// (corruption), refcount higher (a leak: wasted space, data intact),
// L1 COPIED flags that disagree with a refcount of 1, COPIED set on compressed
// entries.
//
// Not covered: internal snapshots (their L1/L2 tables are not followed, so a
// snapshotted image is only checked for overlaps in the active state and the
// refcount comparison is skipped with a warning) and persistent bitmaps (same).
// Memory is 5 bytes per host cluster; files with more than 64 Mi clusters are
// not checked.
#include <algorithm>

#include <ovfkit/base/checked.hpp>
#include <ovfkit/disk/formats/qcow2/internal.hpp>

namespace ovfkit::disk::formats::qcow2 {

namespace {

constexpr uint64_t k_max_check_clusters = uint64_t{64} << 20;
constexpr size_t k_max_findings_per_code = 100;

enum Owner : uint8_t {
    none,
    header,
    l1_table,
    refcount_table,
    refcount_block,
    l2_table,
    data,
    compressed,
};

const char* owner_name(uint8_t o) {
    switch (o) {
    case header:
        return "the header";
    case l1_table:
        return "the L1 table";
    case refcount_table:
        return "the refcount table";
    case refcount_block:
        return "a refcount block";
    case l2_table:
        return "an L2 table";
    case data:
        return "a data cluster";
    case compressed:
        return "compressed data";
    default:
        return "nothing";
    }
}

} // namespace

struct Reader::CheckState {
    uint64_t nclusters = 0;
    std::vector<uint16_t> refs;
    std::vector<uint8_t> owner;
    std::vector<uint16_t> stored;
    bool refcounts_loaded = false;
    std::vector<size_t> counts;
    Diagnostics* diag = nullptr;
    std::string file;

    void report(Severity sev, const std::string& code, std::string message) {
        // Keep hostile images from producing millions of findings.
        size_t idx = code == "QCOW2-LEAK" ? 0 : code == "QCOW2-REFCOUNT" ? 1 : 2;
        if (counts.size() < 3) {
            counts.assign(3, 0);
        }
        if (++counts[idx] > k_max_findings_per_code) {
            return;
        }
        diag->add({sev, code, std::move(message), file, 0});
    }

    // Adds one reference of `kind` to the host cluster holding `host`.
    void add(uint64_t host, uint8_t kind, const std::string& where) {
        uint64_t c = host >> cluster_bits;
        if (c >= nclusters) {
            if (kind != compressed) {
                report(Severity::error, "QCOW2-BOUNDS",
                       fmt::format("{} at {:#x} lies beyond the end of the file", where, host));
            }
            return;
        }
        if (owner[c] != none && (owner[c] != compressed || kind != compressed)) {
            report(Severity::error, "QCOW2-OVERLAP",
                   fmt::format("host cluster {} at {:#x}: used by {} ({}) and already by {}", c,
                               c << cluster_bits, owner_name(kind), where, owner_name(owner[c])));
        }
        owner[c] = kind;
        if (refs[c] != UINT16_MAX) {
            ++refs[c];
        }
    }
    uint32_t cluster_bits = 0;
};

Result<void> Reader::check(Diagnostics& diag) {
    CheckState st;
    st.diag = &diag;
    st.file = m_file->name();
    st.cluster_bits = m_h.cluster_bits;
    st.nclusters = div_round_up(m_file_size, m_cluster_size);
    if (st.nclusters > k_max_check_clusters) {
        diag.warning("QCOW2-CHECK-SKIPPED",
                     fmt::format("refcounts not checked: {} host clusters exceed the limit of {}",
                                 st.nclusters, k_max_check_clusters),
                     st.file);
        return {};
    }
    st.refs.assign(static_cast<size_t>(st.nclusters), 0);
    st.owner.assign(static_cast<size_t>(st.nclusters), none);
    OVFKIT_TRY(check_references(st, diag));
    OVFKIT_TRY(check_refcounts(st, diag));
    if (m_parent) {
        OVFKIT_TRY(m_parent->check(diag));
    }
    return {};
}

Result<void> Reader::check_references(CheckState& st, Diagnostics& diag) {
    const uint64_t c = m_cluster_size;
    st.add(0, header, "header");
    for (uint64_t off = 0; off < uint64_t{m_h.l1_size} * 8; off += c) {
        st.add(m_h.l1_table_offset + off, l1_table, "L1 table");
    }
    for (uint64_t i = 0; i < m_h.refcount_table_clusters; ++i) {
        st.add(m_h.refcount_table_offset + i * c, refcount_table, "refcount table");
    }

    // Refcount blocks, and the stored refcounts they hold.
    const uint64_t rt_bytes = uint64_t{m_h.refcount_table_clusters} * c; // <= 8 MiB
    const uint64_t bits = uint64_t{1} << m_h.refcount_order;
    const uint64_t per_block = c * 8 / bits;
    std::vector<be64> rt(static_cast<size_t>(rt_bytes / 8));
    if (auto r = io::read_exact(*m_file, std::as_writable_bytes(std::span(rt)),
                                m_h.refcount_table_offset);
        !r) {
        st.report(Severity::error, "QCOW2-BOUNDS",
                  fmt::format("refcount table at {:#x} ({} bytes) lies outside the file",
                              m_h.refcount_table_offset, rt_bytes));
    } else {
        st.stored.assign(static_cast<size_t>(st.nclusters), 0);
        st.refcounts_loaded = true;
        std::vector<uint8_t> block(static_cast<size_t>(c));
        for (size_t i = 0; i < rt.size(); ++i) {
            uint64_t e = rt[i];
            uint64_t at = m_h.refcount_table_offset + i * 8;
            if (e == 0) {
                continue;
            }
            uint64_t off = e & k_reftable_offset_mask;
            if ((e & k_reftable_reserved_mask) != 0 || off % c != 0) {
                st.report(Severity::error, "QCOW2-ENTRY",
                          fmt::format("refcount table entry {} at offset {:#x}: {:#018x} has "
                                      "reserved bits set or is not cluster-aligned",
                                      i, at, e));
                continue;
            }
            st.add(off, refcount_block, fmt::format("refcount table entry {}", i));
            if (off >= m_file_size || c > m_file_size - off) {
                continue; // reported by add()
            }
            OVFKIT_TRY(io::read_exact(*m_file, std::as_writable_bytes(std::span(block)), off));
            uint64_t first = i * per_block;
            for (uint64_t j = 0; j < per_block && first + j < st.nclusters; ++j) {
                uint64_t v = 0;
                if (bits >= 8) {
                    uint64_t bytes = bits / 8;
                    for (uint64_t b = 0; b < bytes; ++b) {
                        v = (v << 8) | block[j * bytes + b];
                    }
                } else {
                    uint64_t bit = j * bits;
                    v = (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
                }
                st.stored[first + j] = static_cast<uint16_t>(std::min<uint64_t>(v, UINT16_MAX));
            }
        }
    }

    // The active L1 table and every L2 table it names.
    const uint64_t l1_bytes = uint64_t{m_h.l1_size} * 8; // <= 32 MiB
    std::vector<be64> l1(m_h.l1_size);
    if (l1_bytes > 0 &&
        !io::read_exact(*m_file, std::as_writable_bytes(std::span(l1)), m_h.l1_table_offset)) {
        st.report(Severity::error, "QCOW2-BOUNDS",
                  fmt::format("L1 table at {:#x} ({} entries) runs past the end of the file",
                              m_h.l1_table_offset, m_h.l1_size));
        l1.resize(m_l1.size());
        for (size_t i = 0; i < m_l1.size(); ++i) {
            l1[i] = m_l1[i];
        }
    }
    std::vector<be64> l2(static_cast<size_t>(m_l2_entries));
    for (size_t i = 0; i < l1.size(); ++i) {
        uint64_t e = l1[i];
        uint64_t off = e & k_l1_offset_mask;
        uint64_t at = m_h.l1_table_offset + i * 8;
        if ((e & k_l1_reserved_mask) != 0 || off % c != 0) {
            st.report(Severity::error, "QCOW2-ENTRY",
                      fmt::format("L1 entry {} at offset {:#x}: {:#018x} has reserved bits set or "
                                  "is not cluster-aligned",
                                  i, at, e));
            continue;
        }
        if (off == 0) {
            continue;
        }
        st.add(off, l2_table, fmt::format("L1 entry {}", i));
        if (off >= m_file_size || c > m_file_size - off) {
            continue;
        }
        OVFKIT_TRY(io::read_exact(*m_file, std::as_writable_bytes(std::span(l2)), off));
        for (size_t j = 0; j < l2.size(); ++j) {
            uint64_t le = l2[j];
            if (le == 0) {
                continue;
            }
            std::string where = fmt::format("L2 entry {} of L1 entry {}", j, i);
            auto m = decode_l2_entry(i, j, off, le);
            if (!m) {
                st.report(Severity::error, "QCOW2-ENTRY", m.error().message);
                continue;
            }
            if (m->kind == ClusterKind::compressed) {
                if (le & k_oflag_copied) {
                    st.report(Severity::error, "QCOW2-ENTRY",
                              fmt::format("{} at offset {:#x}: COPIED flag set on a compressed "
                                          "cluster",
                                          where, off + j * 8));
                }
                uint64_t start = m->host & ~uint64_t{511};
                uint64_t last = m->host + m->length - 1;
                for (uint64_t h = start >> m_h.cluster_bits; h <= last >> m_h.cluster_bits; ++h) {
                    st.add(h << m_h.cluster_bits, compressed, where);
                }
            } else if (m->host != 0) {
                st.add(m->host, data, where);
                uint64_t hc = m->host >> m_h.cluster_bits;
                if (st.refcounts_loaded && m_h.nb_snapshots == 0 && hc < st.nclusters &&
                    (st.stored[hc] == 1) != ((le & k_oflag_copied) != 0)) {
                    st.report(Severity::error, "QCOW2-COPIED",
                              fmt::format("{} at offset {:#x}: COPIED flag is {} but the data "
                                          "cluster's refcount is {}",
                                          where, off + j * 8,
                                          (le & k_oflag_copied) ? "set" : "clear", st.stored[hc]));
                }
            }
        }
    }

    // COPIED flags must say "refcount is exactly 1" (qemu check_oflag_copied).
    if (st.refcounts_loaded && m_h.nb_snapshots == 0) {
        for (size_t i = 0; i < l1.size(); ++i) {
            uint64_t e = l1[i];
            uint64_t off = e & k_l1_offset_mask;
            if (off == 0 || off % c != 0 || (off >> m_h.cluster_bits) >= st.nclusters) {
                continue;
            }
            bool one = st.stored[off >> m_h.cluster_bits] == 1;
            if (one != ((e & k_oflag_copied) != 0)) {
                st.report(Severity::error, "QCOW2-COPIED",
                          fmt::format("L1 entry {} at offset {:#x}: COPIED flag is {} but the L2 "
                                      "table's refcount is {}",
                                      i, m_h.l1_table_offset + i * 8,
                                      (e & k_oflag_copied) ? "set" : "clear",
                                      st.stored[off >> m_h.cluster_bits]));
            }
        }
    }
    (void)diag;
    return {};
}

Result<void> Reader::check_refcounts(CheckState& st, Diagnostics& diag) {
    if (m_h.nb_snapshots > 0) {
        diag.warning("QCOW2-SNAPSHOTS",
                     fmt::format("{} internal snapshots are ignored (only the active state is "
                                 "read); refcounts were not compared",
                                 m_h.nb_snapshots),
                     st.file);
        return {};
    }
    if (m_h.has_bitmaps_extension) {
        diag.warning("QCOW2-BITMAPS", "persistent bitmaps are ignored; refcounts were not compared",
                     st.file);
        return {};
    }
    if (!st.refcounts_loaded) {
        return {};
    }
    uint64_t leaks = 0;
    uint64_t errors = 0;
    for (uint64_t i = 0; i < st.nclusters; ++i) {
        uint64_t rc = st.stored[i];
        uint64_t ref = st.refs[i];
        if (rc > ref) {
            ++leaks;
            st.report(Severity::warning, "QCOW2-LEAK",
                      fmt::format("leaked cluster {} at {:#x}: refcount {}, references {}", i,
                                  i << m_h.cluster_bits, rc, ref));
        } else if (rc < ref) {
            ++errors;
            st.report(Severity::error, "QCOW2-REFCOUNT",
                      fmt::format("cluster {} at {:#x} (used by {}): refcount {} is lower than "
                                  "its {} references",
                                  i, i << m_h.cluster_bits, owner_name(st.owner[i]), rc, ref));
        }
    }
    if (leaks > k_max_findings_per_code || errors > k_max_findings_per_code) {
        diag.warning(
            "QCOW2-SUMMARY",
            fmt::format("{} leaked clusters and {} refcount errors in total", leaks, errors),
            st.file);
    }
    if (m_h.incompatible & k_incompat_dirty) {
        diag.warning("QCOW2-DIRTY",
                     "the dirty bit is set: refcounts may be stale (reading does not use them)",
                     st.file);
    }
    return {};
}

} // namespace ovfkit::disk::formats::qcow2
