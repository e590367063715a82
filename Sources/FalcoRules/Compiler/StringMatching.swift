#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fnmatch(3)` glob matching, as libsinsp uses for `glob`, `iglob` and `pmatch` components.
public enum Glob {
    /// True when `value` matches the shell pattern (`*` also matches `/`, as with flags 0).
    public static func matches(pattern: String, _ value: String, caseInsensitive: Bool = false) -> Bool {
        #if canImport(Glibc)
        let flags: Int32 = caseInsensitive ? 1 << 4 : 0  // FNM_CASEFOLD
        #else
        let flags: Int32 = caseInsensitive ? 0x10 : 0
        #endif
        return pattern.withCString { patternPointer in
            value.withCString { valuePointer in fnmatch(patternPointer, valuePointer, flags) == 0 }
        }
    }

    /// True when the text has glob metacharacters.
    public static func hasMeta(_ text: String) -> Bool {
        text.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }
}

/// Byte-level string predicates: Falco compares strings as bytes (strcmp, strstr, strcasestr).
enum Bytes {
    @inline(__always)
    static func withBytes<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = string
        return copy.withUTF8(body)
    }

    static func contains(_ haystack: String, _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        return withBytes(haystack) { hay in
            guard hay.count >= needle.count, let base = hay.baseAddress else { return false }
            return needle.withUnsafeBufferPointer { pattern in search(UnsafeBufferPointer(start: base, count: hay.count), pattern) }
        }
    }

    /// First-byte scan with `memchr`, then `memcmp` of the rest.
    static func search(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let hayBase = hay.baseAddress, let needleBase = needle.baseAddress else { return needle.isEmpty }
        guard hay.count >= needle.count else { return false }
        let first = Int32(needleBase[0])
        var offset = 0
        let last = hay.count - needle.count
        while offset <= last {
            guard let found = memchr(hayBase + offset, first, last - offset + 1) else { return false }
            let position = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - hayBase
            if memcmp(hayBase + position, needleBase, needle.count) == 0 { return true }
            offset = position + 1
        }
        return false
    }

    static func hasPrefix(_ string: String, _ prefix: [UInt8]) -> Bool {
        withBytes(string) { bytes in
            guard bytes.count >= prefix.count else { return false }
            for index in 0..<prefix.count where bytes[index] != prefix[index] { return false }
            return true
        }
    }

    static func hasSuffix(_ string: String, _ suffix: [UInt8]) -> Bool {
        withBytes(string) { bytes in
            guard bytes.count >= suffix.count else { return false }
            let offset = bytes.count - suffix.count
            for index in 0..<suffix.count where bytes[offset + index] != suffix[index] { return false }
            return true
        }
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// ASCII case-insensitive search (`strcasestr`); `needle` must already be lowercase.
    static func containsIgnoringCase(_ haystack: String, _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        return withBytes(haystack) { hay in
            guard hay.count >= needle.count else { return false }
            let first = needle[0]
            var start = 0
            while start <= hay.count - needle.count {
                if lower(hay[start]) == first {
                    var matched = true
                    for index in 1..<needle.count where lower(hay[start + index]) != needle[index] {
                        matched = false
                        break
                    }
                    if matched { return true }
                }
                start += 1
            }
            return false
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pattern in search(hay, pattern) }
        }
    }

    /// strcmp-style three-way comparison of UTF-8 bytes.
    static func compare(_ lhs: String, _ rhs: String) -> Int {
        withBytes(lhs) { left in
            withBytes(rhs) { right in
                let count = min(left.count, right.count)
                for index in 0..<count where left[index] != right[index] {
                    return left[index] < right[index] ? -1 : 1
                }
                return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
            }
        }
    }
}

/// libsinsp's `pmatch`: a path matches when one of the patterns is a prefix of it, component by
/// component; pattern components may hold fnmatch globs.
struct PathPrefixSet: Sendable {
    private let patterns: [[String]]
    private let exact: Set<String>

    init(_ paths: [String]) {
        var patterns: [[String]] = []
        var exact: Set<String> = []
        for path in paths {
            let components = PathPrefixSet.components(path)
            if components.contains(where: Glob.hasMeta) { patterns.append(components) } else { exact.insert(components.joined(separator: "/")) }
        }
        self.patterns = patterns
        self.exact = exact
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    func matches(_ path: String) -> Bool {
        let components = PathPrefixSet.components(path)
        if !exact.isEmpty {
            var prefix = ""
            if exact.contains(prefix) { return true }
            for component in components {
                prefix = prefix.isEmpty ? component : prefix + "/" + component
                if exact.contains(prefix) { return true }
            }
        }
        for pattern in patterns where pattern.count <= components.count {
            var matched = true
            for (index, part) in pattern.enumerated() where !Glob.matches(pattern: part, components[index]) {
                matched = false
                break
            }
            if matched { return true }
        }
        return false
    }
}

/// A set of strings compared as UTF-8 bytes with an FNV-1a hash: membership for `in` lists without
/// Unicode-aware hashing.
struct ByteStringSet: Sendable {
    private let slots: [Int32]
    private let entries: [[UInt8]]
    private let mask: Int

    init(_ strings: [String]) {
        let unique = Array(Set(strings.map { Array($0.utf8) }))
        var capacity = 8
        while capacity < unique.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        for (index, entry) in unique.enumerated() {
            var slot = entry.withUnsafeBufferPointer { ByteStringSet.hash($0) } & (capacity - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Int32(index)
        }
        self.slots = slots
        self.entries = unique
        self.mask = capacity - 1
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }

    func contains(_ string: String) -> Bool {
        Bytes.withBytes(string) { bytes in
            var slot = ByteStringSet.hash(bytes) & mask
            while true {
                let index = slots[slot]
                if index < 0 { return false }
                let entry = entries[Int(index)]
                if entry.count == bytes.count, entry.withUnsafeBufferPointer({ candidate in
                    candidate.count == 0 || memcmp(candidate.baseAddress!, bytes.baseAddress!, candidate.count) == 0
                }) { return true }
                slot = (slot + 1) & mask
            }
        }
    }
}
