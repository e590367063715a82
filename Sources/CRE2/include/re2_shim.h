#ifndef TRACELAB_RE2_SHIM_H
#define TRACELAB_RE2_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled RE2 regular expression (Debian's libre2): linear-time matching, as Falco (libsinsp) and Prometheus
/// (Go's RE2-syntax regexp) match.
typedef struct tl_re2 tl_re2;

/// Text and pattern pointers may be NULL when their length is 0. Compiles `pattern` (`length` bytes, UTF-8). `dot_matches_newline` is Prometheus 3's `(?s:...)`; Falco leaves it
/// off. On failure returns NULL and writes RE2's message to `error` (NUL-terminated, at most `error_size` bytes).
/// `max_mem` bounds the compiled program (RE2's default is 8 MiB).
tl_re2 *tl_re2_new(const char *pattern, size_t length, int dot_matches_newline, long long max_mem, char *error, size_t error_size);

void tl_re2_delete(tl_re2 *regex);

/// Whether the whole text matches (RE2::FullMatch).
int tl_re2_full_match(const tl_re2 *regex, const char *text, size_t length);

/// The number of capturing groups.
int tl_re2_groups(const tl_re2 *regex);

/// A whole-text match with its groups: `starts[i]` and `lengths[i]` for group i (0 the whole text), -1 for a group
/// that did not take part; `count` entries at most. Returns 1 on a match.
int tl_re2_full_match_groups(const tl_re2 *regex, const char *text, size_t length, long *starts, long *lengths, int count);

#ifdef __cplusplus
}
#endif

#endif
