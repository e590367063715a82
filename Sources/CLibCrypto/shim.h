// OpenSSL's message digests (Debian: libssl-dev), used for content hashes of traces.
#include <openssl/evp.h>
