#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and content hashes, without Foundation.
public enum FileBytes {
    /// The bytes of a file, or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        let ok = forEachChunk(path) { bytes.append(contentsOf: $0) }
        return ok ? bytes : nil
    }

    /// The first `count` bytes of a file (fewer when it is shorter), or nil when it cannot be read.
    public static func prefix(_ path: String, _ count: Int) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: count)
        let read = fread(&buffer, 1, count, file)
        return Array(buffer.prefix(read))
    }

    /// A cheap fingerprint of a file: the SHA-256 of its size, its first MiB and its last MiB, read without the rest.
    /// Two files with different fingerprints differ; equal ones may still differ in the middle.
    public static func quickHash(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var status = stat()
        guard fstat(fileno(file), &status) == 0 else { return nil }
        let size = Int64(status.st_size), part = Int64(1 << 20)
        let hasher = SHA256()
        hasher.update(Array("\(size)\n".utf8))
        var buffer = [UInt8](repeating: 0, count: Int(part))
        let head = fread(&buffer, 1, Int(min(size, part)), file)
        hasher.update(Array(buffer.prefix(head)))
        if size > part {
            guard fseeko(file, off_t(max(part, size - part)), SEEK_SET) == 0 else { return nil }
            let tail = fread(&buffer, 1, Int(min(part, size - part)), file)
            hasher.update(Array(buffer.prefix(tail)))
        }
        return Hex.encode(hasher.finalize())
    }

    /// The SHA-256 of a file's content in hex, streamed; nil when it cannot be read.
    public static func sha256(_ path: String) -> String? {
        let hasher = SHA256()
        let ok = forEachChunk(path) { hasher.update($0) }
        return ok ? Hex.encode(hasher.finalize()) : nil
    }

    /// Calls `body` with successive chunks of the file; false when it cannot be opened or read.
    private static func forEachChunk(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count > 0 { buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<count])) } }
            if count < buffer.count { return ferror(file) == 0 }
        }
    }
}
