#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <zlib.h>
#include "gzip_stream.h"

static ssize_t gzip_stream_read(void *cookie, char *buffer, size_t size) {
    unsigned int chunk = size > (size_t)INT_MAX ? (unsigned int)INT_MAX : (unsigned int)size;
    int read = gzread((gzFile)cookie, buffer, chunk);
    if (read < 0) {
        errno = EIO;
        return -1;
    }
    /* zlib returns the bytes before a cut-short stream and reports the cut on the next call; libpcap
       must see it as an error, not as a clean end of file. */
    if (read == 0) {
        int code = Z_OK;
        gzerror((gzFile)cookie, &code);
        if (code != Z_OK && code != Z_STREAM_END) {
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
