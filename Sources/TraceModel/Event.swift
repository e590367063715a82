/// One syscall event with everything Falco resolves around it: the thread that made the call, the file
/// descriptor it acts on, the container and pod the thread runs in.
///
/// Events are reference types: readers build them once and the engine only reads them, so a thread or a
/// container is shared by every event that refers to it.
public final class Event: @unchecked Sendable {
    /// 1-based event number within its trace (Falco's `evt.num`).
    public var number: UInt64
    /// Timestamp in nanoseconds since the Unix epoch (`evt.rawtime`).
    public var timestamp: UInt64
    /// Event type name (`evt.type`), e.g. `openat`, `execve`.
    public var type: String
    /// Interned code of `type` (see `EventTypes`).
    public var typeCode: Int
    /// `>` for an enter event, `<` for an exit event.
    public var direction: Direction
    /// CPU number (`evt.cpu`).
    public var cpu: Int
    /// Named parameters in the order of the event table (`evt.arg.*`, `evt.arg[N]`).
    public var params: [Param]
    /// The thread that made the call.
    public var thread: ThreadInfo?
    /// The file descriptor the event acts on, resolved (`fd.*`).
    public var fd: FDInfo?
    /// Hostname of the machine the event was recorded on (`evt.hostname`).
    public var hostname: String?

    public init(number: UInt64, timestamp: UInt64, type: String, direction: Direction = .exit, cpu: Int = 0,
                params: [Param] = [], thread: ThreadInfo? = nil, fd: FDInfo? = nil, hostname: String? = nil) {
        self.number = number
        self.timestamp = timestamp
        self.type = type
        self.typeCode = EventTypes.code(of: type)
        self.direction = direction
        self.cpu = cpu
        self.params = params
        self.thread = thread
        self.fd = fd
        self.hostname = hostname
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
    public var text: String
    public var raw: Int64?
    /// Raw bytes for buffer parameters (`data`), so `bcontains` sees non-UTF-8 bytes.
    public var bytes: [UInt8]?

    public init(name: String, text: String, raw: Int64? = nil, bytes: [UInt8]? = nil) {
        self.name = name
        self.text = text
        self.raw = raw
        self.bytes = bytes
    }

    /// A numeric parameter rendered as its decimal value.
    public static func number(_ name: String, _ value: Int64) -> Param {
        Param(name: name, text: String(value), raw: value)
    }
}

/// A thread (and the process it belongs to) as libsinsp's thread table holds it.
public final class ThreadInfo: @unchecked Sendable {
    public var tid: Int64
    public var pid: Int64
    public var ptid: Int64
    public var vtid: Int64?
    public var vpid: Int64?
    /// Session id and process-group id, with the virtual (namespace) process-group id.
    public var sid: Int64?
    public var pgid: Int64?
    public var vpgid: Int64?
    /// Command name (`proc.name`, the kernel's comm).
    public var name: String
    /// `argv[0]` (`proc.exe`).
    public var exe: String
    /// Full executable path (`proc.exepath`).
    public var exepath: String
    public var args: [String]
    public var cwd: String?
    public var env: [String]
    public var uid: Int64?
    public var gid: Int64?
    public var euid: Int64?
    public var egid: Int64?
    public var userName: String?
    public var groupName: String?
    public var homedir: String?
    public var shell: String?
    public var loginuid: Int64?
    public var loginName: String?
    /// Controlling terminal number, 0 when none (`proc.tty`).
    public var tty: Int64
    /// Capabilities as Falco renders them (`CAP_CHOWN CAP_SYS_ADMIN ...`).
    public var capPermitted: String?
    public var capEffective: String?
    public var capInheritable: String?
    /// Thread start time in ns (`proc.pid.ts`-style fields, `proc.duration`).
    public var startTimestamp: UInt64?
    public var isExeWritable: Bool
    public var isExeUpperLayer: Bool
    public var isExeFromMemfd: Bool
    public var exeInodeMtime: UInt64?
    public var exeInodeCtime: UInt64?
    /// The container this thread runs in; nil means the host.
    public var container: ContainerInfo?
    /// The parent thread, as the thread table held it when this record was made.
    public var parent: ThreadInfo?

