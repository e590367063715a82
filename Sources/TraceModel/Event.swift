/// One syscall event with everything Falco resolves around it: the thread that made the call, the file
/// descriptor it acts on, the container and pod the thread runs in.
///
/// Events are reference types: readers build them once and the engine only reads them, so a thread or a
/// container is shared by every event that refers to it.
public final class Event: @unchecked Sendable {
    /// 1-based event number within its trace (Falco's `evt.num`).
    public let number: UInt64
    /// Timestamp in nanoseconds since the Unix epoch (`evt.rawtime`).
    public let timestamp: UInt64
    /// Event type name (`evt.type`), e.g. `openat`, `execve`.
    public let type: String
    /// Interned code of `type` (see `EventTypes`).
    public let typeCode: Int
    /// `>` for an enter event, `<` for an exit event.
    public let direction: Direction
    /// CPU number (`evt.cpu`).
    public let cpu: Int
    /// Named parameters in the order of the event table (`evt.arg.*`, `evt.arg[N]`). A reader may give them
    /// as a function made on first read (scap events: most are filtered without looking at their parameters);
    /// an event is read by one thread at a time.
    public var params: [Param] {
        if let storedParams { return storedParams }
        let made = paramSource?() ?? []
        storedParams = made
        return made
    }
    private var storedParams: [Param]?
    private let paramSource: (@Sendable () -> [Param])?
    /// The thread that made the call.
    public let thread: ThreadInfo?
    /// The file descriptor the event acts on, resolved (`fd.*`).
    public let fd: FDInfo?
    /// Hostname of the machine the event was recorded on (`evt.hostname`).
    public let hostname: String?
    /// The fd number the event names when the fd tables have no entry for it (`fd.num` without `fd.*`),
    /// as libsinsp keeps it: -1 on the enter event of a call that creates an fd.
    public let fdNumber: Int64?
    /// The id of the thread that made the call (`thread.tid`), also when the thread table has no entry for it.
    public let threadID: Int64?

    /// `typeCode`, when the reader has it at hand, saves interning `type` again.
    public init(number: UInt64, timestamp: UInt64, type: String, direction: Direction = .exit, cpu: Int = 0,
                params: [Param] = [], thread: ThreadInfo? = nil, fd: FDInfo? = nil, hostname: String? = nil, fdNumber: Int64? = nil,
                threadID: Int64? = nil, typeCode: Int? = nil, paramSource: (@Sendable () -> [Param])? = nil) {
        self.number = number
        self.timestamp = timestamp
        self.type = type
        self.typeCode = typeCode ?? EventTypes.code(of: type)
        self.direction = direction
        self.cpu = cpu
        self.storedParams = paramSource == nil ? params : nil
        self.paramSource = paramSource
        self.thread = thread
        self.fd = fd
        self.hostname = hostname
        self.fdNumber = fd?.number ?? fdNumber
        self.threadID = thread?.tid ?? threadID
    }

    /// The parameter with this name, if the event has it.
    @inlinable public func param(_ name: String) -> Param? {
        for param in params where param.name == name { return param }
        return nil
    }

    /// The return value (`evt.res`/`evt.rawres`): the `res` parameter, or `fd` for calls returning one.
    public var returnValue: Int64? {
        for param in params where param.name == "res" || param.name == "fd" && direction == .exit {
            if let raw = param.raw { return raw }
        }
        return nil
    }

    /// Event direction.
    public enum Direction: String, Sendable {
        case enter = ">"
        case exit = "<"
    }
}

/// An event parameter: its name, its text as Falco renders it (`evt.arg.x`) and, for numeric
/// parameters, the raw value (`evt.rawarg.x`).
public struct Param: Sendable, Equatable {
    public var name: String
    /// The rendered text, unless it is just the decimal form of `raw` (made on demand then).
    private var storedText: String?
    public var raw: Int64?
    /// Raw bytes for buffer parameters (`data`), so `bcontains` sees non-UTF-8 bytes.
    public var bytes: [UInt8]?
    /// The value before resolution when `text` is resolved (an fd's number behind `<f>/etc/passwd`, an
    /// errno's number behind `ENOENT`): `evt.args` shows both, `name=argument(text)`.
    public var argument: String?

