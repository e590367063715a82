import Foundation
import Grading
import TestSupport
import Testing
import TraceModel

/// Submissions as archives, built here byte by byte: read in memory, zip slip and links refused, bombs stopped.
@Suite("submission archives")
struct ArchiveTests {
    /// A ustar archive of regular files (type "0") and symbolic links (type "2").
    static func tar(_ entries: [(path: String, bytes: [UInt8], type: UInt8)]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) { for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte } }
            put(entry.path, at: 0)
            put("0000644", at: 100)
            put(String(repeating: "0", count: 11 - String(entry.bytes.count, radix: 8).count) + String(entry.bytes.count, radix: 8), at: 124)
            header[156] = entry.type
            if entry.type == UInt8(ascii: "2") { put("/etc/passwd", at: 157) }
            put("ustar", at: 257)
            for offset in 148..<156 { header[offset] = 0x20 }
            let sum = header.reduce(0) { $0 + Int($1) }
            put(String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8), at: 148)
            out += header + entry.bytes + [UInt8](repeating: 0, count: (512 - entry.bytes.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// A zip archive; each entry deflated (method 8) with its stated size, or stored.
    static func zip(_ entries: [(path: String, bytes: [UInt8], statedSize: Int?)]) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func u32(_ value: Int) -> [UInt8] { u16(value & 0xFFFF) + u16(value >> 16 & 0xFFFF) }
        var out: [UInt8] = [], central: [UInt8] = []
        for entry in entries {
            let data = SubmissionArchive.deflate(entry.bytes, windowBits: -15)
            let name = Array(entry.path.utf8)
            let size = entry.statedSize ?? entry.bytes.count
            let offset = out.count
            out += u32(0x0403_4B50) + u16(20) + u16(0) + u16(8) + u32(0) + u32(0) + u32(data.count) + u32(size) + u16(name.count) + u16(0) + name + data
            central += u32(0x0201_4B50) + u16(20) + u16(20) + u16(0) + u16(8) + u32(0) + u32(0) + u32(data.count) + u32(size)
                + u16(name.count) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0o100644 << 16) + u32(offset) + name
        }
        return out + central + u32(0x0605_4B50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(central.count) + u32(out.count) + u16(0)
    }

    static let values = Array("customRules:\n  r.yaml: |-\n    - macro: sensitive_files\n      condition: fd.name = /tmp/sensitive.txt\n".utf8)

    @Test("tar.gz: files read in memory; ../ paths, absolute paths and links refused")
    func tarGzip() throws {
        let archive = SubmissionArchive.deflate(Self.tar([("student/values.yaml", Self.values, UInt8(ascii: "0")),
                                             ("../../escape.yaml", Self.values, UInt8(ascii: "0")),
                                             ("/etc/cron.d/x", [0x41], UInt8(ascii: "0")),
                                             ("student/link.md", [], UInt8(ascii: "2"))]), windowBits: 31)
        let contents = try SubmissionArchive.read(archive, name: "s.tar.gz")
        #expect(contents.entries.map(\.path) == ["student/values.yaml"])
        #expect(contents.entries.first?.bytes == Self.values)
        #expect(contents.problems == ["../../escape.yaml: the path leaves the submission; not read",
                                      "/etc/cron.d/x: the path leaves the submission; not read",
                                      "student/link.md: a link or special file in the archive; not read"])
    }

    @Test("a plain .tar, as GNU tar writes it and in POSIX ustar, is read as its .tar.gz is")
    func plainTar() throws {
        let posix = Self.tar([("student/values.yaml", Self.values, UInt8(ascii: "0")), ("../escape.yaml", Self.values, UInt8(ascii: "0"))])
        let contents = try SubmissionArchive.read(posix, name: "s.tar")
        #expect(contents.entries.map(\.path) == ["student/values.yaml"] && contents.entries.first?.bytes == Self.values)
        #expect(contents.problems == ["../escape.yaml: the path leaves the submission; not read"])
        // GNU tar (Debian's /usr/bin/tar, present wherever the toolchain is) packing an example submission.
        let example = GradingTests.root + "/examples/submissions/typical-partial"
        let path = try GradingTests.scratch("plain-tar") + "/typical-partial.tar"
        let (status, _) = try Subprocess.run("/usr/bin/tar", ["-cf", path, "-C", example, "."])
        try #require(status == 0)
        let fromTar = try Submission.load(path: path), fromFolder = try Submission.load(directory: example)
        #expect(fromTar.name == "typical-partial" && fromTar.answers == fromFolder.answers && !fromTar.answers.isEmpty)
        #expect(fromTar.rulesFiles.map(\.bytes) == fromFolder.rulesFiles.map(\.bytes) && !fromTar.rulesFiles.isEmpty)
    }

    @Test("thousands of junk files do not hide values.yaml: past the file cap, files of the kinds the lab asks for are kept first")
    func junkDoesNotHideTheWork() throws {
        let junk = (0..<1_000).map { (path: String(format: "aaa/junk-%04d.bin", $0), bytes: [UInt8]([0x42]), statedSize: Int?.none) }
        let archive = Self.zip(junk + [("zzz/values.yaml", Self.values, nil)])
        let contents = try SubmissionArchive.read(archive, name: "junk.zip")
        #expect(contents.entries.count == 200 && contents.entries.contains { $0.path == "zzz/values.yaml" })
        #expect(contents.problems == ["more than 200 files; files of the kinds the lab asks for are kept first, the rest are not read"])

        let folder = Scratch.directory.appendingPathComponent("tracelab-junk-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/aaa", withIntermediateDirectories: true)
        for index in 0..<1_000 { FileManager.default.createFile(atPath: folder + String(format: "/aaa/junk-%04d.bin", index), contents: Data([0x42])) }
        FileManager.default.createFile(atPath: folder + "/values.yaml", contents: Data(Self.values))
        let submission = try Submission.load(directory: folder)
        #expect(submission.rulesFiles.count == 1, "\(submission.found.prefix(3)) \(submission.problems)")
        #expect(submission.problems.contains("more than 200 files; files of the kinds the lab asks for are kept first, the rest are not read"))
    }

    @Test("an archive that unpacks past the total budget is graded on the files that fit, with a problem saying so")
    func oversizeArchiveGradedOnWhatFits() throws {
        var limits = SubmissionArchive.Limits()
        limits.maximumTotalBytes = 8_192
        let big = [UInt8](repeating: 0x41, count: 20_000)
        let tar = SubmissionArchive.deflate(Self.tar([("s/values.yaml", Self.values, UInt8(ascii: "0")), ("s/notes.txt", big, UInt8(ascii: "0")),
                                                      ("s/late.md", [0x42], UInt8(ascii: "0"))]), windowBits: 31)
        let fromTar = try SubmissionArchive.read(tar, name: "s.tar.gz", limits: limits)
        #expect(fromTar.entries.map(\.path) == ["s/values.yaml"])
        #expect(fromTar.problems == ["the archive unpacks to more than 8192 bytes; only the files within the first 8192 are read"])
        let zip = Self.zip([("values.yaml", Self.values, nil), ("notes.txt", big, nil), ("answers.md", [0x42], nil)])
        let fromZip = try SubmissionArchive.read(zip, name: "s.zip", limits: limits)
        #expect(fromZip.entries.map(\.path) == ["values.yaml", "answers.md"])
        #expect(fromZip.problems == ["the archive unpacks to more than 8192 bytes; the files past that are not read"])
    }

    @Test("zip: deflated entries read; zip slip refused; a bomb that lies about its size is stopped")
    func zipArchive() throws {
        let archive = Self.zip([("values.yaml", Self.values, nil), ("../../../tmp/evil.yaml", Self.values, nil)])
        let contents = try SubmissionArchive.read(archive, name: "s.zip")
        #expect(contents.entries.map(\.path) == ["values.yaml"] && contents.entries.first?.bytes == Self.values)
        #expect(contents.problems == ["../../../tmp/evil.yaml: the path leaves the submission; not read"])
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.yaml"))

        let bomb = Self.zip([("bomb.yaml", [UInt8](repeating: 0x61, count: 8 << 20), 100)])
        #expect(bomb.count < 100_000)
        #expect(throws: TraceLabError.self) { try SubmissionArchive.read(bomb, name: "bomb.zip") }
        do { _ = try SubmissionArchive.read(bomb, name: "bomb.zip") } catch { #expect(error.message.contains("zip bomb")) }

        #expect(throws: TraceLabError.self) { try SubmissionArchive.read(Array(archive.prefix(40)), name: "cut.zip") }
        #expect(throws: TraceLabError.self) { try SubmissionArchive.read([0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02], name: "junk.tar.gz") }
    }
}
