import TraceModel

/// A process (or thread) as the importer follows it through the log.
final class ProcessState {
    let tid: Int64
    let pid: Int64
    var parent: ProcessState?
    var name = "<NA>"
    var exe = ""
    var exepath = ""
    var args: [String] = []
    var env: [String] = []
    var cwd: String?
    var uid: Int64
    var gid: Int64 = 0
    var loginuid: Int64
    var tty: Int64 = 0
    var container: ContainerInfo?
    var fds: FDTable
    var startTime: UInt64?
    /// True once a call of this process was read (a clone result arriving late must not replace it).
    var hasRun = false
    private var cached: ThreadInfo?

    init(tid: Int64, pid: Int64, parent: ProcessState?, uid: Int64, loginuid: Int64, fds: FDTable = FDTable()) {
        self.tid = tid
        self.pid = pid
        self.parent = parent
        self.uid = uid
        self.loginuid = loginuid
        self.fds = fds
    }

    /// After execve: the new program's name (the kernel's comm: the file name, 15 bytes), argv, env, tty.
    func exec(path: String, argv: [String], env: [String]) {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        name = String(decoding: Array(file.utf8.prefix(15)), as: UTF8.self)
        exe = argv.first ?? path
        exepath = absolute(path)
        args = Array(argv.dropFirst())
        self.env = env
        if let terminal = [0, 1, 2].lazy.compactMap({ self.fds.entry($0) }).first(where: { $0.name.hasPrefix("/dev/pts/") }),
           let minor = Int64(terminal.name.dropFirst("/dev/pts/".count)) {
            tty = 34816 + minor  // pty slaves are character devices 136:N
        } else {
            tty = 0
        }
        changed()
    }

    /// A child made by clone/fork/vfork: same credentials, cwd and program; its own or a shared fd table.
    func spawn(tid: Int64, thread: Bool, sharesFiles: Bool) -> ProcessState {
        let child = ProcessState(tid: tid, pid: thread ? pid : tid, parent: thread ? parent : self, uid: uid, loginuid: loginuid,
                                 fds: sharesFiles ? fds : fds.copy())
        child.name = name
        child.exe = exe
        child.exepath = exepath
        child.args = args
        child.env = env
        child.cwd = cwd
        child.gid = gid
        child.tty = tty
        child.container = container
        return child
    }

    func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let cwd else { return path }
        return cwd.hasSuffix("/") ? cwd + path : cwd + "/" + path
    }

    func changed() { cached = nil }

    /// The immutable view events carry; rebuilt when this process or an ancestor changed.
    func snapshot(_ sidecar: StraceSidecar) -> ThreadInfo {
        let parentSnapshot = parent?.snapshot(sidecar)
        if let cached, cached.parent === parentSnapshot { return cached }
        let made = ThreadInfo(tid: tid, pid: pid, ptid: parent?.pid ?? 0, vpid: container == nil ? nil : pid, name: name, exe: exe,
                              exepath: exepath, args: args, cwd: cwd, env: env, uid: uid, gid: gid,
                              userName: sidecar.users[uid] ?? (uid == 0 ? "root" : nil), groupName: sidecar.groups[gid] ?? (gid == 0 ? "root" : nil),
                              loginuid: loginuid, tty: tty, startTimestamp: startTime, container: container, parent: parentSnapshot)
        cached = made
        return made
    }
}

/// The file descriptors of a process (shared by threads and by CLONE_FILES children).
final class FDTable {
    private var entries: [Int64: FDInfo] = [:]
    /// The decoration each entry was last built from, to skip rebuilding it when it repeats.
    private var decorations: [Int64: String] = [:]

    func copy() -> FDTable {
        let table = FDTable()
        table.entries = entries
        table.decorations = decorations
        return table
    }

    func entry(_ number: Int64) -> FDInfo? { entries[number] }
    func set(_ number: Int64, _ info: FDInfo) {
        entries[number] = info
        decorations[number] = nil
    }

    func remove(_ number: Int64) {
        entries[number] = nil
        decorations[number] = nil
    }

    /// The descriptor `number`, updated from strace's `-yy` decoration when the line has one. The known
    /// entry is kept (same object) while the decoration agrees with it.
    func resolve(_ number: Int64, decoration: String?) -> FDInfo? {
        let known = entries[number]
        guard let decoration else { return known }
        if let known, decorations[number] == decoration { return known }
        // A file this trace opened keeps the name it was opened by: -yy shows its real path (symlinks followed),
        // libsinsp the path as opened.
        if let known, known.type == .file || known.type == .directory, known.nameRaw != nil, decoration.hasPrefix("/") {
            decorations[number] = decoration
            return known
        }
        let fresh = FDTable.info(number: number, decoration: decoration, known: known)
        decorations[number] = decoration
        if let known, known.name == fresh.name, known.type == fresh.type { return known }
        entries[number] = fresh
        return fresh
    }

