import TraceModel

/// scap events as TraceLab events, with the thread and fd tables rebuilt the way libsinsp 0.29 rebuilds
/// them. The thread table starts from the capture's process list and follows the exits of clone, fork,
/// vfork and clone3 (every generation) and of execve and execveat; each process's fd table starts from its fd
/// list (a new process copies its parent's) and follows the calls that create fds (open, openat, openat2,
/// creat, socket, accept, pipe, socketpair, dup, eventfd, signalfd, timerfd, inotify, userfaultfd),
/// names sockets by the tuples of connect, accept, sendto and recvfrom, and drops fds on close. An exit acts on
/// the fd its enter event named, as libsinsp pairs them. Every parameter is decoded by `ScapEventTable` and shown
/// as `evt.arg.*` shows it (`ScapParams`); generic `syscall` events take the name of their syscall. Internal
/// events (procinfo, drop, k8s...) are counted in `evt.num` but not yielded.
public final class ScapReader: EventStream, @unchecked Sendable {
    private let file: ScapFile
    @exclusivity(unchecked) private var threads: [Int64: ThreadInfo] = [:]
    /// Parent tid → the tids of its children in `threads`, and pid → the tids of its threads other than the main
    /// one: kept by `store` and `forget`, so an exit, an execve, a chdir or a container event looks up the
    /// threads it changes instead of scanning the table (a capture with many threads and such events stays linear).
    @exclusivity(unchecked) private var childrenIndex: [Int64: Set<Int64>] = [:]
    @exclusivity(unchecked) private var secondaryThreads: [Int64: Set<Int64>] = [:]
    /// Container id → the tids of the threads in it (a container event updates them without a scan).
    @exclusivity(unchecked) private var containerThreads: [String: Set<Int64>] = [:]

    /// Puts a thread record in the table (replacing the tid's), keeping the relatives' indexes.
    private func store(_ thread: ThreadInfo) {
        if let old = threads[thread.tid] { unindex(old) }
        threads[thread.tid] = thread
        if thread.ptid != thread.tid { childrenIndex[thread.ptid, default: []].insert(thread.tid) }
        if thread.pid != thread.tid { secondaryThreads[thread.pid, default: []].insert(thread.tid) }
        if let id = thread.container?.id { containerThreads[id, default: []].insert(thread.tid) }
    }

    /// Removes a thread from the table and the relatives' indexes.
    private func forget(_ tid: Int64) {
        guard let old = threads.removeValue(forKey: tid) else { return }
        unindex(old)
    }

    private func unindex(_ thread: ThreadInfo) {
        if thread.ptid != thread.tid { Self.remove(thread.tid, from: &childrenIndex, at: thread.ptid) }
        if thread.pid != thread.tid { Self.remove(thread.tid, from: &secondaryThreads, at: thread.pid) }
        if let id = thread.container?.id { Self.remove(thread.tid, from: &containerThreads, at: id) }
    }

    /// Takes a tid out of one of the indexes, dropping the key when nothing is left under it.
    private static func remove<Key: Hashable>(_ tid: Int64, from index: inout [Key: Set<Int64>], at key: Key) {
        index[key]?.remove(tid)
        if index[key]?.isEmpty == true { index[key] = nil }
    }
    /// Process id → fd number → descriptor.
    @exclusivity(unchecked) private var fdTables: [Int64: [Int64: FDInfo]] = [:]
    /// Process id → fd number → the layer-4 protocol of a socket that has no role yet (libsinsp shows none).
    private var unshownProtocols: [Int64: [Int64: L4Proto]] = [:]
    /// Thread id → its last enter event, which its exit event completes.
    @exclusivity(unchecked) private var lastEnter: [Int64: ScapFile.RawEvent] = [:]
    /// Thread id → the fd its last fd-using enter event named (libsinsp keeps it across other events).
    @exclusivity(unchecked) private var lastFDs: [Int64: Int64] = [:]
    /// The entry of the thread seen last, kept out of the dictionary until another thread comes (most runs of
    /// events are one thread's).
    @exclusivity(unchecked) private var lastFDThread: Int64 = Int64.min
    @exclusivity(unchecked) private var lastFDValue: Int64?

    /// The fd the thread's last fd-using enter event named (nil: none yet).
    private func lastFD(_ tid: Int64) -> Int64? {
        tid == lastFDThread ? lastFDValue : lastFDs[tid]
    }

    private func setLastFD(_ tid: Int64, _ value: Int64?) {
        if tid != lastFDThread {
            if lastFDThread != Int64.min { lastFDs[lastFDThread] = lastFDValue }
            lastFDThread = tid
        }
        lastFDValue = value
    }
    @exclusivity(unchecked) private var number: UInt64 = 0
    /// False until the first event that is not a container event: libsinsp consumes the container events a
    /// capture starts with while it opens the file (they count in `evt.num` but are not shown).
    @exclusivity(unchecked) private var pastInitialState = false
    /// Containers by short id, from the capture's container events (JSON from the container manager).
    @exclusivity(unchecked) private var containers: [String: ContainerInfo] = [:]
    /// User and group names by id, for uid and gid parameters.
    private let users: [Int64: String]
    private let groups: [Int64: String]
    /// Interned codes of event type names by scap code (generic events at 1024 + syscall id), -1 until seen.
    @exclusivity(unchecked) private var typeCodes: [Int] = []
    /// Threads their own clone exit made (the parent's exit then leaves them as they are).
    @exclusivity(unchecked) private var invertedClones: Set<Int64> = []
    public private(set) var warnings: [TraceLabError] = []
    public let traceHeader: TraceHeader?
    public var bytesRead: UInt64 { UInt64(file.offset) }

    /// Event codes of libsinsp's internal category (drop, sysdigevent, the old container event, procinfo, k8s,
    /// mesos, infra), which sysdig and Falco do not show.
    static let internalCodes: Set<UInt16> = [148, 149, 196, 197, 228, 229, 234, 235, 260, 261, 270, 271, 286, 287]

    /// `internalCodes` as a table by code, for the per-event test.
    private static let isInternal: [Bool] = (0...UInt16.max).map { internalCodes.contains($0) }