    public init(name: String, text: String, raw: Int64? = nil, bytes: [UInt8]? = nil, argument: String? = nil) {
        self.name = name
        self.storedText = text
        self.raw = raw
        self.bytes = bytes
        self.argument = argument
    }

    /// A numeric parameter rendered as its decimal value.
    public static func number(_ name: String, _ value: Int64) -> Param {
        var param = Param(name: name, text: "", raw: value)
        param.storedText = nil
        return param
    }

    /// A buffer parameter shown as libsinsp shows buffers: printable ASCII kept, other bytes as `.` (made on demand).
    public static func buffer(_ name: String, _ bytes: [UInt8]) -> Param {
        var param = Param(name: name, text: "", bytes: bytes)
        param.storedText = nil
        return param
    }

    /// The text as Falco renders it.
    public var text: String {
        get {
            if let storedText { return storedText }
            if let raw { return String(raw) }
            if let bytes { return String(decoding: bytes.map { $0 >= 0x20 && $0 < 0x7F ? $0 : 0x2E }, as: UTF8.self) }
            return ""
        }
        set { storedText = newValue }
    }

    /// True when the text is the decimal form of the raw value (no separate text is kept).
    public var isPlainNumber: Bool { storedText == nil && raw != nil }

    public static func == (lhs: Param, rhs: Param) -> Bool {
        lhs.name == rhs.name && lhs.text == rhs.text && lhs.raw == rhs.raw && lhs.bytes == rhs.bytes && lhs.argument == rhs.argument
    }
}

/// A thread (and the process it belongs to) as libsinsp's thread table holds it. Immutable: a reader
/// makes a new value when the thread changes (execve), and events keep the state they saw.
public final class ThreadInfo: @unchecked Sendable {
    public let tid: Int64
    public let pid: Int64
    public let ptid: Int64
    public let vtid: Int64?
    public let vpid: Int64?
    /// Session id and process-group id, with the virtual (namespace) process-group id.
    public let sid: Int64?
    public let pgid: Int64?
    public let vpgid: Int64?
    /// Command name (`proc.name`, the kernel's comm).
    public let name: String
    /// `argv[0]` (`proc.exe`).
    public let exe: String
    /// Full executable path (`proc.exepath`).
    public let exepath: String
    public let args: [String]
    public let cwd: String?
    public let env: [String]
    public let uid: Int64?
    public let gid: Int64?
    public let euid: Int64?
    public let egid: Int64?
    public let userName: String?
    public let groupName: String?
    public let homedir: String?
    public let shell: String?
    public let loginuid: Int64?
    public let loginName: String?
    /// Controlling terminal number, 0 when none (`proc.tty`).
    public let tty: Int64
    /// Capabilities as Falco renders them (`CAP_CHOWN CAP_SYS_ADMIN ...`).
    public let capPermitted: String?
    public let capEffective: String?
    public let capInheritable: String?
    /// Thread start time in ns (`proc.pid.ts`, `proc.duration`).
    public let startTimestamp: UInt64?
    public let isExeWritable: Bool
    public let isExeUpperLayer: Bool
    public let isExeFromMemfd: Bool
    public let exeInodeMtime: UInt64?
    public let exeInodeCtime: UInt64?
    /// The container this thread runs in; nil means the host.
    public let container: ContainerInfo?
    /// The parent thread, as the thread table held it when this record was made.
    public let parent: ThreadInfo?
    /// `proc.cmdline`: the command name followed by the arguments.
    public let cmdline: String