    /// Builds the descriptor a decoration describes; `known` supplies what the decoration cannot say.
    static func info(number: Int64, decoration: String, known: FDInfo?) -> FDInfo {
        if decoration.hasPrefix("/") {
            var device: Int64?
            if decoration.hasSuffix(">"), let open = decoration.lastIndex(of: "<") {
                // `/dev/pts/1<char 136:1>`: the device number after the kind.
                let numbers = decoration[decoration.index(after: open)...].dropLast().split(separator: " ").last?.split(separator: ":")
                if let numbers, numbers.count == 2, let major = Int64(numbers[0]), let minor = Int64(numbers[1]) { device = major << 8 | minor }
            }
            let type: FDType = known?.type == .directory ? .directory : .file
            return FDInfo(number: number, type: type, name: StraceSyntax.path(ofDecoration: decoration), nameRaw: known?.nameRaw, device: device)
        }
        if let tuple = socketTuple(decoration), let local = StraceSyntax.endpoint(tuple.local), let remote = StraceSyntax.endpoint(tuple.remote) {
            let isServer = known?.isServer ?? false
            let (client, server) = isServer ? (remote, local) : (local, remote)
            let v6 = tuple.protocolName.hasSuffix("v6")
            return FDInfo(number: number, type: v6 ? .ipv6 : .ipv4, name: "\(client.address):\(client.port)->\(server.address):\(server.port)",
                          l4proto: tuple.protocolName.hasPrefix("TCP") ? .tcp : .udp, clientIP: client.address, clientPort: client.port,
                          serverIP: server.address, serverPort: server.port, isServer: isServer, isConnected: true)
        }
        if decoration.hasPrefix("TCP") || decoration.hasPrefix("UDP") {
            return known ?? FDInfo(number: number, type: decoration.contains("v6") ? .ipv6 : .ipv4, name: decoration,
                                   l4proto: decoration.hasPrefix("TCP") ? .tcp : .udp)
        }
        let type: FDType
        switch true {
        case decoration.hasPrefix("UNIX"): type = .unix
        case decoration.hasPrefix("pipe:"): type = .pipe
        case decoration.hasPrefix("NETLINK"): type = .netlink
        case decoration.contains("eventpoll"): type = .eventpoll
        case decoration.contains("eventfd"): type = .event
        case decoration.contains("signalfd"): type = .signalfd
        case decoration.contains("timerfd"): type = .timerfd
        case decoration.contains("inotify"): type = .inotify
        case decoration.contains("memfd:"): type = .memfd
        case decoration.contains("bpf"): type = .bpf
        case decoration.contains("pidfd"): type = .pidfd
        default: type = known?.type ?? .unknown
        }
        return FDInfo(number: number, type: type, name: decoration, l4proto: known?.l4proto)
    }

    /// `TCP:[local->remote]` (also UDP, TCPv6, UDPv6) split into its parts.
    private static func socketTuple(_ decoration: String) -> (protocolName: Substring, local: String, remote: String)? {
        guard let colon = decoration.firstIndex(of: ":"), decoration.hasSuffix("]") else { return nil }
        let protocolName = decoration[..<colon]
        guard ["TCP", "UDP", "TCPv6", "UDPv6"].contains(protocolName) else { return nil }
        let body = decoration[decoration.index(after: colon)...].dropFirst().dropLast()
        guard let arrow = body.firstRange(of: "->") else { return nil }
        return (protocolName, String(body[..<arrow.lowerBound]), String(body[arrow.upperBound...]))
    }

    /// A new socket from `socket(domain, type, proto)`.
    static func socket(number: Int64, domain: String, kind: String, protocolName: String, decoration: String?) -> FDInfo {
        let type: FDType = switch domain {
        case "AF_INET": .ipv4
        case "AF_INET6": .ipv6
        case "AF_UNIX", "AF_LOCAL": .unix
        case "AF_NETLINK": .netlink
        default: .unknown
        }
        var proto: L4Proto?
        if type == .ipv4 || type == .ipv6 {
            if protocolName.contains("ICMP") { proto = .icmp } else if kind.hasPrefix("SOCK_STREAM") { proto = .tcp }
            else if kind.hasPrefix("SOCK_DGRAM") { proto = .udp } else if kind.hasPrefix("SOCK_RAW") { proto = .raw }
        }
        return FDInfo(number: number, type: type, name: decoration ?? "", l4proto: proto, socketFamily: type == .unix ? "unix" : nil)
    }

