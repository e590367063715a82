import CPcap

/// An index from hashed keys to slots of the caller's storage: open addressing with linear probing, at most
/// half full. Each bucket holds the low 32 bits of the key's hash above `slot + 1` (0 is empty), so a probe
/// compares hashes before it asks the caller to compare keys, a deletion (backward shift, which keeps every
/// probe sequence unbroken) never reads the caller's storage, and growing rehashes from the buckets alone.
///
/// Hashes come from `SeededHash`, seeded per process, so a capture cannot be crafted to make keys collide.
///
/// A class over memory it allocates itself: the owners' hot loops then reach the buckets with plain loads, with
/// no reference counting, uniqueness or bounds checks per access (every index is masked into range).
final class OpenAddressIndex {
    private var buckets: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private(set) var count = 0

    init() {
        mask = 1023
        buckets = .allocate(capacity: mask + 1)
        buckets.initialize(repeating: 0, count: mask + 1)
    }

    deinit { buckets.deallocate() }

    /// The bucket part of a hash, which also gives its home bucket.
    @inline(__always) static func tag(_ hash: UInt64) -> UInt64 { hash & 0xFFFF_FFFF }

    /// The slot whose key has this hash and `matches`, or the empty bucket where it would go.
    @inline(__always) func find(hash: UInt64, matches: (Int) -> Bool) -> (slot: Int?, bucket: Int) {
        let tag = Self.tag(hash)
        var bucket = Int(truncatingIfNeeded: tag) & mask
        while true {
            let entry = buckets[bucket]
            if entry == 0 { return (nil, bucket) }
            if entry >> 32 == tag {
                let slot = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if matches(slot) { return (slot, bucket) }
            }
            bucket = (bucket + 1) & mask
        }
    }

    /// Asks the processor to bring the home bucket of a hash into its cache ahead of a `find` or `remove`.
    @inline(__always) func prefetch(hash: UInt64) {
        tracelab_prefetch(buckets + (Int(truncatingIfNeeded: Self.tag(hash)) & mask))
    }

    /// Puts a slot in the empty bucket `find` returned for its hash.
    func insert(hash: UInt64, slot: Int, at bucket: Int) {
        precondition(bucket >= 0 && bucket <= mask && buckets[bucket] == 0, "insert at a bucket find did not give")
        buckets[bucket] = Self.tag(hash) << 32 | UInt64(slot + 1)
        count += 1
        if count * 2 > mask + 1 { resize(to: (mask + 1) * 2) }
    }

    /// Deletes a slot put in with this hash.
    func remove(hash: UInt64, slot: Int) {
        let entry = Self.tag(hash) << 32 | UInt64(slot + 1)
        var hole = Int(truncatingIfNeeded: Self.tag(hash)) & mask
        while buckets[hole] != entry { hole = (hole + 1) & mask }
        var next = (hole + 1) & mask
        while buckets[next] != 0 {
            let home = Int(truncatingIfNeeded: buckets[next] >> 32) & mask
            // The entry at `next` may move into the hole when its home is not in (hole, next] cyclically.
            let movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next)
            if movable {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole] = 0
        count -= 1
    }

    /// Empties the index, keeping its storage.
    func removeAll() {
        buckets.update(repeating: 0, count: mask + 1)
        count = 0
    }

    private func resize(to size: Int) {
        let old = buckets, oldSize = mask + 1
        buckets = .allocate(capacity: size)
        HugePages.advise(buckets, byteCount: size * MemoryLayout<UInt64>.stride)
        buckets.initialize(repeating: 0, count: size)
        mask = size - 1
        for position in 0..<oldSize where old[position] != 0 {
            var bucket = Int(truncatingIfNeeded: old[position] >> 32) & mask
            while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = old[position]
        }
        old.deallocate()
    }
}

/// A 64-bit multiply-mix hash (MurmurHash3's finalizer) over words, started from a random seed drawn once per
/// process (as Swift's `Hasher` is): no output depends on it, only where keys land in an `OpenAddressIndex`.
/// Hot loops keep a copy (`SeededHash.process`) in a stored property, so reading the seed is a plain load
/// rather than a lazily initialized global's check.
struct SeededHash: Sendable {
    static let process = SeededHash(seed: UInt64.random(in: .min ... .max))
    let seed: UInt64

    @inline(__always) static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    @inline(__always) func hash(_ address: PacketAddress) -> UInt64 {
        Self.mix(Self.mix(seed ^ address.low) ^ address.high ^ (address.isV4 ? 0 : 1 << 63))
    }

    /// The hash of a packet's 5-tuple, the same for both directions: each endpoint is mixed alone and the two
    /// are added (addition does not care which comes first), then mixed with the protocol.
    @inline(__always) func flowHash(_ packet: Packet) -> UInt64 {
        @inline(__always) func endpoint(_ address: PacketAddress, _ port: UInt16) -> UInt64 {
            Self.mix(Self.mix(seed ^ address.low ^ UInt64(port) << 48 ^ (address.isV4 ? 0 : 1 << 47)) ^ address.high)
        }
        return Self.mix(endpoint(packet.source, packet.sourcePort) &+ endpoint(packet.destination, packet.destinationPort) ^ UInt64(packet.ipProtocol))
    }
}
