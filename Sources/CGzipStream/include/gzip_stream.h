#ifndef TRACELAB_GZIP_STREAM_H
#define TRACELAB_GZIP_STREAM_H
#include <stdio.h>

/// Opens a gzip file as a read-only stdio stream that inflates as it is read (glibc's fopencookie over
/// zlib's gzread); fclose closes the gzip file. A stream cut short reads as an error. NULL on failure.
FILE *tracelab_gzip_fopen(const char *path);

/// Why the last read of a gzip stream failed on this thread: "cut short: unexpected end of file" (the stream
/// ends early) or "corrupt: incorrect data check" (a CRC error) and the like, as zlib says it.
const char *tracelab_gzip_last_error(void);

#endif