    public init(path: String) throws(TraceLabError) {
        file = try ScapFile(path: path)
        traceHeader = TraceHeader(hostname: file.machine?.hostname, source: "scap \(file.version.major).\(file.version.minor)")
        users = Dictionary(file.users.map { (Int64($0.uid), $0.name) }, uniquingKeysWith: { first, _ in first })
        groups = Dictionary(file.groups.map { (Int64($0.gid), $0.name) }, uniquingKeysWith: { first, _ in first })
        let userRecords = Dictionary(file.users.map { ($0.uid, $0) }, uniquingKeysWith: { first, _ in first })
        for process in file.processes {
            let user = userRecords[process.uid]
            store(ThreadInfo(tid: process.tid, pid: process.pid, ptid: process.ptid, vtid: process.vtid, vpid: process.vpid,
                                              sid: process.sid, name: process.comm, exe: process.exe, exepath: process.exepath,
                                              args: process.args, cwd: Self.directory(process.cwd), env: process.env, uid: Int64(process.uid), gid: Int64(process.gid),
                                              userName: user?.name, homedir: user?.home, shell: user?.shell,
                                              loginuid: Int64(Int32(bitPattern: process.loginuid)), tty: Int64(process.tty),
                                              container: container(cgroups: process.cgroups)))
        }
        // Parents are looked up by ptid, as libsinsp looks them up when a field asks.
        relink(threads.filter { threads[$0.value.ptid] == nil || $0.value.ptid == $0.key }.map(\.key).sorted())
        for list in file.fdLists {
            let pid = threads[list.tid]?.pid ?? list.tid
            for fd in list.fds { fdTables[pid, default: [:]][fd.number] = Self.descriptor(fd) }
        }
    }

    /// What the reader does with an event code, worked out once from the event table (enter and exit codes of a
    /// call share the traits that depend on the call).
    struct Traits: OptionSet {
        let rawValue: UInt8
        /// Exits that change the thread table: clone family, exec family, identity and directory changes.
        static let changesThreads = Traits(rawValue: 1)
        /// Exits that read their enter event: fd creators (paths and domains of old generations), identity and
        /// directory changes, execve (the executable's path), fcntl (its command), and calls whose enter event has
        /// no parameters (their exit names the fd itself).
        static let keepsEnter = Traits(rawValue: 2)
        /// Events read in full even when not wanted: they create fds, change threads, read their enter event,
        /// connect, or are internal or container events.
        static let changesTables = Traits(rawValue: 4)
        static let usesFD = Traits(rawValue: 8)
        static let destroysFD = Traits(rawValue: 16)
        /// Exits that name an unnamed socket by their tuple (sendto, recvfrom, sendmsg, recvmsg...).
        static let namesSocket = Traits(rawValue: 32)
        /// Exits of reads and writes (libsinsp's parse_rw_exit).
        static let readsOrWrites = Traits(rawValue: 64)
        /// Enter events with no fd whose exit uses one (setsockopt): the thread's last fd becomes -1.
        static let clearsLastFD = Traits(rawValue: 128)
    }

    /// The calls libsinsp 0.29 parses as reads and writes.
    static let readsAndWrites: Set<String> = ["read", "write", "recv", "send", "recvfrom", "recvmsg", "sendto", "sendmsg", "readv",
                                              "writev", "pread", "pwrite", "preadv", "pwritev"]

    /// Traits by event code (codes past the table have none).
    static let traits: [Traits] = ScapEventTable.events.indices.map { code in
        let info = ScapEventTable.events[code], call = ScapEventTable.events[code & ~1]
        var traits = Traits()
        if threadCreators.contains(call.name) || ["execve", "execveat", "setuid", "setresuid", "setgid", "setresgid", "chdir", "fchdir"].contains(call.name) {
            traits.insert(.changesThreads)
        }
        if call.flags.contains(.createsFD) || call.params.isEmpty || ["setuid", "setresuid", "setgid", "setresgid", "fchdir", "execve", "fcntl"].contains(call.name) {
            traits.insert(.keepsEnter)
        }
        if info.flags.contains(.usesFD) { traits.insert(.usesFD) }
        if code % 2 == 1, readsAndWrites.contains(info.name) { traits.insert(.readsOrWrites) }
        if code % 2 == 0, !info.flags.contains(.usesFD), code + 1 < ScapEventTable.events.count,
           ScapEventTable.events[code + 1].flags.contains(.usesFD) {
            traits.insert(.clearsLastFD)
        }
        if info.flags.contains(.destroysFD) { traits.insert(.destroysFD) }
        if code % 2 == 1, info.flags.contains(.usesFD), info.name != "connect", info.params.contains(where: { $0.name == "tuple" }) {
            traits.insert(.namesSocket)
        }
        if info.flags.contains(.createsFD) || !traits.isDisjoint(with: [.changesThreads, .keepsEnter]) || info.name == "connect"
            || internalCodes.contains(UInt16(code)) || code == 272 || code == 324 {
            traits.insert(.changesTables)
        }
        return traits
    }

    static func traits(_ code: UInt16) -> Traits { Int(code) < traits.count ? traits[Int(code)] : [] }

    /// The calls that make threads.
    static let threadCreators: Set<String> = ["clone", "fork", "vfork", "clone3"]

    /// Points the children of `tid` (and theirs, down the tree) at its current record: a field that asks for
    /// the parent (`proc.pname`, `proc.aname[N]`) sees the parent as it is now.
    private func relink(_ roots: [Int64]) {
        var pending = roots
        var visited = Set(roots)
        while let current = pending.popLast() {
            guard let parent = threads[current] else { continue }
            for child in childrenIndex[current] ?? [] where visited.insert(child).inserted {
                if let thread = threads[child] { threads[child] = thread.replacing(parent: .some(parent)) }
                pending.append(child)
            }
        }
    }

    /// An fd of the capture's fd lists as an fd table entry.
    static func descriptor(_ fd: ScapFile.FileDescriptor) -> FDInfo {
        let proto: L4Proto? = [2: .tcp, 3: .udp, 4: .icmp, 5: .raw][fd.l4proto]
        return FDInfo(number: fd.number, type: fdType(fd.type), name: fd.name, l4proto: proto, clientIP: fd.client.flatMap { IPAddress($0.ip) },
                      clientPort: fd.client?.port, serverIP: fd.server.flatMap { IPAddress($0.ip) }, serverPort: fd.server?.port,
                      isConnected: fd.client != nil ? true : nil)
    }

