import TraceModel

/// scap events as TraceLab events, for the event types whose parameters it knows (see `layouts`): the
/// thread table starts from the capture's process list and follows clone and execve; each process's fd
/// table starts from its fd list (a cloned process copies its parent's) and follows open, openat, pipe and
/// close; an exit event acts on the fd its enter event named,
/// as libsinsp pairs them. Internal events (procinfo, container) are counted in `evt.num` but not yielded.
/// Event types without a layout keep their name and no parameters.
public final class ScapReader: EventStream, @unchecked Sendable {
    private let file: ScapFile
    private var threads: [Int64: ThreadInfo] = [:]
    /// Process id → fd number → descriptor.
    private var fdTables: [Int64: [Int64: FDInfo]] = [:]
    /// Thread id → the fd its last enter event named, and the domain of its last socket() call.
    private var enterFD: [Int64: Int64] = [:]
    private var socketDomain: [Int64: Int64] = [:]
    private var number: UInt64 = 0
    public private(set) var warnings: [TraceLabError] = []
    public let traceHeader: TraceHeader?
    public var bytesRead: UInt64 { UInt64(file.offset) }

    /// Parameter names of the event codes this reader decodes, in file order, and how each is read.
    enum Kind { case int, string, bytes }
    static let layouts: [UInt16: [(String, Kind)]] = [
        2: [("name", .string), ("flags", .int), ("mode", .int)],
        3: [("fd", .int), ("name", .string), ("flags", .int), ("mode", .int), ("dev", .int), ("ino", .int)],
        4: [("fd", .int)], 5: [("res", .int)],
        6: [("fd", .int), ("size", .int)], 7: [("res", .int), ("data", .bytes)],
        8: [("fd", .int), ("size", .int)], 9: [("res", .int), ("data", .bytes)],
        70: [("fd", .int)], 71: [("res", .int)],
        170: [("fd", .int), ("request", .int), ("argument", .int)], 171: [("res", .int)],
        236: [("fd", .int)], 237: [("res", .int)],
        102: [("dirfd", .int), ("name", .string), ("flags", .int), ("mode", .int)],
        103: [("fd", .int), ("dirfd", .int), ("name", .string), ("flags", .int), ("mode", .int), ("dev", .int)],
        18: [("domain", .int), ("type", .int), ("proto", .int)], 19: [("fd", .int), ("domain", .int), ("type", .int), ("proto", .int), ("flags", .int)],
        22: [("fd", .int), ("addr", .bytes)], 23: [("res", .int), ("tuple", .bytes), ("fd", .int), ("addr", .bytes)],
        61: [("res", .int), ("fd1", .int), ("fd2", .int), ("ino", .int)],
        223: [("res", .int), ("exe", .string), ("args", .bytes), ("tid", .int), ("pid", .int), ("ptid", .int), ("cwd", .string), ("fdlimit", .int),
              ("pgft_maj", .int), ("pgft_min", .int), ("vm_size", .int), ("vm_rss", .int), ("vm_swap", .int), ("comm", .string), ("cgroups", .bytes),
              ("flags", .int), ("uid", .int), ("gid", .int), ("vtid", .int), ("vpid", .int)],
        231: [("res", .int), ("exe", .string), ("args", .bytes), ("tid", .int), ("pid", .int), ("ptid", .int), ("cwd", .string), ("fdlimit", .int),
              ("pgft_maj", .int), ("pgft_min", .int), ("vm_size", .int), ("vm_rss", .int), ("vm_swap", .int), ("comm", .string)],
        293: [("res", .int), ("exe", .string), ("args", .bytes), ("tid", .int), ("pid", .int), ("ptid", .int), ("cwd", .string), ("fdlimit", .int),
              ("pgft_maj", .int), ("pgft_min", .int), ("vm_size", .int), ("vm_rss", .int), ("vm_swap", .int), ("comm", .string)],
    ]
    /// Event codes whose fd is named by their first parameter (enter events) or by the enter event (exits).
    static let usesFD: Set<UInt16> = [4, 5, 6, 7, 8, 9, 22, 23, 70, 71, 170, 171, 236, 237]

    public init(path: String) throws(TraceLabError) {
        file = try ScapFile(path: path)
        traceHeader = TraceHeader(hostname: file.machine?.hostname, source: "scap \(file.version.major).\(file.version.minor)")
        let users = Dictionary(file.users.map { ($0.uid, $0) }, uniquingKeysWith: { first, _ in first })
        for process in file.processes {
            let user = users[process.uid]
            threads[process.tid] = ThreadInfo(tid: process.tid, pid: process.pid, ptid: process.ptid, vtid: process.vtid, vpid: process.vpid,
                                              sid: process.sid, name: process.comm, exe: process.exe, exepath: process.exepath.isEmpty ? nil : process.exepath,
                                              args: process.args, cwd: process.cwd, env: process.env, uid: Int64(process.uid), gid: Int64(process.gid),
                                              userName: user?.name, homedir: user?.home, shell: user?.shell, tty: Int64(process.tty))
        }
        for list in file.fdLists {
            let pid = threads[list.tid]?.pid ?? list.tid
            for fd in list.fds { fdTables[pid, default: [:]][fd.number] = FDInfo(number: fd.number, type: Self.fdType(fd.type), name: fd.name) }
        }
    }

