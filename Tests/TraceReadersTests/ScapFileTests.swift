import Foundation
import TestSupport
import Testing
import TraceModel
@testable import TraceReaders

/// The scap block layer on the public captures of falcosecurity/falco (../shared/upstream/scap), with
/// sysdig 0.29.3 as the oracle where it is installed; and bad captures.
@Suite("scap files")
struct ScapFileTests {
    static let folder = Repository.sharedRoot.appendingPathComponent("upstream/scap").path

    static func read(_ path: String) throws -> (ScapFile, [ScapFile.RawEvent]) {
        let file = try ScapFile(path: path)
        var events: [ScapFile.RawEvent] = []
        while let event = try file.next() { events.append(event) }
        return (file, events)
    }

    static func lines(_ tool: String, _ arguments: [String]) throws -> [String] {
        try Subprocess.run(tool, arguments).output.split(separator: "\n").map(String.init)
    }

    @Test("every public capture reads to the end: versions 1.0 to 1.2, process lists V5 to V9, V1 and V2 event blocks, gzip",
          .enabled(if: Prerequisite.shared.runnable, Comment(rawValue: Prerequisite.shared.skipReason)))
    func publicCaptures() throws {
        _ = try Repository.shared("upstream/scap")
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter({ $0.hasSuffix(".scap") }).sorted()
        #expect(names.count == 11)
        for name in names {
            let (file, events) = try Self.read(Self.folder + "/" + name)
            #expect(!events.isEmpty && !file.processes.isEmpty && file.eventCount == events.count, "\(name)")
            #expect(events.allSatisfy { event in (0..<event.parameterCount).allSatisfy { event.parameter($0).count == event.parameterSize($0) } }, "\(name)")
        }
        let (cat, catEvents) = try Self.read(Self.folder + "/falco__cat_write.scap")
        #expect(cat.version.major == 1 && cat.version.minor == 0 && cat.machine?.hostname == "ubuntu" && cat.machine?.cpus == 2)
        #expect(catEvents.count == 345 && catEvents.filter { $0.type == 234 }.count == 260)
        #expect(cat.processes.count == 73 && cat.fdLists.count == 73 && cat.users.count == 32 && cat.interfaces.count == 5)
        #expect(cat.users.contains { $0.uid == 0 && $0.name == "root" && $0.home == "/root" })
        let (empty, emptyEvents) = try Self.read(Self.folder + "/falco__empty.scap")
        #expect(empty.version.minor == 2 && emptyEvents.count == 143 && emptyEvents.allSatisfy { $0.parameterCount == 2 })
    }

