// A C interface to RE2 for Swift: compile, full match, full match with groups.
#include "re2_shim.h"

#include <re2/re2.h>

#include <cstring>
#include <string>
#include <vector>

struct tl_re2 {
    re2::RE2 regex;
    tl_re2(const re2::StringPiece &pattern, const re2::RE2::Options &options) : regex(pattern, options) {}
};

extern "C" tl_re2 *tl_re2_new(const char *pattern, size_t length, int dot_matches_newline, long long max_mem, char *error, size_t error_size) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(dot_matches_newline != 0);
    if (max_mem > 0) options.set_max_mem(max_mem);
    tl_re2 *compiled = new tl_re2(re2::StringPiece(pattern != nullptr ? pattern : "", length), options);
    if (!compiled->regex.ok()) {
        if (error != nullptr && error_size > 0) {
            const std::string &message = compiled->regex.error();
            size_t count = message.size() < error_size - 1 ? message.size() : error_size - 1;
            std::memcpy(error, message.data(), count);
            error[count] = '\0';
        }
        delete compiled;
        return nullptr;
    }
    return compiled;
}

extern "C" void tl_re2_delete(tl_re2 *regex) { delete regex; }

extern "C" int tl_re2_full_match(const tl_re2 *regex, const char *text, size_t length) {
    return re2::RE2::FullMatch(re2::StringPiece(text != nullptr ? text : "", length), regex->regex) ? 1 : 0;
}

extern "C" int tl_re2_groups(const tl_re2 *regex) { return regex->regex.NumberOfCapturingGroups(); }

extern "C" int tl_re2_full_match_groups(const tl_re2 *regex, const char *text, size_t length, long *starts, long *lengths, int count) {
    if (count <= 0) return 0;
    if (text == nullptr) text = "";
    int groups = regex->regex.NumberOfCapturingGroups() + 1;
    if (groups > count) groups = count;
    std::vector<re2::StringPiece> pieces(static_cast<size_t>(groups));
    re2::StringPiece input(text, length);
    if (!regex->regex.Match(input, 0, length, re2::RE2::ANCHOR_BOTH, pieces.data(), groups)) return 0;
    for (int index = 0; index < groups; index++) {
        if (pieces[index].data() == nullptr) {
            starts[index] = -1;
            lengths[index] = -1;
        } else {
            starts[index] = static_cast<long>(pieces[index].data() - text);
            lengths[index] = static_cast<long>(pieces[index].size());
        }
    }
    for (int index = groups; index < count; index++) { starts[index] = -1; lengths[index] = -1; }
    return 1;
}