    public init(tid: Int64, pid: Int64? = nil, ptid: Int64 = 0, vtid: Int64? = nil, vpid: Int64? = nil, sid: Int64? = nil,
                pgid: Int64? = nil, vpgid: Int64? = nil, name: String, exe: String? = nil, exepath: String? = nil,
                args: [String] = [], cwd: String? = nil, env: [String] = [], uid: Int64? = nil, gid: Int64? = nil,
                euid: Int64? = nil, egid: Int64? = nil, userName: String? = nil, groupName: String? = nil,
                homedir: String? = nil, shell: String? = nil, loginuid: Int64? = nil, loginName: String? = nil,
                tty: Int64 = 0, capPermitted: String? = nil, capEffective: String? = nil, capInheritable: String? = nil,
                startTimestamp: UInt64? = nil, isExeWritable: Bool = false, isExeUpperLayer: Bool = false,
                isExeFromMemfd: Bool = false, exeInodeMtime: UInt64? = nil, exeInodeCtime: UInt64? = nil,
                container: ContainerInfo? = nil, parent: ThreadInfo? = nil) {
        self.tid = tid
        self.pid = pid ?? tid
        self.ptid = ptid
        self.vtid = vtid
        self.vpid = vpid
        self.sid = sid
        self.pgid = pgid
        self.vpgid = vpgid
        self.name = name
        self.exe = exe ?? name
        self.exepath = exepath ?? exe ?? name
        self.args = args
        self.cwd = cwd
        self.env = env
        self.uid = uid
        self.gid = gid
        self.euid = euid ?? uid
        self.egid = egid ?? gid
        self.userName = userName
        self.groupName = groupName
        self.homedir = homedir
        self.shell = shell
        self.loginuid = loginuid
        self.loginName = loginName
        self.tty = tty
        self.capPermitted = capPermitted
        self.capEffective = capEffective
        self.capInheritable = capInheritable
        self.startTimestamp = startTimestamp
        self.isExeWritable = isExeWritable
        self.isExeUpperLayer = isExeUpperLayer
        self.isExeFromMemfd = isExeFromMemfd
        self.exeInodeMtime = exeInodeMtime
        self.exeInodeCtime = exeInodeCtime
        self.container = container
        self.parent = parent
        self.cmdline = args.isEmpty ? name : name + " " + args.joined(separator: " ")
    }

    /// The same thread with some fields changed (a reader following chdir, setuid, a parent's execve or a
    /// container's details learnt later); nil leaves a field as it is, and for the parent and the container a
    /// `.some(nil)` clears it.
    public func replacing(vtid: Int64? = nil, vpid: Int64? = nil, cwd: String? = nil, uid: Int64? = nil, gid: Int64? = nil,
                          userName: String? = nil, groupName: String? = nil, container: ContainerInfo?? = nil,
                          parent: ThreadInfo?? = nil) -> ThreadInfo {
        ThreadInfo(tid: tid, pid: pid, ptid: ptid, vtid: vtid ?? self.vtid, vpid: vpid ?? self.vpid, sid: sid, pgid: pgid, vpgid: vpgid, name: name, exe: exe,
                   exepath: exepath, args: args, cwd: cwd ?? self.cwd, env: env, uid: uid ?? self.uid, gid: gid ?? self.gid,
                   euid: uid ?? euid, egid: gid ?? egid, userName: userName ?? self.userName, groupName: groupName ?? self.groupName,
                   homedir: homedir, shell: shell, loginuid: loginuid, loginName: loginName, tty: tty, capPermitted: capPermitted,
                   capEffective: capEffective, capInheritable: capInheritable, startTimestamp: startTimestamp, isExeWritable: isExeWritable,
                   isExeUpperLayer: isExeUpperLayer, isExeFromMemfd: isExeFromMemfd, exeInodeMtime: exeInodeMtime,
                   exeInodeCtime: exeInodeCtime, container: container ?? self.container, parent: parent ?? self.parent)
    }

    /// The ancestor `level` steps up (0 is this thread).
    public func ancestor(_ level: Int) -> ThreadInfo? {
        var current: ThreadInfo? = self
        var remaining = level
        while remaining > 0, let thread = current {
            current = thread.parent
            remaining -= 1
        }
        return current
    }
}