    public init(tid: Int64, pid: Int64? = nil, ptid: Int64 = 0, name: String, exe: String? = nil,
                exepath: String? = nil, args: [String] = [], cwd: String? = nil, env: [String] = [],
                uid: Int64? = nil, gid: Int64? = nil, userName: String? = nil, groupName: String? = nil,
                loginuid: Int64? = nil, tty: Int64 = 0, container: ContainerInfo? = nil, parent: ThreadInfo? = nil) {
        self.tid = tid
        self.pid = pid ?? tid
        self.ptid = ptid
        self.name = name
        self.exe = exe ?? name
        self.exepath = exepath ?? exe ?? name
        self.args = args
        self.cwd = cwd
        self.env = env
        self.uid = uid
        self.gid = gid
        self.euid = uid
        self.egid = gid
        self.userName = userName
        self.groupName = groupName
        self.loginuid = loginuid
        self.tty = tty
        self.isExeWritable = false
        self.isExeUpperLayer = false
        self.isExeFromMemfd = false
        self.container = container
        self.parent = parent
    }

    /// `proc.cmdline`: the command name followed by the arguments.
    public var cmdline: String {
        args.isEmpty ? name : name + " " + args.joined(separator: " ")
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

/// A file descriptor with what libsinsp derives from it.
public final class FDInfo: @unchecked Sendable {
    public var number: Int64
    public var type: FDType
    /// Resolved name: absolute path for files, `cip:cport->sip:sport` for connected sockets.
    public var name: String
    /// The path exactly as the program passed it (`fd.nameraw`).
    public var nameRaw: String?
    public var l4proto: L4Proto?
    public var clientIP: IPAddress?
    public var clientPort: Int64?
    public var serverIP: IPAddress?
    public var serverPort: Int64?
    /// True when the thread is the server side of the connection (accepted the socket).
    public var isServer: Bool?
    public var isConnected: Bool?
    /// Socket family name as Falco renders it (`ip`, `ip6`, `unix`).
    public var socketFamily: String?
    public var openFlags: Int64?
    public var device: Int64?
    public var inode: Int64?
    public var isUpperLayer: Bool?
    public var nameChanged: Bool

    public init(number: Int64, type: FDType, name: String, nameRaw: String? = nil) {
        self.number = number
        self.type = type
        self.name = name
        self.nameRaw = nameRaw
        self.nameChanged = false
    }

    /// `fd.directory`: the directory part of a file path.
    public var directory: String? {
        guard type == .file || type == .directory else { return nil }
        if type == .directory { return name }
        guard let slash = name.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        if slash == name.utf8.startIndex { return "/" }
        return String(name[..<slash])
    }

    /// `fd.filename`: the last path component of a file.
    public var filename: String? {
        guard type == .file || type == .directory else { return nil }
        guard let slash = name.utf8.lastIndex(of: UInt8(ascii: "/")) else { return name }
        return String(name[name.utf8.index(after: slash)...])
    }
}

/// File descriptor types with Falco's names (`fd.type`) and type characters (`fd.typechar`).
public enum FDType: String, Sendable, CaseIterable {
    case file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, bpf
    case userfaultfd, io_uring, memfd, pidfd, unknown = "<NA>"

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
        case .unknown: "o"
        }
    }

    public var isSocket: Bool { self == .ipv4 || self == .ipv6 || self == .unix || self == .netlink }
}

/// Layer-4 protocol of a socket (`fd.l4proto`).
public enum L4Proto: String, Sendable {
    case tcp, udp, icmp, raw
}

/// A container with the fields Falco's container plugin provides.
public final class ContainerInfo: @unchecked Sendable {
    /// Short (12-character) container id, `host` for the host.
    public var id: String
    public var fullID: String?
    public var name: String
    /// Full image reference, e.g. `docker.io/library/nginx:1.27`.
    public var image: String
    public var imageRepository: String
    public var imageTag: String
    public var imageDigest: String?
    public var type: String
    public var privileged: Bool
    public var mounts: [Mount]
    /// Container start time in ns.
    public var startTimestamp: UInt64?
    public var pod: PodInfo?

    public init(id: String, name: String, image: String, imageRepository: String, imageTag: String,
                type: String = "containerd", privileged: Bool = false, mounts: [Mount] = [], pod: PodInfo? = nil) {
        self.id = id
        self.name = name
        self.image = image
        self.imageRepository = imageRepository
        self.imageTag = imageTag
        self.type = type
        self.privileged = privileged
        self.mounts = mounts
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
