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