/// A file descriptor with what libsinsp derives from it. Immutable once read.
public final class FDInfo: @unchecked Sendable {
    public let number: Int64
    public let type: FDType
    /// Resolved name: absolute path for files, `cip:cport->sip:sport` for connected sockets.
    public let name: String
    /// The path exactly as the program passed it (`fd.nameraw`).
    public let nameRaw: String?
    public let l4proto: L4Proto?
    public let clientIP: IPAddress?
    public let clientPort: Int64?
    public let serverIP: IPAddress?
    public let serverPort: Int64?
    /// True when the thread is the server side of the connection (accepted the socket).
    public let isServer: Bool?
    public let isConnected: Bool?
    /// Socket family name as Falco renders it (`ip`, `unix`).
    public let socketFamily: String?
    public let device: Int64?
    public let inode: Int64?
    public let isUpperLayer: Bool?
    public let nameChanged: Bool
    /// `fd.directory`: the directory part of a file path.
    public let directory: String?
    /// `fd.filename`: the last path component of a file.
    public let filename: String?

    public init(number: Int64, type: FDType, name: String, nameRaw: String? = nil, l4proto: L4Proto? = nil,
                clientIP: IPAddress? = nil, clientPort: Int64? = nil, serverIP: IPAddress? = nil, serverPort: Int64? = nil,
                isServer: Bool? = nil, isConnected: Bool? = nil, socketFamily: String? = nil, device: Int64? = nil,
                inode: Int64? = nil, isUpperLayer: Bool? = nil, nameChanged: Bool = false) {
        self.number = number
        self.type = type
        self.name = name
        self.nameRaw = nameRaw
        self.l4proto = l4proto
        self.clientIP = clientIP
        self.clientPort = clientPort
        self.serverIP = serverIP
        self.serverPort = serverPort
        self.isServer = isServer
        self.isConnected = isConnected
        self.socketFamily = socketFamily ?? (type == .ipv4 || type == .ipv6 ? "ip" : type == .unix ? "unix" : nil)
        self.device = device
        self.inode = inode
        self.isUpperLayer = isUpperLayer
        self.nameChanged = nameChanged
        // As libsinsp: a directory is its own fd.directory and has no fd.filename; a file's name splits at its last
        // slash (no slash, or only the leading one: directory "/"; no slash: filename "/"; a trailing slash keeps the
        // whole name on both sides).
        switch type {
        case .directory:
            directory = name
            filename = nil
        case .file:
            directory = FDInfo.parentDirectory(name)
            filename = FDInfo.lastComponent(name)
        default:
            directory = nil
            filename = nil
        }
    }

    /// The same descriptor under another number (a dup), marked connected, or marked for one event as renamed by it.
    public func copied(number: Int64? = nil, isConnected: Bool? = nil, nameChanged: Bool = false) -> FDInfo {
        FDInfo(number: number ?? self.number, type: type, name: name, nameRaw: nameRaw, l4proto: l4proto, clientIP: clientIP,
               clientPort: clientPort, serverIP: serverIP, serverPort: serverPort, isServer: isServer, isConnected: isConnected ?? self.isConnected,
               socketFamily: socketFamily, device: device, inode: inode, isUpperLayer: isUpperLayer, nameChanged: nameChanged)
    }

    private static func parentDirectory(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else { return "/" }
        if path.utf8.index(after: slash) == path.utf8.endIndex { return path }
        return String(path[..<slash])
    }

    private static func lastComponent(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "/" }
        if path.utf8.index(after: slash) == path.utf8.endIndex { return path }
        return String(path[path.utf8.index(after: slash)...])
    }
}

/// File descriptor types with Falco's names (`fd.type`) and type characters (`fd.typechar`).
public enum FDType: String, Sendable, CaseIterable {
    case file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, bpf
    case userfaultfd, io_uring, memfd, pidfd, unknown = "<NA>"
    /// Not a type: the stand-in for an fd the tables never saw, on the exit of a call that used it (libsinsp has no
    /// entry there, and shows the fd with no name, directory "/" and type character `o`).
    case untracked

