#ifndef TRACELAB_GZIP_STREAM_H
#define TRACELAB_GZIP_STREAM_H
#include <stdio.h>

/// Opens a gzip file as a read-only stdio stream that inflates as it is read (glibc's fopencookie over
/// zlib's gzread); fclose closes the gzip file. A stream cut short reads as an error. NULL on failure.
FILE *tracelab_gzip_fopen(const char *path);

#endif