    /// The socket `accept` returned: this side is the server.
    static func accepted(number: Int64, decoration: String?) -> FDInfo {
        let placeholder = FDInfo(number: number, type: .ipv4, name: "", isServer: true)
        return decoration.map { info(number: number, decoration: $0, known: placeholder) } ?? placeholder
    }

    func connect(_ number: Int64, _ current: FDInfo, to address: StraceSyntax.SocketAddress) -> FDInfo {
        let updated: FDInfo
        switch address {
        case .ip(let ip, let port):
            let client = current.clientIP.map { "\($0):\(current.clientPort ?? 0)" } ?? "0.0.0.0:0"
            updated = FDInfo(number: number, type: ip.isV4 ? .ipv4 : .ipv6, name: "\(client)->\(ip):\(port)", l4proto: current.l4proto,
                             clientIP: current.clientIP, clientPort: current.clientPort, serverIP: ip, serverPort: port,
                             isServer: false, isConnected: true, nameChanged: true)
        case .unix(let path):
            updated = FDInfo(number: number, type: .unix, name: path, isServer: false, isConnected: true, socketFamily: "unix", nameChanged: true)
        }
        entries[number] = updated
        return updated
    }

    func bind(_ number: Int64, _ current: FDInfo, to address: StraceSyntax.SocketAddress) -> FDInfo {
        let updated: FDInfo
        switch address {
        case .ip(let ip, let port):
            updated = FDInfo(number: number, type: ip.isV4 ? .ipv4 : .ipv6, name: "\(ip):\(port)", l4proto: current.l4proto,
                             serverIP: ip, serverPort: port, isServer: true, isConnected: false, nameChanged: true)
        case .unix(let path):
            updated = FDInfo(number: number, type: .unix, name: path, isServer: true, socketFamily: "unix", nameChanged: true)
        }
        entries[number] = updated
        return updated
    }
}

extension StraceSyntax {
    /// `["cat", "/etc/shadow"]` → its strings (a `...` for elided items is dropped).
    static func stringList(_ text: Substring) -> [String] {
        guard text.hasPrefix("["), text.hasSuffix("]") else { return [] }
        return arguments(String(text.dropFirst().dropLast())).compactMap { StraceSyntax.text($0) }
    }

    /// An address from a sockaddr strace printed.
    enum SocketAddress: CustomStringConvertible {
        case ip(IPAddress, Int64)
        case unix(String)

        var description: String {
            switch self {
            case .ip(let ip, let port): "\(ip):\(port)"
            case .unix(let path): path
            }
        }
    }

    static func socketAddress(_ text: Substring) -> SocketAddress? {
        func value(after marker: String, until end: Character) -> Substring? {
            guard let range = text.firstRange(of: marker) else { return nil }
            let rest = text[range.upperBound...]
            return rest.prefix { $0 != end }
        }
        if text.contains("AF_UNIX") || text.contains("AF_LOCAL") {
            guard let range = text.firstRange(of: "sun_path=") else { return nil }
            var path = text[range.upperBound...]
            if path.hasPrefix("@") { path = path.dropFirst() }
            return StraceSyntax.text(path).map { .unix($0) }
        }
        guard let port = (value(after: "sin_port=htons(", until: ")") ?? value(after: "sin6_port=htons(", until: ")")).flatMap({ Int64($0) }) else { return nil }
        if let address = value(after: "inet_addr(\"", until: "\""), let ip = IPAddress(String(address)) { return .ip(ip, port) }
        if let address = value(after: "inet_pton(AF_INET6, \"", until: "\""), let ip = IPAddress(String(address)) { return .ip(ip, port) }
        return nil
    }

    /// `127.0.0.1:8080` or `[::1]:8080`.
    static func endpoint(_ text: String) -> (address: IPAddress, port: Int64)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int64(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return IPAddress(host).map { ($0, port) }
    }
}

private extension String {
    func replacingQuotes() -> String {
        var text = self
        if text.hasPrefix("@") { text.removeFirst() }
        return StraceSyntax.text(Substring(text)) ?? text
    }
}
