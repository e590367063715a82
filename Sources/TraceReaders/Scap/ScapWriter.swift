import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// Writes any trace as a scap capture that sysdig 0.29 and Falco read: section header 1.2, machine info, a
/// user list, a process list (V9, with the fields libsinsp 0.29 reads), fd lists and V2 event blocks.
///
/// Two passes over the trace. The first finds the state a capture opens with: every thread that is not
/// created by a clone, fork or vfork inside the trace goes into the process list as first seen, and every fd
/// a process uses before the trace creates it goes into the fd list of that process (or of the listed
/// ancestor it inherited it from). The second writes each event as libsinsp 0.29 would have recorded it: an
/// enter and an exit event of the current generation of its syscall (`ScapEventTable`), parameters by name and
/// type (paths, flags as their bits, errno names as negative numbers, tuples and addresses encoded), execve and
/// clone exits filled from the thread table; calls without an event of their own become generic `syscall`
/// events naming their syscall. libsinsp 0.29's names apply: pread64 is `pread`, accept4 `accept`, dup2 `dup`.
public struct ScapWriter {
    /// What a written capture holds.
    public struct Summary: Sendable, Equatable {
        public var events = 0
        public var threads = 0
        public var fds = 0
        public var genericEvents = 0
    }

    /// Our event names that libsinsp 0.29 records under another event (by code: enter, exit).
    static let aliases: [String: (UInt16, UInt16)] = [
        "pread64": (112, 113), "pwrite64": (114, 115), "preadv2": (120, 121), "pwritev2": (122, 123), "pipe2": (60, 61),
        "eventfd2": (62, 63), "dup2": (124, 125), "dup3": (124, 125), "accept4": (248, 249), "umount2": (258, 259),
        "signalfd4": (126, 127), "inotify_init1": (138, 139),
    ]

    /// The scap parameter each positional argument (`arg0`, `arg1`...) of an strace-derived event fills, for
    /// calls whose arguments the strace reader leaves unnamed but libsinsp records.
    static let straceArguments: [String: [String]] = [
        "mmap": ["addr", "length", "prot", "flags", "fd", "offset"], "mprotect": ["addr", "length", "prot"], "munmap": ["addr", "length"],
        "brk": ["addr"], "access": ["name", "mode"], "lseek": ["fd", "offset", "whence"], "getdents": ["fd"], "getdents64": ["fd"],
        "futex": ["addr", "op", "val"], "socketpair": ["domain", "type", "proto"], "eventfd2": ["initval", "flags"], "fstat": ["fd"],
        "epoll_wait": ["", "", "maxevents"], "setpgid": ["pid", "pgid"], "prctl": [], "umask": [],
        "copy_file_range": ["fdin", "offin", "fdout", "offout", "len"],
        "setsockopt": ["fd", "level", "optname", "val", "optlen"], "getsockopt": ["fd", "level", "optname", "val", "optlen"],
    ]

    /// Calls recorded as one event with no exit (process exit, signal delivery).
    static let singleEvents: [String: UInt16] = ["procexit": 186, "signaldeliver": 232]

    /// The current (not old, not unused) enter and exit codes of a syscall name.
    static let currentCodes: [String: (UInt16, UInt16)] = {
        var codes: [String: (UInt16, UInt16)] = [:]
        let events = ScapEventTable.events
        for code in stride(from: 2, to: events.count - 1, by: 2) {
            let enter = events[code], exit = events[code + 1]
            guard enter.name == exit.name, enter.flags.isDisjoint(with: [.old, .unused]), exit.flags.isDisjoint(with: [.old, .unused]),
                  ScapReader.internalCodes.contains(UInt16(code)) == false else { continue }
            codes[enter.name] = (UInt16(code), UInt16(code + 1))
        }
        return codes
    }()

    /// `PPM_SC_*` code of a syscall name, for generic events.
    static let syscallCodes: [String: UInt16] = {
        var codes: [String: UInt16] = [:]
        for (index, name) in ScapEventTable.syscallNames.enumerated() where codes[name] == nil { codes[name] = UInt16(index) }
        return codes
    }()

    public init() {}

    /// The exit event a call of this type is written as (nil for generic and single events).
    public static func exitInfo(of type: String) -> ScapEventTable.EventInfo? {
        (aliases[type] ?? currentCodes[type]).flatMap { ScapEventTable.info($0.1) }
    }