    @Test("bad captures: not scap, cut mid-block, a lying block length, a cut gzip stream — errors with byte offsets")
    func badCaptures() throws {
        let temporary = Scratch.directory.path + "/tracelab-scap-\(getpid())"
        var written: [String] = []
        defer { for path in written { try? FileManager.default.removeItem(atPath: path) } }
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = temporary + "-" + name
            written.append(path)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        #expect { _ = try ScapFile(path: try write(Array("not a capture at all".utf8), "text")) } throws: { "\($0)".contains("not a scap capture") }
        #expect { _ = try ScapFile(path: try write([], "empty")) } throws: { "\($0)".contains("empty file") }
        // A section header, then an event block cut short.
        func u32(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)] }
        let header = u32(0x0A0D_0D0A) + u32(28) + u32(0x1A2B_3C4D) + [1, 0, 2, 0] + [UInt8](repeating: 0xFF, count: 8) + u32(28)
        var event = [UInt8](repeating: 0, count: 2) + [UInt8](repeating: 0, count: 16) + u32(26) + [3, 0] + u32(0)
        let block = u32(0x216) + u32(UInt32(8 + event.count + 4)) + event + u32(UInt32(8 + event.count + 4))
        let good = try ScapFile(path: try write(header + block, "good"))
        #expect(try good.next()?.type == 3 && (try good.next()) == nil)
        do {
            let cut = try ScapFile(path: try write(header + Array(block.prefix(20)), "cut"))
            _ = try cut.next()
            Issue.record("a cut block was read")
        } catch {
            let text = "\(error)"
            #expect(text.contains("cut short") && text.contains("(at byte "), "\(text)")
        }
        var lying = block
        lying[4] = 0xF0
        #expect { let file = try ScapFile(path: try write(header + lying, "lying")); _ = try file.next() } throws: { "\($0)".contains("block") }
        // A gzip capture (one of the project's own) cut in half.
        let sample = try Data(contentsOf: URL(fileURLWithPath: Repository.file("traces/scap/q1-cat-shadow.scap.gz")))
        let cutGzip = try write(Array(sample.prefix(sample.count / 2)), "cut.scap")
        #expect { let file = try ScapFile(path: cutGzip); while try file.next() != nil {} } throws: { "\($0)".contains("cut") }
    }

    @Test("damaged numbers: a uid wider than 32 bits is cut to 32, as libsinsp reads it; a generic event's syscall id of 2^64-1 names no syscall")
    func damagedNumbers() throws {
        let path = Scratch.directory.path + "/tracelab-scap-uid-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: path) }
        func little(_ value: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
        // Section header; setuid's enter event with an 8-byte uid of all ones and its exit (res 0); a generic event with
        // syscall id 2^64-1. All on thread 7.
        let header = little(0x0A0D_0D0A, 4) + little(28, 4) + little(0x1A2B_3C4D, 4) + [1, 0, 2, 0] + [UInt8](repeating: 0xFF, count: 8) + little(28, 4)
        func block(type: UInt64, parameter: [UInt8]) -> [UInt8] {
            let event = little(0, 2) + little(1_000, 8) + little(7, 8) + little(UInt64(26 + 2 + parameter.count), 4) + little(type, 2) + little(1, 4)
                + little(UInt64(parameter.count), 2) + parameter
            let padded = event + [UInt8](repeating: 0, count: (4 - event.count % 4) % 4)
            return little(0x216, 4) + little(UInt64(8 + padded.count + 4), 4) + padded + little(UInt64(8 + padded.count + 4), 4)
        }
        let capture = header + block(type: 198, parameter: little(UInt64.max, 8)) + block(type: 199, parameter: little(0, 8))
            + block(type: 1, parameter: little(UInt64.max, 8))
        try Data(capture).write(to: URL(fileURLWithPath: path))
        let reader = try ScapReader(path: path)
        var events: [Event] = []
        while let event = try reader.next() { events.append(event) }
        #expect(events.map(\.type) == ["setuid", "setuid", "syscall"])
        #expect(events.first?.param("uid")?.text == "<NONE>" && events.first?.param("uid")?.raw == -1)
        #expect(events[1].thread?.uid == 0xFFFF_FFFF)
    }

    @Test("scap events as TraceLab events: the events sysdig prints; number, type, direction, process, thread and fd as sysdig shows them",
          .enabled(if: Prerequisite.runnable(.shared, .sysdig), Comment(rawValue: Prerequisite.skipReason(.shared, .sysdig))))
    func eventsAgainstSysdig() throws {
        _ = try Repository.shared("upstream/scap")
        let sysdig = try Prerequisite.sysdig.path()
        // sysdig names the same events. Generic events (codes 0 and 1) take their name from their syscall id
        // (mprotect, arch_prctl...), which the block layer does not resolve, so they are left out.
        let (_, catEvents) = try Self.read(Self.folder + "/falco__cat_write.scap")
        let named = try Self.lines(sysdig, ["-r", Self.folder + "/falco__cat_write.scap", "-p", "%evt.num %evt.type"])
        let ours = catEvents.enumerated().filter { $0.element.type > 1 && $0.element.type != 234 }.map { "\($0.offset + 1) \(ScapEventTable.name($0.element.type))" }
        #expect(Set(ours).isSubset(of: Set(named)) && ours.count == 72, "\(Set(ours).subtracting(named).sorted().prefix(5))")
        // sysdig prints every event but the internal procinfo (234) and container (272) ones.
        for name in ["falco__cat_write.scap", "falco__connect_localhost.scap", "falco__ping_sendto.scap", "falco__syscall.scap"] {
            let (_, events) = try Self.read(Self.folder + "/" + name)
            let printed = try Self.lines(sysdig, ["-r", Self.folder + "/" + name]).count
            #expect(events.filter { $0.type != 234 && $0.type != 272 }.count == printed, "\(name): sysdig printed \(printed)")
        }
        let format = "%evt.num %evt.type %evt.dir %proc.name %thread.tid %fd.num %fd.name"
        // Every fd event of these captures: process and fd lists, clone, execve, open, openat, pipe, close.
        for name in ["falco__cat_write.scap", "falco__open-multiple-files.scap", "falco__syscall.scap", "falco__psp_write_tmp_test.scap",
                     "falco__psp_run_as_user_0_container.scap"] {
            let path = Self.folder + "/" + name
            let theirs = try Self.lines(sysdig, ["-r", path, "-p", format, "evt.type in (open, close, read, write, fstat)"])
            let (stream, detected) = try TraceFiles.open(path)
            #expect(detected == .scap)
            var ours: [String] = []
            while let event = try stream.next() {
                guard ["open", "close", "read", "write", "fstat"].contains(event.type), let fd = event.fd else { continue }
                // sysdig prints fd names without control characters (a socket path of the fd list keeps its newline).
                ours.append("\(event.number) \(event.type) \(event.direction.rawValue) \(event.thread?.name ?? "<NA>") \(event.thread.map { String($0.tid) } ?? "<NA>") \(fd.number) \(fd.name.withoutControlCharacters)")
            }
            let mine = ours.map { $0.trimmingCharacters(in: .whitespaces) }, sysdigs = theirs.map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(mine == sysdigs, "\(name): \(Set(mine).symmetricDifference(sysdigs).sorted().prefix(3))")
        }
    }
}