    public var typeChar: String {
        switch self {
        case .file: "f"
        case .directory: "d"
        case .ipv4: "4"
        case .ipv6: "6"
        case .unix: "u"
        case .pipe: "p"
        case .event: "e"
        case .signalfd: "s"
        case .eventpoll: "l"
        case .inotify: "i"
        case .timerfd: "t"
        case .netlink: "n"
        case .bpf: "b"
        case .userfaultfd: "u"
        case .io_uring: "r"
        case .memfd: "m"
        case .pidfd: "P"
        case .unknown, .untracked: "o"
        }
    }

    public var isSocket: Bool { self == .ipv4 || self == .ipv6 || self == .unix || self == .netlink }
}

/// Layer-4 protocol of a socket (`fd.l4proto`).
public enum L4Proto: String, Sendable {
    case tcp, udp, icmp, raw
}

/// A container with the fields Falco's container plugin provides. Immutable once read.
public final class ContainerInfo: @unchecked Sendable {
    /// Short (12-character) container id.
    public let id: String
    public let fullID: String?
    public let name: String
    /// Full image reference, e.g. `docker.io/library/nginx:1.27`.
    public let image: String
    public let imageRepository: String
    public let imageTag: String
    public let imageDigest: String?
    public let type: String
    public let privileged: Bool
    public let mounts: [Mount]
    /// Container start time in ns.
    public let startTimestamp: UInt64?
    public let pod: PodInfo?

    public init(id: String, fullID: String? = nil, name: String, image: String, imageRepository: String, imageTag: String,
                imageDigest: String? = nil, type: String = "containerd", privileged: Bool = false, mounts: [Mount] = [],
                startTimestamp: UInt64? = nil, pod: PodInfo? = nil) {
        self.id = id
        self.fullID = fullID
        self.name = name
        self.image = image
        self.imageRepository = imageRepository
        self.imageTag = imageTag
        self.imageDigest = imageDigest
        self.type = type
        self.privileged = privileged
        self.mounts = mounts
        self.startTimestamp = startTimestamp
        self.pod = pod
    }

    /// A bind mount as the runtime reports it.
    public struct Mount: Sendable, Equatable {
        public var source: String
        public var destination: String
        public var mode: String
        public var readWrite: Bool
        public var propagation: String

        public init(source: String, destination: String, mode: String = "", readWrite: Bool = true,
                    propagation: String = "rprivate") {
            self.source = source
            self.destination = destination
            self.mode = mode
            self.readWrite = readWrite
            self.propagation = propagation
        }

        /// Falco's rendering: `source:dest:mode:rw:propagation`.
        public var rendered: String { "\(source):\(destination):\(mode):\(readWrite):\(propagation)" }
    }
}

/// The Kubernetes pod a container belongs to.
public struct PodInfo: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var uid: String?
    public var labels: [(key: String, value: String)]
    public var ip: String?

    public init(name: String, namespace: String, uid: String? = nil, labels: [(key: String, value: String)] = [], ip: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.labels = labels
        self.ip = ip
    }

    public static func == (lhs: PodInfo, rhs: PodInfo) -> Bool {
        lhs.name == rhs.name && lhs.namespace == rhs.namespace && lhs.uid == rhs.uid && lhs.ip == rhs.ip
            && lhs.labels.map { "\($0.key)=\($0.value)" } == rhs.labels.map { "\($0.key)=\($0.value)" }
    }
}

extension Event {
    /// The event as feedback and reports name it: `event 151 openat by cat[9950] on /etc/shadow`.
    public var reference: String {
        let process = thread.map { "\($0.name)[\($0.pid)]" } ?? "?"
        return "event \(number) \(type) by \(process)" + (fd.map { " on \($0.name)" } ?? "")
    }
}