    /// True when a call of this type is written as a generic `syscall` event (libsinsp 0.29 has no event of
    /// its own for it, so it carries no result or fd).
    public static func writesGeneric(_ type: String) -> Bool {
        aliases[type] == nil && currentCodes[type] == nil && singleEvents[type] == nil
    }

    /// The `evt.type` libsinsp 0.29 shows for a call of this type once written: the event it is recorded
    /// under (`pread` for pread64), or `<unknown>` for a syscall its table lacks.
    public static func recordedType(_ type: String) -> String {
        if let (enter, _) = aliases[type] { return ScapEventTable.name(enter) }
        if writesGeneric(type), syscallCodes[type] == nil { return "<unknown>" }
        return type
    }

    /// Writes the trace that `open` streams (called twice) to `path`.
    public func write(opening open: () throws(TraceLabError) -> EventStream, to path: String) throws(TraceLabError) -> Summary {
        let state = try InitialState.scan(try open())
        guard let file = fopen(path, "wb") else { throw TraceLabError("cannot write \(path)", at: SourceLocation(file: path, line: 0, column: 0)) }
        var output = BlockOutput(file: file)
        var summary = Summary()
        output.sectionHeader()
        output.machineInfo(hostname: state.hostname ?? "", cpus: state.cpus)
        output.users(state.users)
        output.processes(state.threads)
        // An fd list names a listed thread (libscap refuses one that does not): the process's main thread, else the
        // first of its threads the trace lists (libsinsp gives the fds to the process's table either way).
        let listedTIDs = Set(state.threads.map(\.tid))
        var firstListed: [Int64: Int64] = [:]
        for thread in state.threads where firstListed[thread.pid] == nil { firstListed[thread.pid] = thread.tid }
        for (pid, fds) in state.fds.sorted(by: { $0.key < $1.key }) where !fds.isEmpty {
            guard let tid = listedTIDs.contains(pid) ? pid : firstListed[pid] else { continue }
            output.fdList(tid: tid, fds: fds.sorted { $0.key < $1.key }.map(\.value))
            summary.fds += fds.count
        }
        summary.threads = state.threads.count
        // The containers as the container manager describes them, before any syscall (libsinsp reads them
        // while it opens the capture); threads name theirs in their cgroups.
        for container in state.containers {
            output.event(EventRecord(timestamp: 0, tid: -1, cpu: 0, type: 324, params: [EventEncoder.string(EventEncoder.containerJSON(container))]))
        }
        let stream = try open()
        var encoder = EventEncoder(childrenSeenFirst: state.childrenSeenFirst)
        while let event = try stream.next() {
            for record in encoder.records(for: event) {
                output.event(record)
                summary.events += 1
                if record.type <= 1 { summary.genericEvents += 1 }
            }
        }
        output.flush()
        let failed = output.failed || fflush(file) != 0
        fclose(file)
        if failed { throw TraceLabError("cannot write \(path): the disk refused the data", at: SourceLocation(file: path, line: 0, column: 0)) }
        return summary
    }
}

/// The threads, fds, users and machine a capture opens with, found by a first pass over the trace.
struct InitialState {
    var hostname: String?
    var cpus = 1
    /// Threads in order of first appearance, as first seen.
    var threads: [ThreadInfo] = []
    /// Thread id (of a listed process's main thread) → fd number → fd.
    var fds: [Int64: [Int64: FDInfo]] = [:]
    var users: [(uid: Int64, gid: Int64, name: String, home: String, shell: String)] = []
    /// Children whose events come before the clone that made them.
    var childrenSeenFirst: Set<Int64> = []
    /// Containers of the trace's threads, by short id, in order of first appearance.
    var containers: [ContainerInfo] = []