    /// A container event's JSON (`{"container": {"id", "name", "image", "imagerepo", "imagetag", "privileged"...}}`):
    /// threads whose cgroups name this id get these details.
    @discardableResult
    private func learnContainer(_ json: String) -> String? {
        guard let value = try? JSONParser.parse(Array(json.utf8)), let container = value["container"],
              case .string(let id)? = container["id"] else { return nil }
        func text(_ key: String) -> String { if case .string(let text)? = container[key] { return text }; return "" }
        let privileged: Bool = { if case .bool(let flag)? = container["privileged"] { return flag }; return false }()
        // libsinsp takes the pod from the CRI labels of the container.
        var labels: [(key: String, value: String)] = []
        if case .object(let members)? = container["labels"] {
            for (key, value) in members { if case .string(let text) = value { labels.append((key, text)) } }
        }
        func label(_ key: String) -> String? { labels.first { $0.key == key }?.value }
        let pod = label("io.kubernetes.pod.name").map { name in
            PodInfo(name: name, namespace: label("io.kubernetes.pod.namespace") ?? "", uid: label("io.kubernetes.pod.uid"),
                    labels: labels.filter { !$0.key.hasPrefix("io.kubernetes.") })
        }
        containers[id] = ContainerInfo(id: id, fullID: containers[id]?.fullID, name: text("name"), image: text("image"), imageRepository: text("imagerepo"),
                                       imageTag: text("imagetag"), imageDigest: text("imagedigest").isEmpty ? nil : text("imagedigest"),
                                       type: "docker", privileged: privileged, pod: pod)
        for tid in containerThreads[id] ?? [] {
            if let thread = threads[tid], thread.container?.id == id { threads[tid] = thread.replacing(container: .some(containers[id])) }
        }
        lastContainer = nil
        return id
    }

    /// The thread sysdig 0.29 shows on a container event read after the initial state: tid and pid -1 (vtid and vpid -2), named
    /// `container:ID`, root with loginuid 0 (a fresh thread entry), in that container (libsinsp's container_info get_tinfo).
    private func containerEventThread(_ id: String) -> ThreadInfo {
        ThreadInfo(tid: -1, pid: -1, ptid: 0, vtid: -2, vpid: -2, name: "container:" + id, exe: "", args: [], cwd: "", uid: 0, gid: 0, userName: users[0],
                   loginuid: 0, container: containers[id])
    }

    /// The container a thread's cgroups put it in (docker, CRI-O, containerd and podman layouts), nil on the host.
    func container(cgroups: [String]) -> ContainerInfo? {
        if let cached = lastContainer, cached.cgroups == cgroups { return cached.container }
        let found = findContainer(cgroups: cgroups)
        lastContainer = (cgroups, found)
        return found
    }

    /// A NUL-separated list (args, env, cgroups), from a small cache: a process's children and the programs it
    /// runs mostly repeat its environment and cgroups byte for byte.
    private func list(_ bytes: ArraySlice<UInt8>) -> [String] {
        for (index, entry) in recentLists.enumerated() where entry.bytes.elementsEqual(bytes) {
            if index > 0 { recentLists.swapAt(index, index - 1) }
            return entry.items
        }
        let items = ScapFile.list(bytes)
        if recentLists.count == 8 { recentLists.removeLast() }
        recentLists.insert((Array(bytes), items), at: min(recentLists.count, 4))
        return items
    }

    @exclusivity(unchecked) private var recentLists: [(bytes: [UInt8], items: [String])] = []

    /// The last cgroups looked up and the container they named (threads of one container share them).
    @exclusivity(unchecked) private var lastContainer: (cgroups: [String], container: ContainerInfo?)?

    private func findContainer(cgroups: [String]) -> ContainerInfo? {
        for entry in cgroups {
            let path = entry.split(separator: "=", maxSplits: 1).last.map(String.init) ?? entry
            for component in path.split(separator: "/").reversed() {
                var name = Substring(component)
                for prefix in ["docker-", "crio-", "cri-containerd-", "libpod-"] where name.hasPrefix(prefix) { name = name.dropFirst(prefix.count) }
                if name.hasSuffix(".scope") { name = name.dropLast(6) }
                if name.count == 64, name.allSatisfy(\.isHexDigit) {
                    let id = String(name.prefix(12))
                    return containers[id] ?? ContainerInfo(id: id, fullID: String(name), name: "", image: "", imageRepository: "", imageTag: "")
                }
            }
        }
        return nil
    }

