#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TraceModel

/// Imports `strace -f -ttt -yy -s 4096 -v` recordings: rebuilds the thread table (clone, fork, vfork,
/// execve, exit; fd inheritance, cwd, uids) and the fd table (open*, socket, connect, accept, dup*,
/// fcntl, pipe, close), and maps each completed call to a Falco exit event with Falco's parameter
/// names. Unfinished/resumed pairs become one event at the return time; signals and exits become
/// `signaldeliver` and `procexit`; syscalls Falco does not know keep their own name. Lines that are not
/// strace output are skipped with a line-numbered warning.
public final class StraceReader: @unchecked Sendable {
    public let path: String
    public let sidecar: StraceSidecar
    /// Problems that did not stop the import, each with its line.
    public private(set) var warnings: [TraceLabError] = []
    private let file: UnsafeMutablePointer<FILE>
    @exclusivity(unchecked) private var line = 0
    @exclusivity(unchecked) private var finished = false
    @exclusivity(unchecked) private var number: UInt64 = 0
    @exclusivity(unchecked) private var processes: [Int64: ProcessState] = [:]
    @exclusivity(unchecked) private var pending: [Int64: (name: String, arguments: String, line: Int)] = [:]
    @exclusivity(unchecked) private var queued: [Event] = []
    @exclusivity(unchecked) private var matchedPids: Set<Int64> = []
    /// Bytes of the log read so far.
    @exclusivity(unchecked) public private(set) var bytesRead: UInt64 = 0

    /// Reads an strace log; `missingSidecar` names the sidecar looked for and not found, which is said once as a
    /// warning (the log then has no container, pod, user or host context).
    public init(path: String, sidecar: StraceSidecar, missingSidecar: String? = nil) throws(TraceLabError) {
        guard let file = fopen(path, "rb") else {
            throw TraceLabError("cannot open strace log: \(String(cString: strerror(errno)))", at: SourceLocation(file: path, line: 0, column: 0))
        }
        self.path = path
        self.file = file
        self.sidecar = sidecar
        standardStreams = StraceReader.scanStandardStreams(path)
        if let missingSidecar {
            warnings.append(TraceLabError("no sidecar \(missingSidecar): the log's processes have no container, pod, user names or hostname (container.*, k8s.* are empty)",
                                          at: SourceLocation(file: path, line: 0, column: 0)))
        }
    }

    /// What each pid's standard streams (fds 0, 1, 2) are, from the first decoration the log shows for
    /// them. strace only names a descriptor when a call uses it, but a process's terminal must be known
    /// when it starts (`proc.tty` of its execve), so the log is scanned once ahead.
    private let standardStreams: [Int64: [Int64: String]]

    private static func scanStandardStreams(_ path: String) -> [Int64: [Int64: String]] {
        guard let file = fopen(path, "rb") else { return [:] }
        defer { fclose(file) }
        var result: [Int64: [Int64: String]] = [:]
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while case let length = getline(&buffer, &capacity, file), length >= 0, let buffer {
            let bytes = UnsafeRawBufferPointer(start: buffer, count: length).bindMemory(to: UInt8.self)
            // The first argument of a call: "(0<", "(1<" or "(2<".
            guard let open = bytes.firstIndex(of: UInt8(ascii: "(")), open + 2 < bytes.count,
                  (0x30...0x32).contains(bytes[open + 1]), bytes[open + 2] == UInt8(ascii: "<") else { continue }
            // The pid that starts the line (0 when none does); digits past Int64 are no pid, as the line parser finds.
            var pid: Int64 = 0
            let digits = bytes.prefix(while: { $0 >= 0x30 && $0 <= 0x39 })
            if !digits.isEmpty {
                guard let value = Int64(String(decoding: digits, as: UTF8.self)) else { continue }
                pid = value
            }
            let fd = Int64(bytes[open + 1] - 0x30)
            guard result[pid]?[fd] == nil else { continue }
            let text = String(decoding: bytes, as: UTF8.self)[...]
            let angle = text.utf8.index(text.startIndex, offsetBy: open + 2)
            if let close = StraceSyntax.matchingAngle(text, from: angle) {
                result[pid, default: [:]][fd] = String(text[text.utf8.index(after: angle)..<close])
            }
        }
        return result
    }