    static func scan(_ stream: EventStream) throws(TraceLabError) -> InitialState {
        var state = InitialState()
        var seen: Set<Int64> = []
        var cloned: Set<Int64> = []
        /// Process id → the process it was cloned from (for inherited fds).
        var clonedFrom: [Int64: Int64] = [:]
        /// Process id → fd numbers the trace created there (from then on not initial).
        var created: [Int64: Set<Int64>] = [:]
        /// Processes with a thread in the process list.
        var listed: Set<Int64> = []
        var userIDs: Set<Int64> = []
        while let event = try stream.next() {
            if state.hostname == nil { state.hostname = stream.traceHeader?.hostname ?? event.hostname }
            state.cpus = max(state.cpus, event.cpu + 1)
            guard let thread = event.thread else { continue }
            // Every user a thread runs as (setuid changes them) goes into the user list, for user.name.
            if let uid = thread.uid, !userIDs.contains(uid), let name = thread.userName {
                userIDs.insert(uid)
                state.users.append((uid, thread.gid ?? uid, name, thread.homedir ?? "", thread.shell ?? ""))
            }
            if let container = thread.container, !state.containers.contains(where: { $0.id == container.id }) { state.containers.append(container) }
            if seen.insert(thread.tid).inserted, !cloned.contains(thread.tid) {
                state.threads.append(thread)
                listed.insert(thread.pid)
            }
            // A clone-family exit in the parent creates the child; a child that ran before it is listed instead,
            // and its clone is written as a generic event (libsinsp would remake the child from the parent).
            if ScapReader.threadCreators.contains(event.type), let child = event.returnValue, child > 0 {
                if seen.contains(child) { state.childrenSeenFirst.insert(child) } else {
                    cloned.insert(child)
                    clonedFrom[child] = thread.pid
                }
            }
            // An fd used before the trace created it in this process was open when the trace began (one the trace's
            // own tables never saw was not known there either).
            func noteUsed(_ fd: FDInfo) {
                guard fd.number >= 0, fd.type != .untracked, created[thread.pid]?.contains(fd.number) != true else { return }
                var owner = thread.pid
                while !listed.contains(owner), let parent = clonedFrom[owner] { owner = parent }
                if listed.contains(owner), state.fds[owner]?[fd.number] == nil, created[owner]?.contains(fd.number) != true {
                    state.fds[owner, default: [:]][fd.number] = fd
                }
            }
            // A dup's event fd is the copy; its source is used too, and is the copy's twin.
            if let copy = event.fd, let old = EventEncoder.dupSource(event), old != copy.number {
                noteUsed(copy.copied(number: old))
            }
            if let number = EventEncoder.createdFD(event) { created[thread.pid, default: []].insert(number) }
            if let fd = event.fd { noteUsed(fd) }
        }
        state.users.sort { $0.uid < $1.uid }
        return state
    }
}

/// One event to write: header fields and encoded parameters.
struct EventRecord {
    var timestamp: UInt64
    var tid: Int64
    var cpu: UInt16
    var type: UInt16
    var params: [[UInt8]]
}

/// Turns TraceLab events into scap enter and exit records.
struct EventEncoder {
    /// Children whose clone is written as a generic event (see `InitialState`).
    var childrenSeenFirst: Set<Int64> = []

    /// The fd a dup-family call copies (`oldfd`, fcntl's `fd`): its enter event names it, while its event's fd is the
    /// copy.
    static func dupSource(_ event: Event) -> Int64? {
        event.param("oldfd")?.raw ?? (event.type == "fcntl" ? event.param("fd")?.raw : nil)
    }

    /// The fd a call created, from its exit: the fd of open-family calls, socket and accept, `res` of dup-family calls.
    static func createdFD(_ event: Event) -> Int64? {
        switch event.type {
        case "open", "openat", "openat2", "creat", "socket", "accept", "accept4":
            return event.param("fd")?.raw ?? event.fd?.number
        case "dup", "dup2", "dup3":
            return event.param("newfd")?.raw ?? event.returnValue.flatMap { $0 >= 0 ? $0 : nil }
        case "fcntl":
            guard event.param("cmd")?.text.hasPrefix("F_DUPFD") ?? false else { return nil }
            return event.returnValue.flatMap { $0 >= 0 ? $0 : nil }
        default:
            return nil
        }
    }