    /// A working directory as libsinsp keeps it: ending with `/`.
    static func directory(_ path: String) -> String {
        path.isEmpty ? "/" : path.hasSuffix("/") ? path : path + "/"
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

    /// Calls whose exit returns a new fd of a fixed type (the fd is `res`, or the first parameter).
    static let fdCreators: [String: FDType] = [
        "eventfd": .event, "signalfd": .signalfd, "timerfd_create": .timerfd, "inotify_init": .inotify,
        "userfaultfd": .userfaultfd,
    ]

    /// When set, only events whose type it accepts become `Event`s: the others still count in `evt.num` and still
    /// move the thread and fd tables (every event that can change them is read in full), but are not built. A
    /// filter or a rule set that names its event types reads a capture several times faster so.
    /// Events read so far (capture-internal records not counted), those `wants` turned away included.
    @exclusivity(unchecked) public private(set) var eventsRead = 0

    @exclusivity(unchecked) public var wants: ((String) -> Bool)? {
        didSet {
            wanted = []
            skipper = wants == nil ? nil : { [unowned self] in self.skip($0) }
        }
    }
    /// Per scap code (generic events at 65536 + syscall id): 0 unknown, 1 wanted, 2 skipped.
    @exclusivity(unchecked) private var wanted: [UInt8] = []

    private func isWanted(type: UInt16, syscall: Int64?) -> Bool {
        var index = Int(type)
        let generic = type <= 1 && (syscall.map { $0 >= 0 && Int($0) < ScapEventTable.syscallNames.count } ?? false)
        if generic, let id = syscall { index = 65536 + Int(id) }
        // Answers already known are read from the table without touching `wants`.
        if index < wanted.count, wanted[index] != 0 { return wanted[index] == 1 }
        guard let wants else { return true }
        if wanted.isEmpty { wanted = [UInt8](repeating: 0, count: 65536 + ScapEventTable.syscallNames.count) }
        if wanted[index] == 0 {
            let name = generic ? ScapEventTable.syscallNames[index - 65536] : ScapEventTable.name(type)
            wanted[index] = wants(name) ? 1 : 2
        }
        return wanted[index] == 1
    }

    /// Handles an event the caller does not want from its header: counts it, keeps what later exits need from it
    /// (the fd a using call names, the thread's entry); false when it must be read in full.
    private func skip(_ glance: ScapFile.Glance) -> Bool {
        if exitedThread != nil { removeExitedThread() }
        // A procexit read in full is noted by `next()`; one skipped here is noted here.
        let skipped = skipUnwanted(glance)
        if skipped, glance.type == Self.procexit { exitedThread = glance.tid }
        return skipped
    }

    private func skipUnwanted(_ glance: ScapFile.Glance) -> Bool {
        // Internal events count in `evt.num` and end the initial state, as when read in full (the old container
        // event, 228, is read in full: it may be part of the initial state).
        if Self.isInternal[Int(glance.type)], glance.type != 228 {
            pastInitialState = true
            number += 1
            return true
        }
        let traits = Self.traits(glance.type)
        guard pastInitialState, !traits.contains(.changesTables), !isWanted(type: glance.type, syscall: glance.firstParameter) else { return false }
        // A tuple names a socket the tables have without a name (or not at all): read that one in full.
        if traits.contains(.namesSocket) {
            guard let entry = fdTables[process(of: glance.tid)]?[lastFD(glance.tid) ?? 0], !entry.name.isEmpty || entry.type == .file else { return false }
        }
        number += 1
        eventsRead += 1
        if glance.type % 2 == 0, traits.contains(.usesFD) { setLastFD(glance.tid, glance.firstParameter) }
        if glance.type % 2 == 0, traits.contains(.clearsLastFD) { setLastFD(glance.tid, -1) }
        // A successful close drops the fd its enter event named.
        if glance.type % 2 == 1, traits.contains(.destroysFD), let result = glance.firstParameter, result >= 0 {
            fdTables[process(of: glance.tid)]?[lastFD(glance.tid) ?? 0] = nil
        }
        // A successful read or write connects an IP socket, as when read in full.
        if glance.type % 2 == 1, traits.contains(.readsOrWrites), let result = glance.firstParameter, result >= 0 {
            markConnected(pid: process(of: glance.tid), number: lastFD(glance.tid) ?? 0)
        }
        if glance.tid != lastKnownTID, noteThread(glance.tid, type: glance.type) { lastKnownTID = glance.tid }
        return true
    }

    private func process(of tid: Int64) -> Int64 { threads[tid]?.pid ?? tid }

    /// After a successful read or write: an IP socket not yet connected becomes connected (libsinsp's parse_rw_exit);
    /// a server socket (bound: a server address and no client) is another type there and stays as it is. The new
    /// entry, nil when nothing changed.
    @discardableResult
    private func markConnected(pid: Int64, number: Int64) -> FDInfo? {
        guard let entry = fdTables[pid]?[number], entry.type == .ipv4 || entry.type == .ipv6, entry.isConnected != true,
              entry.clientIP != nil || entry.serverIP == nil else { return nil }
        let connected = entry.copied(isConnected: true)
        fdTables[pid]?[number] = connected
        return connected
    }

    /// The scap code of procexit.
    static let procexit: UInt16 = 186

    /// The thread whose procexit was the last event: libsinsp 0.29 removes it before it reads the next event.
    @exclusivity(unchecked) private var exitedThread: Int64?

    /// Removes the thread of the last procexit from the tables, as libsinsp 0.29 does: a main thread whose
    /// process still has other threads stays; a removed main thread takes its process's fd table with it; its
    /// children's parent is no longer found (`proc.pname` is absent), as a lookup by ptid finds nothing.
    private func removeExitedThread() {
        guard let tid = exitedThread else { return }
        exitedThread = nil
        guard let thread = threads[tid] else { return }
        if thread.pid == tid, secondaryThreads[tid] != nil { return }
        forget(tid)
        if thread.pid == tid {
            fdTables[tid] = nil
            unshownProtocols[tid] = nil
        }
        lastEnter[tid] = nil
        lastFDs[tid] = nil
        if lastFDThread == tid { lastFDThread = Int64.min; lastFDValue = nil }
        if lastKnownTID == tid { lastKnownTID = -2 }
        invertedClones.remove(tid)
        let children = (childrenIndex[tid] ?? []).sorted()
        for child in children { threads[child] = threads[child]?.replacing(parent: .some(nil)) }
        if !children.isEmpty { relink(children) }
    }

    /// A thread the process list did not have: libsinsp makes an entry with only its id (no namespace ids), loginuid -1
    /// and "<NA>" for its name
    /// (`proc.name = "<NA>"` selects it in sysdig 0.29), except for scheduler switches, which only look threads up.
    /// True when the thread is in the table afterwards.
    @discardableResult
    private func noteThread(_ tid: Int64, type: UInt16) -> Bool {
        guard type != 152 && type != 146, tid >= 0 else { return false }
        if threads[tid] == nil {
            store(ThreadInfo(tid: tid, pid: tid, ptid: -1, vtid: -1, vpid: -1, name: "<NA>", cwd: "", uid: 0xFFFF_FFFF, gid: 0xFFFF_FFFF,
                             loginuid: -1))
        }
        return true
    }

    /// The thread of the last skipped event that is noted in the table (saves a lookup on runs of one thread's
    /// events).
    @exclusivity(unchecked) private var lastKnownTID: Int64 = -2

    /// The skip handler handed to the file while `wants` is set (made once, when `wants` is).
    @exclusivity(unchecked) private var skipper: ((ScapFile.Glance) -> Bool)?

    public func next() throws(TraceLabError) -> Event? {
        while let raw = try file.next(handledUnread: skipper) {
            number += 1
            if exitedThread != nil { removeExitedThread() }
            if raw.type == Self.procexit { exitedThread = raw.tid }
            let isContainer = raw.type == 228 || raw.type == 272 || raw.type == 324
            let container = raw.type == 272 || raw.type == 324 ? learnContainer(ScapParams(raw: raw).string(0)) : nil
            if isContainer && !pastInitialState { continue }
            pastInitialState = true
            if Self.isInternal[Int(raw.type)] { continue }
            eventsRead += 1
            // Events read only for the tables they change are not built when not wanted.
            let build = isWanted(type: raw.type, syscall: raw.type <= 1 ? ScapParams(raw: raw).integer(0) : nil)
            if let event = convert(raw, build: build, thread: container.map(containerEventThread)) { return event }
        }
        return nil
    }

    /// The event, after the thread and fd tables have followed it; nil when `build` is false (tables only). `shown`
    /// is the thread the event is shown with when it is not its tid's (container events).
    private func convert(_ raw: ScapFile.RawEvent, build: Bool, thread shown: ThreadInfo? = nil) -> Event? {
        let info = ScapEventTable.info(raw.type)
        let name = info?.name ?? ScapEventTable.name(raw.type)
        let values = ScapParams(raw: raw)
        let traits = Self.traits(raw.type)
        let keepsEnter = traits.contains(.keepsEnter)
        let enter = raw.isEnter || !keepsEnter ? nil : lastEnter[raw.tid].flatMap { $0.type == raw.type - 1 ? $0 : nil }
        if raw.isEnter, keepsEnter { lastEnter[raw.tid] = raw }

        if !raw.isEnter, traits.contains(.changesThreads), let res = values.integer(0), res >= 0 {
            switch name {
            case "setuid", "setresuid", "setgid", "setresgid": identityExit(name, enter: enter, tid: raw.tid)
            case "chdir", "fchdir": directoryExit(name, values, info: info, enter: enter, tid: raw.tid)
            case _ where Self.threadCreators.contains(name): cloneExit(values, info: info, res: res, tid: raw.tid, at: raw.timestamp)
            case "execve", "execveat" where res == 0: execveExit(values, info: info, enter: enter, tid: raw.tid)
            default: break
            }
        }
        noteThread(raw.tid, type: raw.type)
        let thread = shown ?? threads[raw.tid]
        let pid = thread?.pid ?? raw.tid
        let flags = info?.flags ?? []

        // The fd the event acts on: an enter event's first parameter, the exit the one of its enter event.
        var fd: FDInfo?
        var fdNumber: Int64?
        // The name of the event's table entry when it was looked up: `fd.name_changed` is whether the event
        // renamed it (libsinsp compares the entry's name after parsing with its name at the lookup; an fd the
        // call creates starts with no name, a dup with its source's).
        var nameBefore: String?
        if flags.contains(.usesFD) {
            // A thread starts with fd 0 as its last fd (libsinsp initialises it so); every enter event resets it.
            // getsockopt's exit names its fd itself (libsinsp's parse_getsockopt_exit), and copy_file_range's exit
            // acts on its output fd (libsinsp's reset).
            let ownFD = raw.isEnter ? nil : name == "getsockopt" ? info?.index(of: "fd").flatMap(values.integer)
                : name == "copy_file_range" ? info?.index(of: "fdout").flatMap(values.integer) : nil
            let number = raw.isEnter ? values.integer(0) : ownFD ?? lastFD(raw.tid) ?? 0
            if raw.isEnter || ownFD != nil { setLastFD(raw.tid, number) }
            if let number {
                // An fd the tables do not know: absent on the enter event, and on the exit a number with an empty name.
                if let entry = fdTables[pid]?[number] {
                    fd = entry
                    nameBefore = entry.name
                } else if !raw.isEnter {
                    fd = FDInfo(number: number, type: .untracked, name: "")
                }
                fdNumber = number
            }
        } else if raw.isEnter, traits.contains(.clearsLastFD) {
            setLastFD(raw.tid, -1)
        } else if flags.contains(.createsFD) && raw.isEnter {
            fdNumber = -1
        }
        if !raw.isEnter, flags.contains(.createsFD) {
            if let created = createFD(name, values, info: info, enter: enter, thread: thread, pid: pid, used: nameBefore == nil ? nil : fd) {
                if name != "dup" { nameBefore = created.number < 0 ? nil : "" }
                fd = created
                fdNumber = created.number
            }
        }
        // fcntl's F_DUPFD and F_DUPFD_CLOEXEC copy a known fd to their result, which becomes the event's fd
        // (libsinsp's parse_fcntl_exit).
        if name == "fcntl", !raw.isEnter, let enter, let source = fd, nameBefore != nil,
           let command = ScapParams(raw: enter).unsigned(1), command == 1 || command == 26,
           let res = values.integer(0), res >= 0 {
            let copy = source.copied(number: res)
            fdTables[pid, default: [:]][res] = copy
            setLastFD(raw.tid, res)
            fd = copy
            fdNumber = res
        }
        // A connect to a UNIX address names the socket by its path from the enter event on.
        if raw.type == 22, let current = fd, let index = info?.index(of: "addr"), values.bytes(index).first == 1 {
            let named = FDInfo(number: current.number, type: .unix, name: ScapParams.sockaddr(values.bytes(index)))
            fdTables[pid, default: [:]][current.number] = named
            fd = named
        }
        // A successful bind names the socket by its address; an IP address with a port makes it a server socket
        // (libsinsp's parse_bind_exit).
        if name == "bind", !raw.isEnter, let current = fd, nameBefore != nil, (values.integer(0) ?? -1) >= 0,
           let index = info?.index(of: "addr"), !values.bytes(index).isEmpty {
            let bound = Self.bound(current, address: values.bytes(index), l4proto: current.l4proto ?? unshownProtocols[pid]?[current.number])
            fdTables[pid, default: [:]][current.number] = bound
            fd = bound
        }
        if !raw.isEnter, traits.contains(.readsOrWrites), let current = fd, nameBefore != nil, (values.integer(0) ?? -1) >= 0,
           let connected = markConnected(pid: pid, number: current.number) {
            fd = connected
        }
        // Tuples name sockets: connect while in progress too, sendto/recvfrom on unconnected sockets.
        if !raw.isEnter, let current = fd, current.type != .file, let index = info?.index(of: "tuple"),
           let tuple = ScapParams.socktuple(values.bytes(index)), name == "connect" || current.name.isEmpty {
            let named = Self.socket(current.number, tuple, server: false, l4proto: current.l4proto ?? unshownProtocols[pid]?[current.number])
            // A failed connect names the socket on its own event only (in progress counts as connecting).
            let result = values.integer(0) ?? 0
            if name != "connect" || result >= 0 || result == -115 {
                fdTables[pid, default: [:]][current.number] = named
            } else if nameBefore != nil {
                // The entry keeps its name, so the event did not rename it.
                nameBefore = named.name
            }
            fd = named
        }

        if let current = fd, let nameBefore, current.name != nameBefore { fd = current.copied(nameChanged: true) }
        // A successful close drops its fd (the event keeps the entry it acted on).
        if flags.contains(.destroysFD), !raw.isEnter, let fd, (values.integer(0) ?? -1) >= 0 { fdTables[pid]?[fd.number] = nil }
        guard build else { return nil }
        // Parameters are made when a field asks for them, from the event's bytes and the table entries its fd
        // and pid parameters name now. Generic events' parameters (the syscall's id) are for internal use:
        // libsinsp shows no arguments.
        var paramSource: (@Sendable () -> [Param])?
        if let info, raw.type > 1 {
            var fds: [(Int64, FDInfo)] = []
            var names: [(Int64, String)] = []
            // Pids name their thread on any event (a scheduler switch has no thread of its own); fds need the event's
            // process.
            for index in info.stateParams where index < raw.parameterCount {
                switch info.params[index].type {
                case .pid:
                    if let value = values.integer(index), let target = threads[value] { names.append((value, target.name)) }
                default:
                    guard thread != nil else { continue }
                    switch info.params[index].type {
                    case .fdlist:
                        for number in ScapParams.fdList(values.bytes(index)).map(\.fd) {
                            if let entry = fdTables[pid]?[number] { fds.append((number, entry)) }
                        }
                    default:
                        if let value = values.integer(index), value >= 0, let entry = fdTables[pid]?[value] { fds.append((value, entry)) }
                    }
                }
            }
            let renderer = ScapParamRenderer(raw: raw, info: info, thread: thread, fds: fds, threadNames: names, users: users, groups: groups)
            paramSource = { renderer.params() }
        }
        var type = name
        // Interned codes by scap code, and by syscall id for generic events (no string hashing per event).
        var cacheIndex = Int(raw.type)
        if raw.type <= 1, let id = values.unsigned(0), id < UInt64(ScapEventTable.syscallNames.count) {
            type = ScapEventTable.syscallNames[Int(id)]
            cacheIndex = 1024 + Int(id)
        }
        if cacheIndex >= typeCodes.count { typeCodes += [Int](repeating: -1, count: cacheIndex + 1 - typeCodes.count) }
        var typeCode = typeCodes[cacheIndex]
        if typeCode < 0 {
            typeCode = EventTypes.code(of: type)
            typeCodes[cacheIndex] = typeCode
        }
        let event = Event(number: number, timestamp: raw.timestamp, type: type, direction: raw.isEnter ? .enter : .exit,
                          cpu: Int(raw.cpu), thread: thread, fd: fd, hostname: traceHeader?.hostname, fdNumber: fdNumber,
                          threadID: raw.tid, typeCode: typeCode, paramSource: paramSource)
        return event
    }

    /// The entry of a new fd, put in the process's table.
    private func createFD(_ name: String, _ values: ScapParams, info: ScapEventTable.EventInfo?, enter: ScapFile.RawEvent?,
                          thread: ThreadInfo?, pid: Int64, used: FDInfo?) -> FDInfo? {
        let enterValues = enter.map(ScapParams.init)
        let enterInfo = enter.flatMap { ScapEventTable.info($0.type) }
        var created: [FDInfo] = []
        switch name {
        case "open", "openat", "openat2", "creat":
            guard let number = values.integer(0) else { return nil }
            // Old openat exits carry only the fd: the path and flags are the enter event's.
            let (source, nameIndex, flagsIndex, dirfdIndex) = info?.index(of: "name") != nil
                ? (values, info?.index(of: "name"), info?.index(of: "flags"), info?.index(of: "dirfd"))
                : (enterValues ?? values, enterInfo?.index(of: "name"), enterInfo?.index(of: "flags"), enterInfo?.index(of: "dirfd"))
            let path = nameIndex.map(source.string) ?? ""
            var base = thread?.cwd ?? "/"
            if let dirfdIndex, let dirfd = source.integer(dirfdIndex), dirfd != -100,
               let directory = fdTables[pid]?[dirfd]?.name, directory.hasPrefix("/") { base = directory }
            let openFlags = flagsIndex.flatMap(source.unsigned) ?? 0
            let opened = FDInfo(number: number, type: openFlags & (1 << 10) != 0 ? .directory : .file, name: PathNames.resolve(path, against: base), nameRaw: path)
            // A failed open still names its file (with fd.num -1, the enter's), but adds nothing to the table; libsinsp
            // takes its directory from the path, O_DIRECTORY or not.
            if number < 0 { return FDInfo(number: -1, type: .file, name: opened.name, nameRaw: path) }
            created.append(opened)
        case "socket":
            guard let number = values.integer(0), number >= 0 else { return nil }
            let domain = enterValues.flatMap { $0.integer(0) } ?? -1
            let type: FDType = [2: .ipv4, 10: .ipv6, 1: .unix, 16: .netlink][domain] ?? .unknown
            let l4proto = type == .ipv4 || type == .ipv6
                ? Self.l4proto(type: enterValues.flatMap { $0.unsigned(1) } ?? 0, proto: enterValues.flatMap { $0.unsigned(2) } ?? 0) : nil
            // Until it connects, is accepted or binds (a socket with no role), libsinsp shows a protocol only for
            // raw sockets; it keeps the protocol for the name the socket gets then.
            unshownProtocols[pid, default: [:]][number] = l4proto == .raw ? nil : l4proto
            created.append(FDInfo(number: number, type: type, name: "", l4proto: l4proto == .raw ? .raw : nil))
        case "accept":
            guard let number = values.integer(0), number >= 0 else { return nil }
            if let index = info?.index(of: "tuple"), let tuple = ScapParams.socktuple(values.bytes(index)) {
                created.append(Self.socket(number, tuple, server: true, l4proto: .tcp))
            } else {
                created.append(FDInfo(number: number, type: .unknown, name: ""))
            }
        case "pipe", "socketpair":
            guard let res = values.integer(0), res >= 0 else { return nil }
            for index in [info?.index(of: "fd1"), info?.index(of: "fd2")].compactMap({ $0 }) {
                if let number = values.integer(index) { created.append(FDInfo(number: number, type: name == "pipe" ? .pipe : .unix, name: "")) }
            }
        case "dup":
            guard let number = values.integer(0), number >= 0, let used else { return nil }
            created.append(used.copied(number: number))
        default:
            guard let type = Self.fdCreators[name], let number = values.integer(0), number >= 0 else { return nil }
            created.append(FDInfo(number: number, type: type, name: ""))
        }
        for entry in created { fdTables[pid, default: [:]][entry.number] = entry }
        // The last fd made is the event's (a pipe's or socketpair's second end: libsinsp's add_fd sets the last event fd).
        return created.last
    }

    /// A socket after a successful bind to `address` (a PT_SOCKADDR): named by it, and a server socket when it is
    /// an IP address with a port (an IPv4-mapped IPv6 address counts as IPv4).
    static func bound(_ socket: FDInfo, address: ArraySlice<UInt8>, l4proto: L4Proto?) -> FDInfo {
        let name = ScapParams.sockaddr(address)
        let body = Array(address.dropFirst())
        func port(_ at: Int) -> Int64 { Int64(body[at]) | Int64(body[at + 1]) << 8 }
        switch address.first {
        case 2 where body.count == 6 && port(4) > 0:
            return FDInfo(number: socket.number, type: .ipv4, name: name, l4proto: l4proto, serverIP: IPAddress(ScapParams.ipv4(body[0..<4])),
                          serverPort: port(4), isServer: true, isConnected: socket.isConnected)
        case 10 where body.count == 18 && port(16) > 0:
            let mapped = ScapParams.isMappedIPv4(Array(body[0..<16]))
            let ip = mapped ? ScapParams.ipv4(body[12..<16]) : ScapParams.ipv6(Array(body[0..<16]))
            return FDInfo(number: socket.number, type: mapped ? .ipv4 : .ipv6, name: name, l4proto: l4proto, serverIP: IPAddress(ip),
                          serverPort: port(16), isServer: true, isConnected: socket.isConnected)
        default:
            return FDInfo(number: socket.number, type: socket.type, name: name, l4proto: socket.l4proto, clientIP: socket.clientIP,
                          clientPort: socket.clientPort, serverIP: socket.serverIP, serverPort: socket.serverPort, isServer: socket.isServer,
                          isConnected: socket.isConnected, socketFamily: socket.socketFamily)
        }
    }

    /// A socket named by its tuple; the accepting side is the server.
    /// The layer-4 protocol libsinsp 0.29 gives an IP socket from its type and protocol (its add_socket):
    /// TCP and UDP by protocol (raw for SOCK_RAW), by type for protocol 0, ICMP, raw; unknown otherwise.
    static func l4proto(type: UInt64, proto: UInt64) -> L4Proto? {
        let raw = type == 3
        switch proto {
        case 6: return raw ? .raw : .tcp
        case 17: return raw ? .raw : .udp
        case 0: return type & 0xFF == 1 ? .tcp : type & 0xFF == 2 ? .udp : nil
        case 1: return raw ? .raw : .icmp
        case 255: return .raw
        default: return nil
        }
    }

    static func socket(_ number: Int64, _ tuple: SocketTuple, server: Bool, l4proto: L4Proto?) -> FDInfo {
        switch tuple.family {
        case .unix:
            return FDInfo(number: number, type: .unix, name: tuple.name)
        case .ipv4, .ipv6:
            // Named as libsinsp's sockinfo_to_str names it by protocol: ports for TCP and UDP, addresses only for
            // ICMP (and raw IPv4), "<unknown>" for a socket of no known protocol.
            let name = switch l4proto {
            case .tcp, .udp: tuple.name
            case .icmp: "\(tuple.source)->\(tuple.destination)"
            case .raw where tuple.family == .ipv4: "\(tuple.source)->\(tuple.destination)"
            default: "<unknown>"
            }
            return FDInfo(number: number, type: tuple.family == .ipv4 ? .ipv4 : .ipv6, name: name, l4proto: l4proto,
                          clientIP: IPAddress(tuple.source), clientPort: tuple.sourcePort, serverIP: IPAddress(tuple.destination),
                          serverPort: tuple.destinationPort, isServer: server, isConnected: true)
        }
    }

    /// clone/fork/vfork/clone3 exits, as libsinsp 0.29 reads them. The child's own exit (res = 0) creates it
    /// from the event, unless it is known ("inverted": the child ran first). The parent's exit (res = the
    /// child's tid) makes the child anew from the caller, replacing an entry the child did not make itself:
    /// same program (the event's exe, comm and args), the caller's working directory and, for a new process,
    /// a copy of its fd table; the child's pid is its tid unless CLONE_THREAD makes it a thread of the caller.
    private func cloneExit(_ values: ScapParams, info: ScapEventTable.EventInfo?, res: Int64, tid: Int64, at timestamp: UInt64) {
        let args = info?.index(of: "args").map { list(values.bytes($0)) } ?? []
        let exe = info?.index(of: "exe").map(values.string) ?? ""
        let flags = info?.index(of: "flags").flatMap(values.unsigned) ?? 0
        let isThread = flags & (1 << 13) != 0
        let cgroupContainer = info?.index(of: "cgroups").flatMap { container(cgroups: list(values.bytes($0))) }
        // The namespace ids of the thread that returned (none in older generations), and whether the clone happened in
        // a pid namespace: PPM_CL_CHILD_IN_PIDNS, or a vtid that is not the tid.
        let eventVTID = info?.index(of: "vtid").flatMap(values.integer), eventVPID = info?.index(of: "vpid").flatMap(values.integer)
        let inNamespace = flags & (1 << 29) != 0 || eventVTID.map { $0 != tid } ?? false
        if res == 0 {
            if let known = threads[tid], known.name != "<NA>" {
                // Made by its parent's exit, which could not know the ids inside the namespace.
                if inNamespace { store(known.replacing(vtid: eventVTID ?? -1, vpid: eventVPID ?? -1)) }
                return
            }
            let pid = info?.index(of: "pid").flatMap(values.integer) ?? tid
            let ptid = info?.index(of: "ptid").flatMap(values.integer) ?? 0
            let parent = threads[ptid]
            let comm = info?.index(of: "comm").map(values.string) ?? parent?.name ?? (exe.split(separator: "/").last.map(String.init) ?? exe)
            store(ThreadInfo(tid: tid, pid: pid, ptid: ptid, vtid: inNamespace ? eventVTID ?? -1 : tid, vpid: inNamespace ? eventVPID ?? -1 : pid,
                                      name: comm, exe: exe, exepath: parent?.exepath, args: args,
                                      cwd: parent?.cwd ?? info?.index(of: "cwd").map { Self.directory(values.string($0)) }, env: parent?.env ?? [],
                                      uid: info?.index(of: "uid").flatMap(values.integer) ?? parent?.uid, gid: info?.index(of: "gid").flatMap(values.integer) ?? parent?.gid,
                                      userName: parent?.userName, homedir: parent?.homedir, shell: parent?.shell,
                                      loginuid: parent?.loginuid ?? -1, tty: parent?.tty ?? 0, startTimestamp: timestamp,
                                      container: cgroupContainer ?? parent?.container, parent: parent))
            invertedClones.insert(tid)
            if !isThread, fdTables[pid] == nil, let parentPID = parent?.pid, let table = fdTables[parentPID] { fdTables[pid] = table }
            return
        }
        // A parent in a pid namespace sees only the child's id inside it: the child's own exit makes it.
        if invertedClones.contains(res) || inNamespace { return }
        let caller = threads[tid]
        let pid = isThread ? (info?.index(of: "pid").flatMap(values.integer) ?? caller?.pid ?? tid) : res
        let comm = info?.index(of: "comm").map(values.string) ?? caller?.name ?? (exe.split(separator: "/").last.map(String.init) ?? exe)
        // The executable's path is the caller's (the clone event carries only `exe`, as argv[0] has it).
        store(ThreadInfo(tid: res, pid: pid, ptid: tid, vtid: res, vpid: pid, name: comm, exe: exe, exepath: caller?.exepath, args: args,
                                  cwd: caller?.cwd, env: isThread ? [] : caller?.env ?? [], uid: info?.index(of: "uid").flatMap(values.integer) ?? caller?.uid,
                                  gid: info?.index(of: "gid").flatMap(values.integer) ?? caller?.gid, userName: caller?.userName, homedir: caller?.homedir,
                                  shell: caller?.shell, loginuid: caller?.loginuid ?? -1, tty: caller?.tty ?? 0, startTimestamp: timestamp,
                                  container: cgroupContainer ?? caller?.container, parent: caller))
        if !isThread { fdTables[res] = caller.flatMap { fdTables[$0.pid] } ?? [:] }
    }

    /// A successful setuid/setresuid (setgid/setresgid) gives the thread the user (group) its enter event named:
    /// the effective one for the res variants.
    private func identityExit(_ name: String, enter: ScapFile.RawEvent?, tid: Int64) {
        guard let enter, let thread = threads[tid] else { return }
        let info = ScapEventTable.info(enter.type)
        let values = ScapParams(raw: enter)
        let field = name.hasPrefix("setres") ? (name.hasSuffix("uid") ? "euid" : "egid") : (name.hasSuffix("uid") ? "uid" : "gid")
        guard let index = info?.index(of: field), let bits = values.identity(index) else { return }
        let value = Int64(bits)
        let isUser = name.hasSuffix("uid")
        threads[tid] = isUser ? thread.replacing(uid: value, userName: users[value]) : thread.replacing(gid: value, groupName: groups[value])
    }

    /// A successful chdir moves the process's working directory to its path (resolved against the old one);
    /// fchdir to its fd's path.
    private func directoryExit(_ name: String, _ values: ScapParams, info: ScapEventTable.EventInfo?, enter: ScapFile.RawEvent?, tid: Int64) {
        guard let thread = threads[tid] else { return }
        var target: String?
        if name == "chdir", let index = info?.index(of: "path") {
            target = PathNames.resolve(values.string(index), against: thread.cwd ?? "/")
        } else if let enter, let number = ScapParams(raw: enter).integer(0), let directory = fdTables[thread.pid]?[number]?.name, directory.hasPrefix("/") {
            target = directory
        }
        guard let target else { return }
        // Threads of a process share its working directory.
        for other in [thread.pid] + (secondaryThreads[thread.pid] ?? []) {
            if let member = threads[other], member.pid == thread.pid { threads[other] = member.replacing(cwd: Self.directory(target)) }
        }
    }

    /// execve/execveat exits replace the thread's program (a thread first seen here is created from them); the
    /// working directory stays the thread's (libsinsp does not take it from the exit, so it is unknown for a new thread).
    private func execveExit(_ values: ScapParams, info: ScapEventTable.EventInfo?, enter: ScapFile.RawEvent?, tid: Int64) {
        let previous = threads[tid]
        // The executable's path is the enter event's filename made absolute (generations that have one).
        var exepath = previous?.exepath ?? ""
        if let enter, let filename = ScapEventTable.info(enter.type)?.index(of: "filename").map(ScapParams(raw: enter).string) {
            exepath = filename.hasPrefix("<NA>") ? "<NA>" : PathNames.resolve(filename, against: previous?.cwd ?? "/")
        }
        let exe = info?.index(of: "exe").map(values.string) ?? ""
        let args = info?.index(of: "args").map { list(values.bytes($0)) } ?? []
        let comm = info?.index(of: "comm").map(values.string) ?? (exe.split(separator: "/").last.map(String.init) ?? "")
        let env = info?.index(of: "env").map { ScapFile.environment(values.bytes($0)) } ?? previous?.env ?? []
        store(ThreadInfo(tid: tid, pid: info?.index(of: "pid").flatMap(values.integer) ?? previous?.pid ?? tid,
                                  ptid: info?.index(of: "ptid").flatMap(values.integer) ?? previous?.ptid ?? 0, vtid: previous?.vtid ?? -1, vpid: previous?.vpid ?? -1,
                                  sid: previous?.sid, name: comm, exe: exe, exepath: exepath, args: args, cwd: previous?.cwd ?? "",
                                  env: env, uid: previous?.uid ?? 0xFFFF_FFFF, gid: previous?.gid ?? 0xFFFF_FFFF, userName: previous?.userName,
                                  homedir: previous?.homedir, shell: previous?.shell,
                                  loginuid: info?.index(of: "loginuid").flatMap(values.integer) ?? previous?.loginuid ?? -1,
                                  tty: info?.index(of: "tty").flatMap(values.integer) ?? previous?.tty ?? 0, startTimestamp: previous?.startTimestamp,
                                  container: info?.index(of: "cgroups").flatMap { container(cgroups: list(values.bytes($0))) }
                                      ?? previous?.container,
                                  parent: previous?.parent ?? info?.index(of: "ptid").flatMap(values.integer).flatMap { threads[$0] }))
        relink([tid])
    }
}
