import CPcap

/// An index from hashed keys to slots of the caller's storage: open addressing with linear probing, at most
/// half full. Each bucket holds the low 32 bits of the key's hash above `slot + 1` (0 is empty), so a probe
/// compares hashes before it asks the caller to compare keys, a deletion (backward shift, which keeps every
/// probe sequence unbroken) never reads the caller's storage, and growing rehashes from the buckets alone.
///
/// Hashes come from `SeededHash`, seeded per process, so a capture cannot be crafted to make keys collide.
struct OpenAddressIndex {
    private var buckets = [UInt64](repeating: 0, count: 1024)
    private(set) var count = 0

    /// The bucket part of a hash, which also gives its home bucket.
    @inline(__always) static func tag(_ hash: UInt64) -> UInt64 { hash & 0xFFFF_FFFF }

    /// The slot whose key has this hash and `matches`, or the empty bucket where it would go.
    @inline(__always) func find(hash: UInt64, matches: (Int) -> Bool) -> (slot: Int?, bucket: Int) {
        let mask = buckets.count - 1
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
        buckets.withUnsafeBufferPointer { tracelab_prefetch($0.baseAddress! + (Int(truncatingIfNeeded: Self.tag(hash)) & ($0.count - 1))) }
    }

    /// Puts a slot in the empty bucket `find` returned for its hash.
    mutating func insert(hash: UInt64, slot: Int, at bucket: Int) {
        buckets[bucket] = Self.tag(hash) << 32 | UInt64(slot + 1)
        count += 1
        if count * 2 > buckets.count { resize(to: buckets.count * 2) }
    }

    /// Deletes a slot put in with this hash.
    mutating func remove(hash: UInt64, slot: Int) {
        let mask = buckets.count - 1
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
    mutating func removeAll() {
        for bucket in buckets.indices { buckets[bucket] = 0 }
        count = 0
    }

    private mutating func resize(to size: Int) {
        let entries = buckets.filter { $0 != 0 }
        buckets = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        for entry in entries {
            var bucket = Int(truncatingIfNeeded: entry >> 32) & mask
            while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = entry
        }
    }
}

/// A 64-bit multiply-mix hash (MurmurHash3's finalizer) over words, started from a random seed drawn once per
/// process (as Swift's `Hasher` is): no output depends on it, only where keys land in an `OpenAddressIndex`.
enum SeededHash {
    static let seed = UInt64.random(in: .min ... .max)

    @inline(__always) static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    @inline(__always) static func hash(_ address: PacketAddress) -> UInt64 {
        mix(mix(seed ^ address.low) ^ address.high ^ (address.isV4 ? 0 : 1 << 63))
    }

    /// The hash of a flow's 5-tuple, the same for both directions.
    static func hash(_ key: FlowKey) -> UInt64 {
        var h = mix(seed ^ UInt64(key.ipProtocol) << 32 ^ UInt64(key.lowPort) << 16 ^ UInt64(key.highPort)
                    ^ (key.lowAddress.isV4 ? 1 << 40 : 0) ^ (key.highAddress.isV4 ? 1 << 41 : 0))
        h = mix(h ^ key.lowAddress.low)
        h = mix(h ^ key.lowAddress.high)
        h = mix(h ^ key.highAddress.low)
        return mix(h ^ key.highAddress.high)
    }
}