    mutating func records(for event: Event) -> [EventRecord] {
        let tid = event.thread?.tid ?? event.threadID ?? -1
        let cpu = UInt16(clamping: event.cpu)
        if let code = ScapWriter.singleEvents[event.type], let info = ScapEventTable.info(code) {
            return [EventRecord(timestamp: event.timestamp, tid: tid, cpu: cpu, type: code,
                                params: info.params.map { encode($0, event: event, enter: true, info: info, call: .other) })]
        }
        var codes = ScapWriter.aliases[event.type] ?? ScapWriter.currentCodes[event.type]
        if ScapReader.threadCreators.contains(event.type), let child = event.returnValue, childrenSeenFirst.contains(child) { codes = nil }
        guard let (enterCode, exitCode) = codes, let enterInfo = ScapEventTable.info(enterCode), let exitInfo = ScapEventTable.info(exitCode) else {
            // A generic event: the syscall's PPM_SC code names it.
            let id = ScapWriter.syscallCodes[event.type] ?? 0
            let idBytes = EventEncoder.little(UInt64(id), width: 2)
            return [EventRecord(timestamp: event.timestamp, tid: tid, cpu: cpu, type: 0, params: [idBytes, [0, 0]]),
                    EventRecord(timestamp: event.timestamp, tid: tid, cpu: cpu, type: 1, params: [idBytes])]
        }
        let call: Call = ScapReader.threadCreators.contains(exitInfo.name) ? .threadCreator
            : exitInfo.name == "execve" || exitInfo.name == "execveat" ? .exec : .other
        let enter = EventRecord(timestamp: event.timestamp, tid: tid, cpu: cpu, type: enterCode,
                                params: enterInfo.params.map { encode($0, event: event, enter: true, info: enterInfo, call: call) })
        let exit = EventRecord(timestamp: event.timestamp, tid: tid, cpu: cpu, type: exitCode,
                               params: exitInfo.params.map { encode($0, event: event, enter: false, info: exitInfo, call: call) })
        return event.direction == .enter ? [enter] : [enter, exit]
    }

    /// Calls whose exit describes the thread (and so is filled from it).
    enum Call { case exec, threadCreator, other }

    /// One parameter's bytes, from the event's parameter of that name, its thread, or its fd.
    func encode(_ spec: ScapEventTable.ParamInfo, event: Event, enter: Bool, info: ScapEventTable.EventInfo, call: Call) -> [UInt8] {
        let thread = event.thread
        if !enter, call != .other, let thread {
            switch spec.name {
            case "exe": return Self.string(thread.exe)
            case "args": return Self.list(thread.args)
            case "tid": return Self.little(UInt64(bitPattern: thread.tid), width: 8)
            case "pid": return Self.little(UInt64(bitPattern: thread.pid), width: 8)
            case "ptid": return Self.little(UInt64(bitPattern: thread.ptid), width: 8)
            case "cwd": return Self.string(thread.cwd ?? "")
            case "comm": return Self.string(thread.name)
            case "env": return Self.list(thread.env)
            case "cgroups": return Self.list(Self.cgroups(of: thread))
            case "tty": return Self.little(UInt64(bitPattern: thread.tty), width: 4)
            case "pgid": return Self.little(UInt64(bitPattern: thread.pgid ?? -1), width: 8)
            case "loginuid": return Self.little(UInt64(bitPattern: thread.loginuid ?? -1), width: 4)
            case "uid": return Self.little(UInt64(bitPattern: thread.uid ?? 0), width: 4)
            case "gid": return Self.little(UInt64(bitPattern: thread.gid ?? 0), width: 4)
            case "vtid": return Self.little(UInt64(bitPattern: thread.vtid ?? thread.tid), width: 8)
            case "vpid": return Self.little(UInt64(bitPattern: thread.vpid ?? thread.pid), width: 8)
            case "fdlimit": return Self.little(1024, width: 8)
            default: break
            }
        }
        // The fd an enter event names: the event's resolved fd, else its own fd parameter.
        if spec.type == .fd, enter, spec.name == "fd" || info.flags.contains(.usesFD) && spec.name == info.params.first?.name {
            // A dup's event fd is the new one; its enter event names the old one (`oldfd`, fcntl's `fd`).
            if let number = Self.dupSource(event) ?? event.fd?.number ?? event.fdNumber ?? event.param("fd")?.raw {
                return Self.little(UInt64(bitPattern: number), width: 8)
            }
        }
        if info.name == "connect", spec.type == .sockaddr {
            if let fd = event.fd, let ip = fd.serverIP, let port = fd.serverPort { return Self.sockaddr(ip.isV4 ? "\(ip):\(port)" : "[\(ip)]:\(port)") }
            if let path = event.param("tuple")?.text, path.hasPrefix("/") { return Self.sockaddr(path) }
        }
        if spec.type == .socktuple, event.param("tuple") == nil, let fd = event.fd, let tuple = Self.tuple(of: fd) { return tuple }
        if info.name == "dup", spec.name == "res" || spec.name == "fd", !enter, let value = event.param("newfd")?.raw ?? event.returnValue {
            return Self.little(UInt64(bitPattern: value), width: 8)
        }
        if spec.name == "filename", call == .exec, let thread { return Self.string(thread.exepath) }
        if spec.type == .dyn, info.name == "setsockopt" || info.name == "getsockopt" { return Self.socketOption(event) }
        var param = event.param(spec.name)
        // strace-derived events name the arguments of calls TraceLab does not decode by position.
        if param == nil, let position = ScapWriter.straceArguments[event.type]?.firstIndex(of: spec.name), var positional = event.param("arg\(position)") {
            positional.raw = nil
            positional.text = Self.unquoted(positional.text)
            param = positional
        }
        return Self.value(spec, param)
    }