    /// A path made absolute and normalized (`.`, `..`, repeated slashes), as libsinsp shows fd names.
    static func resolve(_ path: String, against directory: String) -> String {
        let full = path.hasPrefix("/") || path.isEmpty ? path : directory + "/" + path
        guard !full.isEmpty else { return full }
        var parts: [Substring] = []
        for part in full.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// A PT_SOCKTUPLE of the IPv4 family (1 byte family, then address and port of each end, ports in host
    /// order) as libsinsp names the socket: `a.b.c.d:port->e.f.g.h:port`. Other families are not named yet.
    static func tuple(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 13, bytes[0] == 2 else { return nil }
        func address(_ at: Int) -> String { "\(bytes[at]).\(bytes[at + 1]).\(bytes[at + 2]).\(bytes[at + 3])" }
        func port(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        return "\(address(1)):\(port(5))->\(address(7)):\(port(11))"
    }

    static func fdType(_ code: UInt8) -> FDType {
        switch code {
        case 1, 16: return .file
        case 2: return .directory
        case 3, 5: return .ipv4
        case 4, 6: return .ipv6
        case 7: return .pipe
        case 8: return .unix
        case 9: return .event
        case 11: return .signalfd
        case 12: return .eventpoll
        case 13: return .inotify
        case 14: return .timerfd
        case 15: return .netlink
        case 17: return .bpf
        case 18: return .userfaultfd
        case 19: return .io_uring
        case 20: return .memfd
        case 21: return .pidfd
        default: return .unknown
        }
    }

    public func next() throws(TraceLabError) -> Event? {
        while let raw = try file.next() {
            number += 1
            if raw.type == 234 || raw.type == 272 || raw.type == 324 { continue }
            return convert(raw)
        }
        return nil
    }

    private func integer(_ raw: ScapFile.RawEvent, _ index: Int) -> Int64? {
        guard index < raw.parameters.count else { return nil }
        let range = raw.parameters[index]
        guard !range.isEmpty, range.count <= 8 else { return nil }
        var value: UInt64 = 0
        for (shift, byte) in raw.payload[range].enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        // Sign-extend narrower fields.
        let bits = range.count * 8
        if bits < 64, value & (1 << UInt64(bits - 1)) != 0 { value |= ~((1 << UInt64(bits)) - 1) }
        return Int64(bitPattern: value)
    }

    private func bytes(_ raw: ScapFile.RawEvent, _ index: Int) -> [UInt8] {
        guard index < raw.parameters.count else { return [] }
        return Array(raw.payload[raw.parameters[index]])
    }

    private func string(_ raw: ScapFile.RawEvent, _ index: Int) -> String {
        String(decoding: bytes(raw, index).prefix { $0 != 0 }, as: UTF8.self)
    }

    private func convert(_ raw: ScapFile.RawEvent) -> Event {
        var params: [Param] = []
        if let layout = Self.layouts[raw.type] {
            for (index, (name, kind)) in layout.enumerated() where index < raw.parameters.count {
                switch kind {
                case .int:
                    if let value = integer(raw, index) { params.append(Param(name: name, text: String(value), raw: value)) }
                case .string:
                    params.append(Param(name: name, text: string(raw, index)))
                case .bytes:
                    let data = bytes(raw, index)
                    params.append(Param(name: name, text: String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self), bytes: data))
                }
            }
        }
        // execve exits replace the thread's program (a thread first seen here is created from them).
        if raw.type == 231 || raw.type == 293, let res = integer(raw, 0), res == 0 {
            let previous = threads[raw.tid]
            let args = ScapFile.list(String(decoding: bytes(raw, 2), as: UTF8.self))
            let comm = raw.parameters.count > 13 ? string(raw, 13) : (string(raw, 1).split(separator: "/").last.map(String.init) ?? "")
            let pid = integer(raw, 4) ?? previous?.pid ?? raw.tid
            threads[raw.tid] = ThreadInfo(tid: raw.tid, pid: pid, ptid: integer(raw, 5) ?? previous?.ptid ?? 0, vtid: previous?.vtid, vpid: previous?.vpid,
                                          sid: previous?.sid, name: comm, exe: string(raw, 1), args: args, cwd: string(raw, 6), env: previous?.env ?? [],
                                          uid: previous?.uid, gid: previous?.gid, userName: previous?.userName, homedir: previous?.homedir,
                                          shell: previous?.shell, tty: previous?.tty ?? 0, parent: previous?.parent)
        }
        // clone exits: the parent's (res = child's tid) and the child's (res = 0) both describe the child, which
        // gets the parent's program and, as a new process, a copy of its fd table.
        if raw.type == 223, let res = integer(raw, 0), res >= 0 {
            let child = res == 0 ? raw.tid : res
            if threads[child] == nil || threads[child]?.name == "<NA>" {
                let pid = integer(raw, 4) ?? child, ptid = integer(raw, 5) ?? 0
                let parent = threads[res == 0 ? ptid : raw.tid]
                let args = ScapFile.list(String(decoding: bytes(raw, 2), as: UTF8.self))
                threads[child] = ThreadInfo(tid: child, pid: pid, ptid: ptid, name: string(raw, 13), exe: string(raw, 1), args: args, cwd: string(raw, 6),
                                            env: parent?.env ?? [], uid: integer(raw, 16), gid: integer(raw, 17), userName: parent?.userName,
                                            homedir: parent?.homedir, shell: parent?.shell, tty: parent?.tty ?? 0, parent: parent)
                if fdTables[pid] == nil, let parentPID = parent?.pid, let table = fdTables[parentPID] { fdTables[pid] = table }
            }
        }
        // A thread the process list did not have: libsinsp makes an entry with only its id and "<NA>" for its
        // name (`proc.name = "<NA>"` selects it in sysdig 0.29).
        if threads[raw.tid] == nil, raw.tid >= 0 { threads[raw.tid] = ThreadInfo(tid: raw.tid, pid: raw.tid, name: "<NA>") }
        let thread = threads[raw.tid]
        let pid = thread?.pid ?? raw.tid
        var fd: FDInfo?
        var fdNumber: Int64? = raw.type == 2 || raw.type == 102 || raw.type == 18 ? -1 : nil
        if raw.type == 18 { socketDomain[raw.tid] = integer(raw, 0) }
        if raw.type == 19, let number = integer(raw, 0), number >= 0 {
            // PPM_AF_INET 2, PPM_AF_INET6 10, PPM_AF_LOCAL 1.
            let type: FDType = [2: .ipv4, 10: .ipv6, 1: .unix][socketDomain[raw.tid] ?? -1] ?? .unknown
            fdTables[pid, default: [:]][number] = FDInfo(number: number, type: type, name: "")
        }
        if Self.usesFD.contains(raw.type) {
            let number: Int64?
            if raw.isEnter {
                number = integer(raw, 0)
                enterFD[raw.tid] = number
            } else {
                number = enterFD[raw.tid]
            }
            if let number {
                // An fd the tables do not know: absent on the enter event, and on the exit event a number with
                // an empty name, as libsinsp shows them.
                fd = fdTables[pid]?[number] ?? (raw.isEnter ? nil : FDInfo(number: number, type: .unknown, name: ""))
                fdNumber = number
            }
        }
        if raw.type == 19, let number = integer(raw, 0), number >= 0 {
            fd = fdTables[pid]?[number]
            fdNumber = number
        }
        // A connect's tuple names its socket from then on (also while the connection is in progress).
        if raw.type == 23, let current = fd, let name = Self.tuple(bytes(raw, 1)) {
            let named = FDInfo(number: current.number, type: current.type, name: name)
            fdTables[pid, default: [:]][current.number] = named
            fd = named
        }
        if raw.type == 61, let res = integer(raw, 0), res >= 0 {
            for index in [1, 2] { if let number = integer(raw, index) { fdTables[pid, default: [:]][number] = FDInfo(number: number, type: .pipe, name: "") } }
        }
        if (raw.type == 3 || raw.type == 103), let number = integer(raw, 0), number >= 0 {
            // A relative path is resolved against the directory fd of openat, else the working directory.
            var base = thread?.cwd ?? "/"
            if raw.type == 103, let dirfd = integer(raw, 1), dirfd != -100, let directory = fdTables[pid]?[dirfd]?.name, directory.hasPrefix("/") { base = directory }
            let name = Self.resolve(string(raw, raw.type == 3 ? 1 : 2), against: base)
            let opened = FDInfo(number: number, type: .file, name: name)
            fdTables[pid, default: [:]][number] = opened
            fd = opened
        }
        let event = Event(number: number, timestamp: raw.timestamp, type: ScapEventNames.name(raw.type), direction: raw.isEnter ? .enter : .exit,
                          cpu: Int(raw.cpu), params: params, thread: thread, fd: fd, hostname: traceHeader?.hostname, fdNumber: fdNumber)
        if raw.type == 5, let fd, (integer(raw, 0) ?? -1) >= 0 { fdTables[pid]?[fd.number] = nil }
        return event
    }
}
