import FalcoRules
import Foundation
import Testing
import TraceModel
import TraceReaders

/// Conditions over scap captures, ours against sysdig 0.29.3 (`sysdig -r FILE -p '%evt.num' 'COND'`): the
/// same events must be selected. Conditions are in scap-conditions.txt, one per line; docs/scap.md lists
/// what is left out and why.
@Suite("scap conditions against sysdig")
struct ScapConditionTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let folder = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/upstream/scap").path
    static let captures = ["falco__cat_write", "falco__open-multiple-files", "falco__syscall", "falco__psp_write_tmp_test", "falco__connect_localhost"]

    @Test("the same events are selected as sysdig selects them", arguments: captures)
    func sameEvents(capture: String) throws {
        guard let sysdig = ["/usr/bin/sysdig"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
              FileManager.default.fileExists(atPath: Self.folder) else {
            print("note: sysdig or ../shared/upstream/scap is absent; conditions are not compared with sysdig here (CI installs sysdig)")
            return
        }
        let conditions = try String(contentsOfFile: Self.here.appendingPathComponent("scap-conditions.txt").path, encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        let path = Self.folder + "/" + capture + ".scap"
        var events: [Event] = []
        let (stream, _) = try TraceFiles.open(path)
        while let event = try stream.next() { events.append(event) }
        var agreed = 0
        for condition in conditions {
            var compiler = ConditionCompiler()
            let predicate = try compiler.compile(try ConditionParser.parse(condition))
            let ours = events.filter { predicate($0) }.map(\.number)
            let theirs = try Subprocess.run(sysdig, ["-r", path, "-p", "%evt.num", condition]).output.split(separator: "\n").compactMap { UInt64($0) }
            #expect(ours == theirs, "\(capture): \(condition): ours \(ours.count) events, sysdig \(theirs.count)")
            if ours == theirs { agreed += 1 }
        }
        print("\(capture): \(agreed)/\(conditions.count) conditions select the same events as sysdig")
    }
}
