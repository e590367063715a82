#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <zlib.h>
#include "gzip_stream.h"

/* zlib's message for the last failed read on this thread. */
static __thread char last_error[128];

static void remember_error(gzFile gzip, int code) {
    const char *message = gzerror(gzip, &code);
    /* zlib prefixes the path ("file.gz: unexpected end of file"); the reader names the file itself. */
    const char *colon = message != NULL ? strrchr(message, ':') : NULL;
    if (colon != NULL && colon[1] == ' ') message = colon + 2;
    const char *kind = code == Z_BUF_ERROR ? "cut short" : code == Z_DATA_ERROR ? "corrupt" : "unreadable";
    snprintf(last_error, sizeof last_error, "%s: %s", kind, message != NULL ? message : "");
}

const char *tracelab_gzip_last_error(void) { return last_error; }

static ssize_t gzip_stream_read(void *cookie, char *buffer, size_t size) {
    unsigned int chunk = size > (size_t)INT_MAX ? (unsigned int)INT_MAX : (unsigned int)size;
    int read = gzread((gzFile)cookie, buffer, chunk);
    if (read < 0) {
        remember_error((gzFile)cookie, Z_OK);
        errno = EIO;
        return -1;
    }
    /* zlib returns the bytes before a cut-short stream and reports the cut on the next call; libpcap
       must see it as an error, not as a clean end of file. */
    if (read == 0) {
        int code = Z_OK;
        gzerror((gzFile)cookie, &code);
        if (code != Z_OK && code != Z_STREAM_END) {
            remember_error((gzFile)cookie, code);
            errno = EIO;
            return -1;
        }
    }
    return read;
}

static int gzip_stream_close(void *cookie) {
    return gzclose((gzFile)cookie) == Z_OK ? 0 : EOF;
}

FILE *tracelab_gzip_fopen(const char *path) {
    gzFile gzip = gzopen(path, "rb");
    if (gzip == NULL) return NULL;
    /* A file that is not gzip-compressed is read directly: zlib would copy it through its own buffer. */
    if (gzdirect(gzip)) {
        gzclose(gzip);
        return fopen(path, "rb");
    }
    cookie_io_functions_t functions = { gzip_stream_read, NULL, NULL, gzip_stream_close };
    FILE *stream = fopencookie(gzip, "r", functions);
    if (stream == NULL) gzclose(gzip);
    return stream;
}
