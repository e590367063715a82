import CZlib
import TraceModel

/// Reads the files of a `.zip` or `.tar.gz` submission into memory, never onto disk, so an entry named
/// `../../x` or `/etc/x` (zip slip) cannot write anywhere: such entries, links and special files are
/// reported and skipped. Sizes are bounded before and during decompression (zip bombs).
public enum SubmissionArchive {
    /// One regular file of an archive, by its path inside the archive.
    public struct Entry: Sendable {
        public var path: String
        public var bytes: [UInt8]
    }

    /// Files and the problems met reading them.
    public struct Contents: Sendable {
        public var entries: [Entry] = []
        public var problems: [String] = []
    }

    /// Limits on an archive: the total size of what it unpacks to, and the number of entries read.
    public struct Limits: Sendable {
        public var maximumTotalBytes = 64 << 20
        public var maximumEntryBytes = 1 << 20
        /// A .docx or .odt of written answers carries its screenshots: it may be this large.
        public var maximumDocumentBytes = 32 << 20
        public var maximumEntries = 200
        public init() {}

        /// The size an entry of this name may have.
        func maximumBytes(of path: String) -> Int {
            DocumentText.kind(ofName: path) == nil ? maximumEntryBytes : max(maximumEntryBytes, maximumDocumentBytes)
        }
    }

    /// True when the bytes start like a zip or gzip file.
    public static func kind(_ bytes: [UInt8]) -> String? {
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03 || bytes[2] == 0x05 { return "zip" }
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B { return "tar.gz" }
        // POSIX and GNU tar: "ustar" at offset 257 of the first header.
        if bytes.count >= 512, bytes[257..<262].elementsEqual("ustar".utf8) { return "tar" }
        return nil
    }

    public static func read(_ bytes: [UInt8], name: String, limits: Limits = Limits()) throws(TraceLabError) -> Contents {
        switch kind(bytes) {
        case "zip": return try readZip(bytes, name: name, limits: limits)
        case "tar.gz":
            // Past the total budget the tar is read as far as it was unpacked: the files that fit are graded.
            var truncated = false
            let tar = try inflate(bytes, windowBits: 15 + 16, limit: limits.maximumTotalBytes, name: name, truncating: &truncated)
            var contents = try readTar(tar, name: name, limits: limits, truncated: truncated)
            if truncated {
                contents.problems.append("the archive unpacks to more than \(limits.maximumTotalBytes) bytes; only the files within the first \(limits.maximumTotalBytes) are read")
            }
            return contents
        case "tar": return try readTar(bytes, name: name, limits: limits)
        default: throw TraceLabError("not a zip, tar or gzip file", at: SourceLocation(file: name, line: 0, column: 0, offset: 0))
        }
    }

    /// A path inside the submission, or nil when it would leave it (absolute, `..`, empty).
    static func safePath(_ raw: String) -> String? {
        let parts = raw.replacingOccurrences(of: "\\", with: "/").split(separator: "/").filter { $0 != "." }
        guard !raw.hasPrefix("/"), !parts.isEmpty, !parts.contains("..") else { return nil }
        return parts.joined(separator: "/")
    }