    /// A socket option's value as the driver records it (a PT_DYN: the index of its type, then the value): an
    /// integer option of SOL_SOCKET as a 32-bit number, SO_ERROR as an errno, any other option as its bytes.
    static func socketOption(_ event: Event) -> [UInt8] {
        func argument(_ position: Int) -> String { event.param("arg\(position)")?.text ?? "" }
        let level = argument(1), option = argument(2), length = Int(argument(4)) ?? 0
        let text = argument(3)
        let number = text.hasPrefix("[") && text.hasSuffix("]") ? Int64(text.dropFirst().dropLast()) : nil
        if level == "SOL_SOCKET", let number {
            if option == "SO_ERROR" { return [1] + little(UInt64(bitPattern: 0 &- number), width: 8) }
            if option == "SO_COOKIE" { return [3] + little(UInt64(bitPattern: number), width: 8) }
            if option != "SO_RCVTIMEO", option != "SO_SNDTIMEO", integerSocketOptions.contains(option) {
                return [2] + little(UInt64(bitPattern: number), width: 4)
            }
        }
        guard let number, length == 4 || length == 8 else { return [0] }
        return [0] + little(UInt64(bitPattern: number), width: length)
    }

    /// The SOL_SOCKET options the driver records as 32-bit numbers.
    static let integerSocketOptions: Set<String> = [
        "SO_DEBUG", "SO_REUSEADDR", "SO_TYPE", "SO_DONTROUTE", "SO_BROADCAST", "SO_SNDBUF", "SO_RCVBUF", "SO_SNDBUFFORCE", "SO_RCVBUFFORCE",
        "SO_KEEPALIVE", "SO_OOBINLINE", "SO_NO_CHECK", "SO_PRIORITY", "SO_BSDCOMPAT", "SO_REUSEPORT", "SO_PASSCRED", "SO_RCVLOWAT",
        "SO_SNDLOWAT", "SO_SECURITY_AUTHENTICATION", "SO_SECURITY_ENCRYPTION_TRANSPORT", "SO_SECURITY_ENCRYPTION_NETWORK",
        "SO_BINDTODEVICE", "SO_DETACH_FILTER", "SO_TIMESTAMP", "SO_ACCEPTCONN", "SO_PEERSEC", "SO_PASSSEC", "SO_TIMESTAMPNS", "SO_MARK",
        "SO_TIMESTAMPING", "SO_PROTOCOL", "SO_DOMAIN", "SO_RXQ_OVFL", "SO_WIFI_STATUS", "SO_PEEK_OFF", "SO_NOFCS", "SO_LOCK_FILTER",
        "SO_SELECT_ERR_QUEUE", "SO_BUSY_POLL", "SO_MAX_PACING_RATE", "SO_BPF_EXTENSIONS", "SO_INCOMING_CPU",
    ]

    /// strace's rendering of a string (`"..."`) or an fd (`3</path>`) reduced to the value.
    static func unquoted(_ text: String) -> String {
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { return String(text.dropFirst().dropLast()) }
        if let angle = text.firstIndex(of: "<"), angle > text.startIndex, text[..<angle].allSatisfy(\.isNumber) { return String(text[..<angle]) }
        if text == "NULL" { return "0" }
        // A pointer to an integer (`[4]`) is the integer.
        if text.hasPrefix("["), text.hasSuffix("]"), Int64(text.dropFirst().dropLast()) != nil { return String(text.dropFirst().dropLast()) }
        return text
    }