    /// Gives a new process the standard streams the log shows for it, where it has none yet.
    private func learnStandardStreams(_ process: ProcessState) {
        for (fd, decoration) in standardStreams[process.tid] ?? [:] where process.fds.entry(fd) == nil {
            _ = process.fds.resolve(fd, decoration: decoration)
        }
    }

    deinit {
        if let channel {
            channel.cancel()
            channel.waitUntilFinished()
        }
        fclose(file)
    }

    /// The header this recording stands for.
    public var header: TraceHeader {
        TraceHeader(hostname: sidecar.hostname, description: sidecar.description, source: "strace -f -ttt -yy -s 4096 -v")
    }

    /// Reads a whole recording.
    public static func readAll(path: String, sidecar: StraceSidecar) throws(TraceLabError) -> [Event] {
        let reader = try StraceReader(path: path, sidecar: sidecar)
        var events: [Event] = []
        while let event = try reader.next() { events.append(event) }
        return events
    }

    /// The log's FILE, handed to the reading thread (only that thread reads it).
    private struct OpenFile: @unchecked Sendable { let pointer: UnsafeMutablePointer<FILE> }

    /// A line read and split by the reading thread.
    private struct ParsedLine: @unchecked Sendable {
        var number: Int
        var length: Int
        var parsed: StraceLine?
        var preview: String
    }

    /// Lines parsed ahead by a second thread; the state machine runs on the caller's thread.
    @exclusivity(unchecked) private var channel: BatchChannel<ParsedLine>?
    @exclusivity(unchecked) private var batch: [ParsedLine] = []
    @exclusivity(unchecked) private var batchIndex = 0

