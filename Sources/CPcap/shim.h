#include <pcap/pcap.h>
static inline void tracelab_prefetch(const void *address) { __builtin_prefetch(address); }