    /// Decompresses zlib, gzip (`windowBits` 31) or raw deflate (`windowBits` -15) data, refusing output past `limit`.
    static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int, name: String) throws(TraceLabError) -> [UInt8] {
        var truncated = false
        let output = try inflate(input, windowBits: windowBits, limit: limit, name: name, truncating: &truncated, refuse: true)
        return output
    }

    /// Decompresses up to `limit` bytes; past it, either refuses (`refuse`) or stops there and sets `truncated`.
    static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int, name: String, truncating truncated: inout Bool,
                        refuse: Bool = false) throws(TraceLabError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TraceLabError("cannot start decompression", at: SourceLocation(file: name, line: 0, column: 0, offset: 0))
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var input = input
        var status: Int32 = Z_OK
        var cut = false
        let failure: TraceLabError? = input.withUnsafeMutableBufferPointer { source -> TraceLabError? in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit {
                    if !refuse {
                        output += chunk[0..<(limit - output.count)]
                        cut = true
                        return nil
                    }
                    return TraceLabError("unpacks to more than \(limit) bytes (a zip bomb?); not read", at: SourceLocation(file: name, line: 0, column: 0, offset: Int(stream.total_in)))
                }
                output += chunk[0..<produced]
                if status != Z_OK && status != Z_STREAM_END {
                    return TraceLabError("corrupt compressed data (zlib status \(status))", at: SourceLocation(file: name, line: 0, column: 0, offset: Int(stream.total_in)))
                }
                if status == Z_OK && produced == 0 && stream.avail_in == 0 {
                    return TraceLabError("compressed data ends early", at: SourceLocation(file: name, line: 0, column: 0, offset: Int(stream.total_in)))
                }
            } while status != Z_STREAM_END
            return nil
        }
        if let failure { throw failure }
        truncated = cut
        return output
    }

    /// Compresses with zlib's deflate: `windowBits` 31 gives gzip, -15 raw deflate (zip's method 8).
    public static func deflate(_ input: [UInt8], windowBits: Int32) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var input = input
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                _ = CZlib.deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    /// CRC-32 as zip records it.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    /// Reads a tar's regular files. A `truncated` tar (unpacked only as far as the budget) ends at its last whole entry.
    private static func readTar(_ tar: [UInt8], name: String, limits: Limits, truncated: Bool = false) throws(TraceLabError) -> Contents {
        var contents = Contents()
        var offset = 0
        var longName: String?
        func field(_ start: Int, _ length: Int) -> String {
            let slice = tar[(offset + start)..<(offset + start + length)]
            return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
        }
        while offset + 512 <= tar.count {
            if tar[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) { break }
            let sizeText = field(124, 12).trimmingCharacters(in: " ")
            guard let size = Int(sizeText.isEmpty ? "0" : sizeText, radix: 8), size >= 0 else {
                throw TraceLabError("corrupt tar header (size '\(sizeText)')", at: SourceLocation(file: name, line: 0, column: 0, offset: offset))
            }
            let type = tar[offset + 156]
            let prefix = field(345, 155)
            var path = longName ?? (prefix.isEmpty ? field(0, 100) : prefix + "/" + field(0, 100))
            longName = nil
            let dataStart = offset + 512
            guard dataStart + size <= tar.count else {
                if truncated { break }
                throw TraceLabError("tar entry \(path) is cut short", at: SourceLocation(file: name, line: 0, column: 0, offset: offset))
            }
            let data = Array(tar[dataStart..<(dataStart + size)])
            offset = dataStart + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "L"):
                longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                continue
            case UInt8(ascii: "x"):
                // A pax header: its path= record names the next entry.
                for record in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                    if let range = record.range(of: " path=") { longName = String(record[range.upperBound...]) }
                }
                continue
            case UInt8(ascii: "g"), UInt8(ascii: "5"):
                continue
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                break
            default:
                contents.problems.append("\(path): a link or special file in the archive; not read")
                continue
            }
            guard let safe = safePath(path) else {
                contents.problems.append("\(path): the path leaves the submission; not read")
                continue
            }
            path = safe
            if !add(&contents, path: path, bytes: data, limits: limits) { break }
        }
        return contents
    }

    /// Adds an entry within the limits. Past `maximumEntries`, a file of a kind the lab asks for (YAML, Markdown,
    /// text, JSON) takes the place of one that is not, so thousands of junk files cannot hide values.yaml; other
    /// files are left out. Returns true: every entry is looked at (the archive's total size bounds the work).
    private static func add(_ contents: inout Contents, path: String, bytes: [UInt8], limits: Limits) -> Bool {
        if contents.entries.count >= limits.maximumEntries {
            let message = "more than \(limits.maximumEntries) files; files of the kinds the lab asks for are kept first, the rest are not read"
            if !contents.problems.contains(message) { contents.problems.append(message) }
            guard Submission.isLabFile(path), bytes.count <= limits.maximumBytes(of: path),
                  let evicted = contents.entries.lastIndex(where: { !Submission.isLabFile($0.path) }) else { return true }
            contents.entries.remove(at: evicted)
            contents.entries.append(Entry(path: path, bytes: bytes))
            return true
        }
        if bytes.count > limits.maximumBytes(of: path) {
            contents.problems.append("\(path): \(bytes.count) bytes, over the \(limits.maximumBytes(of: path))-byte limit; not read")
            return true
        }
        contents.entries.append(Entry(path: path, bytes: bytes))
        return true
    }

    private static func readZip(_ zip: [UInt8], name: String, limits: Limits) throws(TraceLabError) -> Contents {
        func fail(_ message: String, _ offset: Int) -> TraceLabError { TraceLabError(message, at: SourceLocation(file: name, line: 0, column: 0, offset: offset)) }
        func u16(_ at: Int) -> Int { at + 2 <= zip.count ? Int(zip[at]) | Int(zip[at + 1]) << 8 : -1 }
        func u32(_ at: Int) -> Int { at + 4 <= zip.count ? u16(at) | u16(at + 2) << 16 : -1 }
        // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
        var end = zip.count - 22
        let lowest = max(0, zip.count - 22 - 65_535)
        while end >= lowest, u32(end) != 0x0605_4B50 { end -= 1 }
        guard end >= lowest else { throw fail("no zip central directory (not a zip file, or cut short)", zip.count) }
        let count = u16(end + 10)
        var cursor = u32(end + 16)
        guard cursor >= 0, cursor <= zip.count, count != 0xFFFF, cursor != 0xFFFF_FFFF else { throw fail("zip64 archives are not supported", end) }
        var contents = Contents()
        var total = 0
        for _ in 0..<count {
            guard u32(cursor) == 0x0201_4B50 else { throw fail("corrupt zip central directory", cursor) }
            let flags = u16(cursor + 8), method = u16(cursor + 10)
            let compressed = u32(cursor + 20), size = u32(cursor + 24)
            let nameLength = u16(cursor + 28), extraLength = u16(cursor + 30), commentLength = u16(cursor + 32)
            let mode = u32(cursor + 38) >> 16
            let local = u32(cursor + 42)
            guard cursor + 46 + nameLength <= zip.count else { throw fail("corrupt zip central directory", cursor) }
            let path = String(decoding: zip[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self)
            cursor += 46 + nameLength + extraLength + commentLength
            if path.hasSuffix("/") { continue }
            if mode & 0o170000 == 0o120000 {
                contents.problems.append("\(path): a symbolic link in the archive; not followed")
                continue
            }
            guard let safe = safePath(path) else {
                contents.problems.append("\(path): the path leaves the submission; not read")
                continue
            }
            if flags & 1 != 0 {
                contents.problems.append("\(safe): encrypted; not read")
                continue
            }
            if size > limits.maximumBytes(of: safe) {
                contents.problems.append("\(safe): \(size) bytes, over the \(limits.maximumBytes(of: safe))-byte limit; not read")
                continue
            }
            // Past the total budget the remaining entries are left out and the ones read are graded.
            guard total + size <= limits.maximumTotalBytes else {
                let message = "the archive unpacks to more than \(limits.maximumTotalBytes) bytes; the files past that are not read"
                if !contents.problems.contains(message) { contents.problems.append(message) }
                continue
            }
            total += size
            guard local >= 0, u32(local) == 0x0403_4B50 else { throw fail("corrupt zip entry \(safe)", max(0, local)) }
            let dataStart = local + 30 + u16(local + 26) + u16(local + 28)
            guard compressed >= 0, dataStart + compressed <= zip.count else { throw fail("zip entry \(safe) is cut short", local) }
            let data = Array(zip[dataStart..<(dataStart + compressed)])
            let bytes: [UInt8]
            switch method {
            case 0: bytes = data
            case 8: bytes = try inflate(data, windowBits: -15, limit: limits.maximumBytes(of: safe), name: "\(name):\(safe)")
            default:
                contents.problems.append("\(safe): compression method \(method) is not supported; not read")
                continue
            }
            if bytes.count != size { contents.problems.append("\(safe): unpacks to \(bytes.count) bytes, the archive says \(size)") }
            if !add(&contents, path: safe, bytes: bytes, limits: limits) { break }
        }
        return contents
    }
}