    private func startReading() -> BatchChannel<ParsedLine> {
        let handle = OpenFile(pointer: self.file)
        return BatchChannel<ParsedLine>.startProducer(batchSize: 1024) { emit in
            let file = handle.pointer
            var buffer: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(buffer) }
            var number = 0
            while case let length = getline(&buffer, &capacity, file), length >= 0, let buffer {
                number += 1
                var count = length
                let base = UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self)
                while count > 0, base[count - 1] == 0x0A || base[count - 1] == 0x0D { count -= 1 }
                let text = String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
                if text.isEmpty {
                    try emit(ParsedLine(number: number, length: length, parsed: nil, preview: ""))
                } else {
                    let parsed = StraceLine.parse(text[...])
                    try emit(ParsedLine(number: number, length: length, parsed: parsed, preview: parsed == nil ? String(text.prefix(60)) : ""))
                }
            }
            if ferror(file) != 0 { throw TraceLabError("read error") }
        }
    }

    /// Only events whose type this accepts are returned (see `EventStream.wants`).
    @exclusivity(unchecked) public var wants: ((String) -> Bool)?
    /// Events read so far, those `wants` turned away included.
    @exclusivity(unchecked) public private(set) var eventsRead = 0

    /// The next event, or nil at the end of the log.
    public func next() throws(TraceLabError) -> Event? {
        while let event = try nextEvent() {
            eventsRead += 1
            if wants?(event.type) ?? true { return event }
        }
        return nil
    }

    private func nextEvent() throws(TraceLabError) -> Event? {
        let channel = self.channel ?? startReading()
        self.channel = channel
        while queued.isEmpty {
            if batchIndex == batch.count {
                let done = batch
                batch = []
                channel.recycle(consume done)
                guard let next = channel.receive() else {
                    if let failure = channel.failure { throw TraceLabError("\(failure)", at: location(line)) }
                    if !finished { finish() }
                    break
                }
                batch = next
                batchIndex = 0
            }
            let item = batch[batchIndex]
            batchIndex += 1
            line = item.number
            bytesRead += UInt64(item.length)
            guard let parsed = item.parsed else {
                if !item.preview.isEmpty { warn("not a line of strace -f -ttt output (skipped): \(item.preview)") }
                continue
            }
            handle(parsed)
        }
        return queued.isEmpty ? nil : queued.removeFirst()
    }

    // MARK: Lines

    private func handle(_ parsed: StraceLine) {
        switch parsed {
        case .unfinished(let pid, _, let name, let arguments):
            pending[pid] = (name, arguments, line)
        case .resumed(let pid, let time, let name, let rest):
            guard let started = pending.removeValue(forKey: pid), started.name == name else {
                warn("'\(name) resumed' without its unfinished start (skipped)")
                return
            }
            guard let (tail, result) = StraceLine.splitCall(Substring(rest)) else {
                warn("cannot read the resumed '\(name)' call (skipped)")
                return
            }
            let joined = started.arguments.hasSuffix(" ") || tail.isEmpty ? started.arguments + tail : started.arguments + " " + tail
            call(pid: pid, time: time, name: name, arguments: StraceSyntax.arguments(joined), result: result)
        case .call(let pid, let time, let name, let arguments, let result):
            call(pid: pid, time: time, name: name, arguments: arguments, result: result)
        case .signal(let pid, let time, let name, _):
            let process = state(pid)
            emit(time: time, type: "signaldeliver", params: [.number("spid", 0), .number("dpid", pid), Param(name: "sig", text: name)], process: process)
        case .exit(let pid, let time, let code, let signal):
            let process = state(pid)
            var params: [Param] = [.number("status", code ?? 0)]
            if let signal { params.append(Param(name: "sig", text: signal)) }
            emit(time: time, type: "procexit", params: params, process: process)
            processes[pid] = nil
        }
    }

    private func finish() {
        finished = true
        for (pid, started) in pending.sorted(by: { $0.key < $1.key }) {
            warnings.append(TraceLabError("pid \(pid): '\(started.name)' never returned (the log ends first)", at: location(started.line)))
        }
        pending.removeAll()
        for rule in sidecar.containers {
            for pid in rule.pids where !matchedPids.contains(pid) {
                warnings.append(TraceLabError("the sidecar puts pid \(pid) in container '\(rule.container.name)', but no such process is in the log", at: location(0)))
            }
        }
    }

    private func warn(_ message: String) { warnings.append(TraceLabError(message, at: location(line))) }

    private func location(_ line: Int) -> SourceLocation { SourceLocation(file: path, line: line, column: 1) }

    // MARK: Processes

    /// The state of a pid, created on first sight. With -f a child's first lines often come before its
    /// parent's clone returns: a new pid is then the child of the process whose clone is still pending
    /// (the latest one). A pid with no pending clone was running before the log started.
    private func state(_ pid: Int64) -> ProcessState {
        if let known = processes[pid] { return known }
        let process: ProcessState
        if let (parentPid, started) = pending.filter({ ["clone", "clone3", "fork", "vfork"].contains($0.value.name) })
            .max(by: { $0.value.line < $1.value.line }), let parent = processes[parentPid] {
            let isThread = started.arguments.contains("CLONE_THREAD")
            process = parent.spawn(tid: pid, thread: isThread, sharesFiles: isThread || started.arguments.contains("CLONE_FILES"))
        } else {
            process = ProcessState(tid: pid, pid: pid, parent: nil, uid: sidecar.defaultUID, loginuid: sidecar.defaultLoginUID)
        }
        assignContainerByPid(process)
        learnStandardStreams(process)
        processes[pid] = process
        return process
    }

    private func assignContainerByPid(_ process: ProcessState) {
        for rule in sidecar.containers where rule.pids.contains(process.tid) {
            process.container = rule.container
            matchedPids.insert(process.tid)
        }
    }

    private func emit(time: UInt64, type: String, params: [Param], process: ProcessState, fd: FDInfo? = nil) {
        number += 1
        queued.append(Event(number: number, timestamp: time, type: type, params: params, thread: process.snapshot(sidecar),
                            fd: fd, hostname: sidecar.hostname))
    }

    // MARK: Calls


    private func call(pid: Int64, time: UInt64, name: String, arguments: [Substring], result resultText: String) {
        let process = state(pid)
        let result = StraceSyntax.result(resultText)
        // A failed call is -errno, as the kernel returns it and Falco shows it (strace prints -1 and the name).
        let res = result.value.map { value in value < 0 ? result.errno.flatMap(LinuxNames.errnoNumber).map { -$0 } ?? value : value } ?? 0
        func argument(_ index: Int) -> Substring? { index < arguments.count ? arguments[index] : nil }
        func string(_ index: Int) -> String { argument(index).flatMap(StraceSyntax.text) ?? argument(index).map(String.init) ?? "" }
        func resParam() -> Param {
            if res < 0, let errno = result.errno { return Param(name: "res", text: errno, raw: res) }
            return .number("res", res)
        }
        func fdParam(_ value: Int64) -> Param { .number("fd", value) }
        /// Syscalls Falco does not map keep their name and their arguments as strace printed them.
        func unmapped() {
            var params = [resParam()]
            for (index, value) in arguments.enumerated() { params.append(Param(name: "arg\(index)", text: String(value))) }
            let fd = arguments.first.flatMap(StraceSyntax.descriptor).flatMap { parsed in
                parsed.decoration.flatMap { _ in process.fds.resolve(parsed.number, decoration: parsed.decoration) }
            }
            emit(time: time, type: name, params: params, process: process, fd: fd)
        }

        /// The descriptor an argument names, learning its name from the decoration.
        func descriptor(_ index: Int) -> (Int64, FDInfo?) {
            guard let raw = argument(index), let parsed = StraceSyntax.descriptor(raw) else { return (-1, nil) }
            return (parsed.number, process.fds.resolve(parsed.number, decoration: parsed.decoration))
        }

        switch name {
        case "execve", "execveat":
            let pathIndex = name == "execve" ? 0 : 1
            let path = string(pathIndex)
            let argv = argument(pathIndex + 1).map(StraceSyntax.stringList) ?? []
            let env = argument(pathIndex + 2).map(StraceSyntax.stringList) ?? []
            if res == 0 {
                process.exec(path: path, argv: argv, env: env)
                for rule in sidecar.containers where process.container == nil && rule.commands.contains(process.name) {
                    process.container = rule.container
                }
            }
            emit(time: time, type: name, params: [
                resParam(), Param(name: "exe", text: argv.first ?? path), Param(name: "args", text: argv.dropFirst().joined(separator: " ")),
                .number("tid", process.tid), .number("pid", process.pid), .number("ptid", process.parent?.pid ?? 0),
                Param(name: "cwd", text: process.cwd ?? ""), Param(name: "comm", text: process.name),
                Param(name: "env", text: env.joined(separator: " ")), .number("tty", process.tty),
                .number("loginuid", process.loginuid), Param(name: "flags", text: "0", raw: 0),
                Param(name: "trusted_exepath", text: process.exepath),
            ], process: process)
        case "clone", "clone3", "fork", "vfork":
            let flags = name == "clone3" ? (argument(0).map(String.init) ?? "") : (arguments.first(where: { $0.hasPrefix("flags=") }).map(String.init) ?? "")
            emit(time: time, type: name, params: [resParam(), Param(name: "exe", text: process.exe), Param(name: "args", text: process.args.joined(separator: " ")),
                                                  .number("tid", process.tid), .number("pid", process.pid), .number("ptid", process.parent?.pid ?? 0),
                                                  Param(name: "cwd", text: process.cwd ?? ""), Param(name: "flags", text: flags)],
                 process: process)
            if res > 0 {
                let isThread = flags.contains("CLONE_THREAD")
                let child = process.spawn(tid: res, thread: isThread, sharesFiles: isThread || flags.contains("CLONE_FILES"))
                if processes[res] == nil || processes[res]?.hasRun == false {
                    processes[res] = child
                    assignContainerByPid(child)
                    learnStandardStreams(child)
                }
            }
        case "open", "openat", "openat2", "creat", "open_by_handle_at":
            let base = name == "openat" || name == "openat2" ? 1 : 0
            let raw = string(base)
            var flags = name == "creat" ? "O_WRONLY|O_CREAT|O_TRUNC" : (argument(base + 1).map(String.init) ?? "O_RDONLY")
            if name == "openat2", let how = argument(base + 1) {
                flags = how.firstMatch(of: /flags=([A-Z_|0-9]+)/).map { String($0.1) } ?? "O_RDONLY"
            }
            let decoded = OpenFlags.value(of: Param(name: "flags", text: flags))
            // The path as opened, made absolute lexically (libsinsp does not follow symlinks); strace's -yy
            // decoration (the real path, only on a success) when a relative path meets an unknown working directory.
            let resolved = raw.hasPrefix("/") ? PathNames.resolve(raw, against: "/")
                : result.decoration.map(StraceSyntax.path(ofDecoration:)) ?? process.absolute(raw)
            let fd: FDInfo
            if res >= 0 {
                fd = FDInfo(number: res, type: flags.contains("O_DIRECTORY") ? .directory : .file, name: resolved, nameRaw: raw)
                process.fds.set(res, fd)
            } else {
                // A failed open makes no fd, but libsinsp still names the file it tried (fd.name, fd.directory; fd.num -1).
                fd = FDInfo(number: -1, type: .file, name: resolved, nameRaw: raw)
            }
            var params: [Param] = [fdParam(res)]
            if base == 1 {
                let (dirfd, _) = descriptor(0)
                params.append(.number("dirfd", dirfd))
            }
            params += [Param(name: "name", text: raw), Param(name: "flags", text: OpenFlags.render(decoded), raw: decoded),
                       .number("mode", Int64(argument(base + 2).flatMap { Int64($0, radix: 8) } ?? 0))]
            if res < 0, let errno = result.errno { params[0] = Param(name: "fd", text: errno, raw: res) }
            emit(time: time, type: name, params: params, process: process, fd: fd)
        case "read", "readv", "pread64", "preadv", "preadv2", "recv", "recvfrom", "recvmsg", "write", "writev", "pwrite64",
             "pwritev", "pwritev2", "send", "sendto", "sendmsg":
            let (_, fd) = descriptor(0)
            var params = [resParam()]
            if let data = argument(1), let decoded = StraceSyntax.string(data) {
                params.append(Param(name: "data", text: String(decoding: decoded.bytes, as: UTF8.self), bytes: decoded.bytes))
            }
            if name == "sendto" || name == "recvfrom", let address = argument(4).flatMap(StraceSyntax.socketAddress) {
                params.append(Param(name: "tuple", text: address.description))
            }
            emit(time: time, type: name, params: params, process: process, fd: fd)
        case "close":
            let (number, fd) = descriptor(0)
            emit(time: time, type: name, params: [resParam(), fdParam(number)], process: process, fd: fd)
            if res == 0 { process.fds.remove(number) }
        case "socket":
            let domain = string(0), kind = string(1), proto = string(2)
            var info: FDInfo?
            if res >= 0 {
                let socket = FDTable.socket(number: res, domain: domain, kind: kind, protocolName: proto, decoration: result.decoration)
                process.fds.set(res, socket)
                info = socket
            }
            emit(time: time, type: name, params: [fdParam(res), Param(name: "domain", text: domain), Param(name: "type", text: kind),
                                                  Param(name: "proto", text: proto)], process: process, fd: info)
        case "connect", "bind":
            let (number, known) = descriptor(0)
            var fd = known
            if let address = argument(1).flatMap(StraceSyntax.socketAddress), let current = known {
                fd = name == "connect" ? process.fds.connect(number, current, to: address) : process.fds.bind(number, current, to: address)
            }
            var params = [resParam()]
            params.append(Param(name: name == "connect" ? "tuple" : "addr", text: fd?.name ?? string(1)))
            params.append(fdParam(number))
            emit(time: time, type: name, params: params, process: process, fd: fd)
        case "accept", "accept4":
            let (listener, _) = descriptor(0)
            var fd: FDInfo?
            if res >= 0 {
                let accepted = FDTable.accepted(number: res, decoration: result.decoration)
                process.fds.set(res, accepted)
                fd = accepted
            }
            emit(time: time, type: name, params: [fdParam(res), Param(name: "tuple", text: fd?.name ?? ""), .number("queuepct", 0),
                                                  .number("listener", listener)], process: process, fd: fd)
        case "listen":
            let (number, fd) = descriptor(0)
            emit(time: time, type: name, params: [resParam(), fdParam(number), .number("backlog", Int64(string(1)) ?? 0)], process: process, fd: fd)
        case "dup", "dup2", "dup3", "fcntl":
            let (old, source) = descriptor(0)
            let duplicates = name != "fcntl" || (argument(1)?.hasPrefix("F_DUPFD") ?? false)
            // A dup's exit acts on the new fd, a copy of the old one (libsinsp's add_fd makes it the event's fd).
            var fd = source
            if duplicates, res >= 0, let source {
                let copy = source.copied(number: res)
                fd = copy
                process.fds.set(res, copy)
            }
            if name == "fcntl" {
                // Falco's fcntl event keeps the fd and the command whatever the command; F_DUPFD's new fd is its result.
                emit(time: time, type: name, params: [resParam(), fdParam(old), Param(name: "cmd", text: string(1))], process: process, fd: fd)
                return
            }
            emit(time: time, type: name, params: [resParam(), .number("oldfd", old), .number("newfd", res)], process: process, fd: fd)
        case "pipe", "pipe2":
            if res == 0, let pair = argument(0) {
                for end in StraceSyntax.arguments(String(pair.dropFirst().dropLast())) {
                    if let parsed = StraceSyntax.descriptor(end) {
                        process.fds.set(parsed.number, FDInfo(number: parsed.number, type: .pipe, name: parsed.decoration ?? "pipe"))
                    }
                }
            }
            emit(time: time, type: name, params: [resParam()], process: process)
        case "chdir", "fchdir":
            if res == 0 {
                if name == "chdir" { process.cwd = process.absolute(string(0)) } else if let fd = descriptor(0).1 { process.cwd = fd.name }
                process.changed()
            }
            emit(time: time, type: name, params: [resParam(), Param(name: "path", text: name == "chdir" ? string(0) : process.cwd ?? "")], process: process)
        case "setuid", "setgid", "setresuid", "setresgid", "setreuid", "setregid":
            let value = Int64(string(name.hasPrefix("setre") && !name.hasPrefix("setres") ? 1 : 0)) ?? -1
            if res == 0 {
                if name.hasSuffix("uid") { process.uid = value } else { process.gid = value }
                process.changed()
            }
            let key = name.hasSuffix("uid") ? "uid" : "gid"
            let label = name.hasSuffix("uid") ? sidecar.users[value] : sidecar.groups[value]
            emit(time: time, type: name, params: [resParam(), Param(name: key, text: label.map { "\(value)(\($0))" } ?? String(value), raw: value)],
                 process: process)
        case "unlink", "rmdir", "mkdir", "chmod", "chown", "lchown", "truncate":
            // Parameter names as in libscap's event table (chmod's path is "filename").
            var params = [resParam(), Param(name: name == "chmod" ? "filename" : "path", text: string(0))]
            if name == "mkdir" || name == "chmod" { params.append(.number("mode", Int64(string(1), radix: 8) ?? 0)) }
            if name == "chown" || name == "lchown" { params += [.number("uid", Int64(string(1)) ?? -1), .number("gid", Int64(string(2)) ?? -1)] }
            emit(time: time, type: name, params: params, process: process)
        case "unlinkat", "mkdirat", "fchmodat", "fchownat":
            let (dirfd, _) = descriptor(0)
            let pathName = ["unlinkat": "name", "fchmodat": "filename", "fchownat": "pathname"][name] ?? "path"
            var params = [resParam(), .number("dirfd", dirfd), Param(name: pathName, text: string(1))]
            if name == "mkdirat" || name == "fchmodat" { params.append(.number("mode", Int64(string(2), radix: 8) ?? 0)) }
            if name == "fchownat" {
                params += [.number("uid", Int64(string(2)) ?? -1), .number("gid", Int64(string(3)) ?? -1), Param(name: "flags", text: string(4))]
            }
            if name == "unlinkat" { params.append(Param(name: "flags", text: string(2))) }
            emit(time: time, type: name, params: params, process: process)
        case "rename", "link", "symlink":
            let first = name == "symlink" ? "target" : "oldpath", second = name == "symlink" ? "linkpath" : "newpath"
            emit(time: time, type: name, params: [resParam(), Param(name: first, text: string(0)), Param(name: second, text: string(1))], process: process)
        case "renameat", "renameat2", "linkat":
            let (oldDirectory, newDirectory) = name == "linkat" ? ("olddir", "newdir") : ("olddirfd", "newdirfd")
            emit(time: time, type: name, params: [resParam(), .number(oldDirectory, descriptor(0).0), Param(name: "oldpath", text: string(1)),
                                                  .number(newDirectory, descriptor(2).0), Param(name: "newpath", text: string(3))], process: process)
        case "symlinkat":
            emit(time: time, type: name, params: [resParam(), Param(name: "target", text: string(0)), .number("linkdirfd", descriptor(1).0),
                                                  Param(name: "linkpath", text: string(2))], process: process)
        case "fchmod":
            let (number, fd) = descriptor(0)
            emit(time: time, type: name, params: [resParam(), fdParam(number), .number("mode", Int64(string(1), radix: 8) ?? 0)], process: process, fd: fd)
        case "fchown":
            let (number, fd) = descriptor(0)
            emit(time: time, type: name, params: [resParam(), fdParam(number), .number("uid", Int64(string(1)) ?? -1), .number("gid", Int64(string(2)) ?? -1)],
                 process: process, fd: fd)
        case "kill", "tkill", "tgkill":
            emit(time: time, type: name, params: [resParam(), .number("pid", Int64(string(0)) ?? 0), Param(name: "sig", text: string(arguments.count - 1))],
                 process: process)
        case "ptrace":
            emit(time: time, type: name, params: [resParam(), Param(name: "request", text: string(0)), .number("pid", Int64(string(1)) ?? 0)], process: process)
        case "setns":
            let (number, fd) = descriptor(0)
            emit(time: time, type: name, params: [resParam(), fdParam(number), Param(name: "nstype", text: string(1))], process: process, fd: fd)
        case "mount":
            emit(time: time, type: name, params: [Param(name: "flags", text: string(3)), resParam(), Param(name: "dev", text: string(0)),
                                                  Param(name: "dir", text: string(1)), Param(name: "type", text: string(2))], process: process)
        case "umount", "umount2":
            // As libscap's umount2 event: the result, the mount point ("name") and the flags.
            emit(time: time, type: name, params: [resParam(), Param(name: "name", text: string(0)),
                                                  Param(name: "flags", text: arguments.count > 1 ? string(1) : "0")], process: process)
        case "unshare":
            emit(time: time, type: name, params: [Param(name: "flags", text: string(0)), resParam()], process: process)
        case "ioctl":
            let (number, fd) = descriptor(0)
            emit(time: time, type: name, params: [resParam(), fdParam(number), Param(name: "request", text: string(1)),
                                                  Param(name: "argument", text: string(2))], process: process, fd: fd)
        case "exit", "exit_group":
            break  // the "+++ exited" line that follows makes the procexit event
        default:
            unmapped()
        }
        process.hasRun = true
    }
}