    /// A parameter value in its wire type; absent values are zero numbers and empty strings.
    static func value(_ spec: ScapEventTable.ParamInfo, _ param: Param?) -> [UInt8] {
        switch spec.type {
        case .fd, .pid, .errno, .int64, .uint64, .reltime, .abstime:
            return little(UInt64(bitPattern: number(spec, param) ?? 0), width: 8)
        case .int32, .uint32, .uid, .gid, .mode, .flags32, .bool:
            return little(UInt64(bitPattern: number(spec, param) ?? 0), width: 4)
        case .int16, .uint16, .flags16, .syscallid, .port:
            return little(UInt64(bitPattern: number(spec, param) ?? 0), width: 2)
        case .int8, .uint8, .flags8, .sigtype, .l4proto, .sockfamily:
            return little(UInt64(bitPattern: number(spec, param) ?? 0), width: 1)
        case .charbuf, .fspath, .fsrelpath:
            return string(param?.text ?? "")
        case .bytebuf:
            // Kept under the 64 KiB of an event block (strace records at most 4 KiB of a buffer).
            return Array((param?.bytes ?? Array((param?.text ?? "").utf8)).prefix(16_384))
        case .socktuple:
            return param.flatMap { tuple($0.text) } ?? []
        case .sockaddr:
            return param.map { sockaddr($0.text) } ?? []
        case .fdlist:
            return [0, 0]
        default:
            return param?.bytes ?? []
        }
    }

