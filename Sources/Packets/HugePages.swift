import Glibc

/// Asks the kernel to back large tables with transparent huge pages (`madvise(MADV_HUGEPAGE)`; Debian's default THP
/// mode is `madvise`): a table that grows to hundreds of megabytes then takes one fault per 2 MiB instead of one per
/// 4 KiB. Only the 2 MiB-aligned interior of the region is advised; a kernel without THP ignores the request.
enum HugePages {
    static let size = 2 << 20

    static func advise(_ start: UnsafeRawPointer?, byteCount: Int) {
        guard let start, byteCount >= 2 * size else { return }
        let first = (UInt(bitPattern: start) + UInt(size - 1)) & ~UInt(size - 1)
        let end = (UInt(bitPattern: start) + UInt(byteCount)) & ~UInt(size - 1)
        guard end > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(aligned, Int(end - first), MADV_HUGEPAGE)
    }

    /// A copy of a full array with four times its capacity (4,096 elements at least), its new storage advised
    /// before the elements are copied in, so the copy faults huge pages. Growing by four, a table that reaches a
    /// million flows is copied five times instead of eight.
    static func grown<Element>(_ array: [Element]) -> [Element] {
        var grown: [Element] = []
        grown.reserveCapacity(max(4096, array.count * 4))
        grown.withUnsafeBufferPointer { advise($0.baseAddress, byteCount: grown.capacity * MemoryLayout<Element>.stride) }
        grown.append(contentsOf: array)
        return grown
    }
}
