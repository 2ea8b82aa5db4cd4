// The parent/backing chain policy (chain.hpp).
#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/chain.hpp>

namespace ovfkit::disk {

namespace {

// "<child>: <kind> '<parent>'[ (named at offset O)]", the start of every
// refusal.
std::string prefix(const ParentRef& ref) {
    std::string out = fmt::format("{}: {} '{}'", ref.child->name(), ref.kind, ref.name);
    if (ref.offset != 0) {
        out += fmt::format(" (named at offset {:#x})", ref.offset);
    }
    return out;
}

} // namespace

Result<OpenContext> open_parent(const OpenContext& ctx, const ParentRef& ref) {
    if (!ctx.policy.allow_parent) {
        return fail(
            Errc::refused,
            "{}: not opened: parent and backing chains are refused unless parents are allowed "
            "(--allow-parent)",
            prefix(ref));
    }
    if (ctx.directory == nullptr) {
        return fail(Errc::refused,
                    "{}: cannot be opened: the image may not refer to other files here",
                    prefix(ref));
    }
    if (auto ok = io::check_member_name(ref.name); !ok) {
        return fail(Errc::refused, "{}: not a plain file name beside the image: {}", prefix(ref),
                    ok.error().message);
    }
    if (ctx.depth + 1 > ctx.policy.max_chain_depth) {
        return fail(Errc::refused, "{}: would make the chain deeper than the limit of {}",
                    prefix(ref), ctx.policy.max_chain_depth);
    }
    ChainLink self{ref.child->name(), ref.child->identity(), ref.child_identity};
    std::vector<ChainLink> chain = ctx.chain;
    chain.push_back(std::move(self));
    for (const ChainLink& l : chain) {
        if (base_name(l.name) == ref.name) {
            return fail(Errc::refused, "{}: forms a loop: that name is already in the chain",
                        prefix(ref));
        }
    }
    if (!ctx.directory->exists(ref.name)) {
        return fail(Errc::refused, "{}: not found in the image's directory {}", prefix(ref),
                    ctx.directory->path());
    }
    auto file = ctx.directory->open_read(ref.name);
    if (!file) {
        return fail(file.error().code, "{}: {}", prefix(ref), file.error().message);
    }
    if (auto id = (*file)->identity()) {
        for (const ChainLink& l : chain) {
            if (l.file == id) {
                return fail(Errc::refused,
                            "{}: forms a loop: it is the file '{}' of the chain under another name",
                            prefix(ref), l.name);
            }
        }
    }
    return OpenContext{std::move(*file), ctx.directory, ctx.policy, ctx.depth + 1,
                       std::move(chain)};
}

Result<OpenContext> open_supplied_parent(const OpenContext& ctx,
                                         std::vector<std::unique_ptr<io::File>>& supplied,
                                         const ParentRef& ref) {
    if (!ctx.policy.allow_parent) {
        return fail(
            Errc::refused,
            "{}: not opened: parent and backing chains are refused unless parents are allowed "
            "(--allow-parent)",
            prefix(ref));
    }
    if (supplied.empty() || !supplied.front()) {
        return fail(Errc::refused, "{}: no parent image was supplied for it", prefix(ref));
    }
    if (ctx.depth + 1 > ctx.policy.max_chain_depth) {
        return fail(Errc::refused, "{}: would make the chain deeper than the limit of {}",
                    prefix(ref), ctx.policy.max_chain_depth);
    }
    std::unique_ptr<io::File> file = std::move(supplied.front());
    supplied.erase(supplied.begin());
    std::vector<ChainLink> chain = ctx.chain;
    chain.push_back({ref.child->name(), ref.child->identity(), ref.child_identity});
    auto id = file->identity();
    for (const ChainLink& l : chain) {
        if (l.name == file->name() || (id && l.file == id)) {
            return fail(Errc::refused, "{}: forms a loop: '{}' is the file '{}' of the chain",
                        prefix(ref), file->name(), l.name);
        }
    }
    return OpenContext{std::move(file), ctx.directory, ctx.policy, ctx.depth + 1, std::move(chain)};
}

Result<void> check_parent_identity(const OpenContext& parent_ctx, const ParentRef& ref,
                                   std::string_view identity) {
    if (identity.empty()) {
        return {};
    }
    for (const ChainLink& l : parent_ctx.chain) {
        if (l.identity == identity) {
            return fail(Errc::refused, "{}: forms a loop: {} is already in the chain ('{}')",
                        prefix(ref), identity, l.name);
        }
    }
    return {};
}

} // namespace ovfkit::disk