    /// A number parameter: its raw value, an errno name as its negative number, flag or signal names as
    /// their values, octal modes, decimal or hex text.
    static func number(_ spec: ScapEventTable.ParamInfo, _ param: Param?) -> Int64? {
        guard let param else { return nil }
        let text = param.text
        if spec.type == .errno || spec.type == .fd || spec.type == .pid, let raw = param.raw, raw < 0 {
            // strace's -1 with the errno's name: Falco's form is the negative errno.
            if let code = LinuxNames.errnoNumber(text) { return -code }
            return raw
        }
        if let raw = param.raw { return raw }
        if let names = spec.flagNames {
            var value: UInt32 = 0
            var matched = false
            for name in text.split(separator: "|") {
                if let entry = names.first(where: { $0.name == name }) { value |= entry.value; matched = true }
            }
            if matched { return Int64(value) }
        }
        if spec.type == .sigtype, let index = LinuxNames.signalNames.firstIndex(of: text) { return Int64(index + 1) }
        if spec.name == "type" || spec.name == "proto", let value = LinuxNames.socketConstant(text) { return value }
        if spec.type == .mode, text.hasPrefix("0"), let value = Int64(text, radix: 8) { return value }
        if text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16) { return Int64(bitPattern: value) }
        return Int64(text)
    }

    /// Cgroups that place a thread in its container the way a container runtime does (`cpuset=/docker/<id>`),
    /// so libsinsp finds the container id; none on the host.
    static func cgroups(of thread: ThreadInfo) -> [String] {
        guard let container = thread.container else { return [] }
        let full = container.fullID ?? container.id
        let id = full.count == 64 && full.allSatisfy(\.isHexDigit) ? full : String((full + String(repeating: "0", count: 64)).prefix(64))
        return ["cpuset=/docker/\(id)", "cpu=/docker/\(id)", "memory=/docker/\(id)"]
    }

    /// A container event's JSON, in the form libsinsp's container manager writes (`{"container": {...}}`), with
    /// the pod in the CRI labels libsinsp reads k8s.pod.* from.
    static func containerJSON(_ container: ContainerInfo) -> String {
        var labels: [(String, JSONValue)] = []
        if let pod = container.pod {
            labels.append(("io.kubernetes.pod.name", .string(pod.name)))
            labels.append(("io.kubernetes.pod.namespace", .string(pod.namespace)))
            if let uid = pod.uid { labels.append(("io.kubernetes.pod.uid", .string(uid))) }
            for (key, value) in pod.labels { labels.append((key, .string(value))) }
        }
        let details: [(String, JSONValue)] = [
            ("id", .string(container.id)), ("image", .string(container.image)), ("imagedigest", .string(container.imageDigest ?? "")),
            ("imagerepo", .string(container.imageRepository)), ("imagetag", .string(container.imageTag)), ("labels", .object(labels)),
            ("name", .string(container.name)), ("privileged", .bool(container.privileged)), ("type", .integer(0)),
        ]
        return JSONValue.object([("container", .object(details))]).rendered
    }

    static func little(_ value: UInt64, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    static func string(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    /// A NUL-separated list, each item NUL-terminated (execve's args and env).
    static func list(_ items: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for item in items { bytes += item.utf8; bytes.append(0) }
        return bytes
    }

    /// `ip:port` as an address and a host-order port; IPv6 addresses may be bracketed.
    static func endpoint(_ text: Substring) -> (address: [UInt8], port: UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let address = IPAddress(String(host)) else { return nil }
        return (address.bytes, port)
    }

    /// `sip:sport->dip:dport` as an IPv4 or IPv6 PT_SOCKTUPLE; anything else as a UNIX tuple with that path.
    static func tuple(_ text: String) -> [UInt8]? {
        let ends = text.components(separatedBy: "->")
        if ends.count == 2, let source = endpoint(Substring(ends[0])), let destination = endpoint(Substring(ends[1])),
           source.address.count == destination.address.count {
            return [source.address.count == 4 ? 2 : 10] + source.address + little(UInt64(source.port), width: 2)
                + destination.address + little(UInt64(destination.port), width: 2)
        }
        // A UNIX socket's path (abstract ones start with @); strace's other renderings carry no tuple.
        guard text.hasPrefix("/") || text.hasPrefix("@") else { return nil }
        return [1] + little(0, width: 8) + little(0, width: 8) + string(text)
    }

    /// The tuple of a connected IP socket from its fd.
    static func tuple(of fd: FDInfo) -> [UInt8]? {
        guard let client = fd.clientIP, let clientPort = fd.clientPort, let server = fd.serverIP, let serverPort = fd.serverPort else { return nil }
        return tuple("\(client.isV4 ? "\(client)" : "[\(client)]"):\(clientPort)->\(server.isV4 ? "\(server)" : "[\(server)]"):\(serverPort)")
    }

    /// `ip:port` as a PT_SOCKADDR; anything else as a UNIX path.
    static func sockaddr(_ text: String) -> [UInt8] {
        if let end = endpoint(Substring(text)) { return [end.address.count == 4 ? 2 : 10] + end.address + little(UInt64(end.port), width: 2) }
        return [1] + string(text)
    }
}

/// Blocks written through a buffer; a write error is remembered and reported at the end.
struct BlockOutput {
    let file: UnsafeMutablePointer<FILE>
    var buffer: [UInt8] = []
    var failed = false

    init(file: UnsafeMutablePointer<FILE>) {
        self.file = file
        buffer.reserveCapacity(1 << 20)
    }

    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let padded = (body.count + 3) & ~3
        let total = UInt32(8 + padded + 4)
        buffer += EventEncoder.little(UInt64(type), width: 4)
        buffer += EventEncoder.little(UInt64(total), width: 4)
        buffer += body
        buffer += [UInt8](repeating: 0, count: padded - body.count)
        buffer += EventEncoder.little(UInt64(total), width: 4)
        if buffer.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
        if !buffer.isEmpty, fwrite(buffer, 1, buffer.count, file) != buffer.count { failed = true }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Section header 1.2.
    mutating func sectionHeader() {
        block(0x0A0D_0D0A, EventEncoder.little(0x1A2B_3C4D, width: 4) + EventEncoder.little(1, width: 2) + EventEncoder.little(2, width: 2)
              + EventEncoder.little(UInt64.max, width: 8))
    }

    mutating func machineInfo(hostname: String, cpus: Int) {
        var name = Array(hostname.utf8.prefix(127))
        name += [UInt8](repeating: 0, count: 128 - name.count)
        block(0x201, EventEncoder.little(UInt64(cpus), width: 4) + EventEncoder.little(0, width: 8) + EventEncoder.little(4_194_304, width: 8)
              + name + EventEncoder.little(0, width: 32))
    }

    /// A user list (V1: no entry lengths, which every libscap reads).
    mutating func users(_ users: [(uid: Int64, gid: Int64, name: String, home: String, shell: String)]) {
        var body: [UInt8] = []
        for user in users {
            body.append(0)
            body += EventEncoder.little(UInt64(bitPattern: user.uid), width: 4) + EventEncoder.little(UInt64(bitPattern: user.gid), width: 4)
            for text in [user.name, user.home, user.shell] { body += short(text) }
        }
        block(0x206, body)
    }

    /// A `u16` length and the bytes of a string (not NUL-terminated).
    func short(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8.prefix(Int(UInt16.max)))
        return EventEncoder.little(UInt64(bytes.count), width: 2) + bytes
    }

    /// The process list, V9 entries with the fields libsinsp 0.29 reads (through loginuid and exe_writable).
    mutating func processes(_ threads: [ThreadInfo]) {
        var body: [UInt8] = []
        for thread in threads {
            var entry: [UInt8] = []
            for value in [thread.tid, thread.pid, thread.ptid, thread.sid ?? 0, thread.vpgid ?? thread.pgid ?? 0] {
                entry += EventEncoder.little(UInt64(bitPattern: value), width: 8)
            }
            let args = thread.args.joined(separator: "\0")
            for text in [thread.name, thread.exe, thread.exepath, args, thread.cwd ?? ""] { entry += short(text) }
            entry += EventEncoder.little(1024, width: 8)
            entry += EventEncoder.little(0, width: 4)
            entry += EventEncoder.little(UInt64(bitPattern: thread.uid ?? 0), width: 4) + EventEncoder.little(UInt64(bitPattern: thread.gid ?? 0), width: 4)
            entry += EventEncoder.little(0, width: 12) + EventEncoder.little(0, width: 16)
            entry += short(thread.env.joined(separator: "\0"))
            entry += EventEncoder.little(UInt64(bitPattern: thread.vtid ?? thread.tid), width: 8)
            entry += EventEncoder.little(UInt64(bitPattern: thread.vpid ?? thread.pid), width: 8)
            entry += short(EventEncoder.cgroups(of: thread).joined(separator: "\0")) + short("/")
            entry += EventEncoder.little(UInt64(bitPattern: thread.loginuid ?? -1), width: 4)
            entry.append(thread.isExeWritable ? 1 : 0)
            body += EventEncoder.little(UInt64(entry.count + 4), width: 4) + entry
        }
        block(0x215, body)
    }

    /// The fd list of one process (V2 entries).
    mutating func fdList(tid: Int64, fds: [FDInfo]) {
        var body = EventEncoder.little(UInt64(bitPattern: tid), width: 8)
        for fd in fds {
            var entry = EventEncoder.little(UInt64(bitPattern: fd.number), width: 8) + EventEncoder.little(UInt64(bitPattern: fd.inode ?? 0), width: 8)
            let proto: UInt8 = fd.l4proto.flatMap { [.tcp: 2, .udp: 3, .icmp: 4, .raw: 5][$0] } ?? 0
            switch fd.type {
            case .ipv4 where fd.clientIP?.isV4 == true && fd.serverIP?.isV4 == true:
                entry.append(3)
                entry += (fd.clientIP?.bytes ?? []) + (fd.serverIP?.bytes ?? [])
                entry += EventEncoder.little(UInt64(fd.clientPort ?? 0), width: 2) + EventEncoder.little(UInt64(fd.serverPort ?? 0), width: 2)
                entry.append(proto)
            case .ipv6 where fd.clientIP?.bytes.count == 16 && fd.serverIP?.bytes.count == 16:
                entry.append(4)
                entry += (fd.clientIP?.bytes ?? []) + (fd.serverIP?.bytes ?? [])
                entry += EventEncoder.little(UInt64(fd.clientPort ?? 0), width: 2) + EventEncoder.little(UInt64(fd.serverPort ?? 0), width: 2)
                entry.append(proto)
            case .unix:
                entry.append(8)
                entry += EventEncoder.little(0, width: 16) + short(fd.name)
            default:
                let code: UInt8 = [.file: 1, .directory: 2, .ipv4: 10, .ipv6: 10, .pipe: 7, .event: 9, .signalfd: 11, .eventpoll: 12, .inotify: 13,
                                   .timerfd: 14, .netlink: 15, .bpf: 17, .userfaultfd: 18, .io_uring: 19, .memfd: 20, .pidfd: 21][fd.type] ?? 10
                entry.append(code)
                entry += short(fd.name)
            }
            body += EventEncoder.little(UInt64(entry.count + 4), width: 4) + entry
        }
        block(0x218, body)
    }

    /// An event block (V2: the header carries the parameter count; lengths are 16-bit, or 32-bit for large events).
    mutating func event(_ record: EventRecord) {
        let large = ScapEventTable.info(record.type)?.flags.contains(.large) ?? false
        let width = large ? 4 : 2
        let params = record.params.map { large ? $0 : Array($0.prefix(Int(UInt16.max))) }
        let length = 26 + params.count * width + params.reduce(0) { $0 + $1.count }
        var body = EventEncoder.little(UInt64(record.cpu), width: 2)
        body += EventEncoder.little(record.timestamp, width: 8) + EventEncoder.little(UInt64(bitPattern: record.tid), width: 8)
        body += EventEncoder.little(UInt64(length), width: 4) + EventEncoder.little(UInt64(record.type), width: 2)
        body += EventEncoder.little(UInt64(params.count), width: 4)
        for param in params { body += EventEncoder.little(UInt64(param.count), width: width) }
        for param in params { body += param }
        block(0x216, body)
    }
}
