import ArgumentParser
import TraceModel
import TraceReaders

/// `tracelab scap`: what a scap capture holds, block by block.
struct Scap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize scap captures (plain or gzip): version, machine, process and fd lists, users, interfaces, events by type code.",
        discussion: "Reads the block layer of Falco's and sysdig's capture format. Exit 1 when a capture cannot be read; the error gives the byte offset.")

    @Option(help: "Also list the first N events (offset, time, tid, cpu, direction, type, parameter sizes).")
    var events = 0

    @Argument(help: "Capture files.")
    var captures: [String]

    func run() throws {
        var failed = false
        for path in captures {
            do {
                let file = try ScapFile(path: path)
                let survey = try file.survey(listing: events)
                for event in survey.listed {
                    print("  @\(event.offset) ts \(event.timestamp) tid \(event.tid) cpu \(event.cpu) \(event.isEnter ? ">" : "<") \(ScapEventTable.name(event.type)) (\(event.type)) params \((0..<event.parameterCount).map { String(event.parameterSize($0)) }.joined(separator: ","))")
                }
                let fds = file.fdLists.reduce(0) { $0 + $1.fds.count }
                print("\(path): scap \(file.version.major).\(file.version.minor), host \(file.machine?.hostname ?? "-"), \(file.machine?.cpus ?? 0) CPUs")
                print("  \(file.processes.count) threads, \(fds) fds in \(file.fdLists.count) fd lists, \(file.users.count) users, \(file.groups.count) groups, \(file.interfaces.count) interfaces, \(file.skippedBlocks) unknown blocks skipped")
                print("  \(file.eventCount) events" + (survey.first.map { " from \($0) to \(survey.last) ns" } ?? "") + "; by type: "
                      + survey.byType.map { "\(ScapEventTable.name($0.type))\($0.type % 2 == 0 ? ">" : "<")(\($0.type)):\($0.count)" }.joined(separator: " "))
            } catch {
                printError("tracelab: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
