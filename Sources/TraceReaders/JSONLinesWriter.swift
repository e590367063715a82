import Foundation
import TraceModel

/// Writes events in TraceLab's native JSON Lines format. Containers and threads are written as table
/// records before the first event that needs them, and again whenever a thread changes (after execve).
public struct JSONLinesWriter {
    private var writtenContainers: Set<String> = []
    /// The thread record last written for each tid (kept, so identity comparisons stay valid).
    private var writtenThreads: [Int64: ThreadInfo] = [:]

    public init() {}

    /// The header record.
    public func header(_ header: TraceHeader) -> String {
        var members: [(String, JSONValue)] = [("kind", .string("header"))]
        if let hostname = header.hostname { members.append(("hostname", .string(hostname))) }
        if let machine = header.machine { members.append(("machine", .string(machine))) }
        if let start = header.startTime { members.append(("start", .unsigned(start))) }
        if let description = header.description { members.append(("description", .string(description))) }
        if let source = header.source { members.append(("source", .string(source))) }
        return JSONValue.object(members).rendered + "\n"
    }

    /// Writes a whole stream to `file`: its header (known once the first event is read), then every event.
    /// Returns the number of events written.
    @discardableResult
    public mutating func write(_ stream: EventStream, to file: UnsafeMutablePointer<FILE>) throws(TraceLabError) -> Int {
        var written = 0
        while let event = try stream.next() {
            if written == 0, let header = stream.traceHeader { fputs(self.header(header), file) }
            fputs(lines(for: event), file)
            written += 1
        }
        return written
    }

    /// The lines for one event: any table records it needs, then the event itself.
    public mutating func lines(for event: Event) -> String {
        var out = ""
        if let thread = event.thread { out += tableRecords(for: thread) }
        var members: [(String, JSONValue)] = [
            ("num", .unsigned(event.number)), ("ts", .unsigned(event.timestamp)), ("type", .string(event.type)),
        ]
        if event.direction == .enter { members.append(("dir", .string(">"))) }
        if let thread = event.thread { members.append(("tid", .integer(thread.tid))) }
        if event.cpu != 0 { members.append(("cpu", .integer(Int64(event.cpu)))) }
        if !event.params.isEmpty {
            members.append(("args", .object(event.params.map { param in
                if let raw = param.raw, param.bytes == nil, param.isPlainNumber || param.text == String(raw) { return (param.name, .integer(raw)) }
                if param.raw == nil, param.bytes == nil { return (param.name, .string(param.text)) }
                var fields: [(String, JSONValue)] = [("text", .string(param.text))]
                if let raw = param.raw { fields.insert(("raw", .integer(raw)), at: 0) }
                if let bytes = param.bytes { fields.append(("hex", .string(Hex.encode(bytes)))) }
                return (param.name, .object(fields))
            })))
        }
        if let fd = event.fd { members.append(("fd", fdRecord(fd))) }
        return out + JSONValue.object(members).rendered + "\n"
    }

    private mutating func tableRecords(for thread: ThreadInfo) -> String {
        var out = ""
        if let parent = thread.parent, writtenThreads[parent.tid] !== parent { out += tableRecords(for: parent) }
        if let container = thread.container, !writtenContainers.contains(container.id) {
            writtenContainers.insert(container.id)
            out += containerRecord(container)
        }
        if writtenThreads[thread.tid] !== thread {
            writtenThreads[thread.tid] = thread
            out += threadRecord(thread)
        }
        return out
    }

    private func containerRecord(_ container: ContainerInfo) -> String {
        var members: [(String, JSONValue)] = [
            ("kind", .string("container")), ("id", .string(container.id)), ("name", .string(container.name)),
            ("image", .string(container.image)), ("repository", .string(container.imageRepository)),
            ("tag", .string(container.imageTag)), ("runtime", .string(container.type)), ("privileged", .bool(container.privileged)),
        ]
        if let fullID = container.fullID { members.append(("full_id", .string(fullID))) }
        if let digest = container.imageDigest { members.append(("digest", .string(digest))) }
        if let start = container.startTimestamp { members.append(("start", .unsigned(start))) }
        if !container.mounts.isEmpty {
            members.append(("mounts", .array(container.mounts.map { mount in
                .object([("source", .string(mount.source)), ("destination", .string(mount.destination)), ("mode", .string(mount.mode)),
                         ("rw", .bool(mount.readWrite)), ("propagation", .string(mount.propagation))])
            })))
        }
        if let pod = container.pod {
            var podMembers: [(String, JSONValue)] = [("name", .string(pod.name)), ("namespace", .string(pod.namespace))]
            if let uid = pod.uid { podMembers.append(("uid", .string(uid))) }
            podMembers.append(("labels", .object(pod.labels.map { ($0.key, .string($0.value)) })))
            if let ip = pod.ip { podMembers.append(("ip", .string(ip))) }
            members.append(("pod", .object(podMembers)))
        }
        return JSONValue.object(members).rendered + "\n"
    }

    private func threadRecord(_ thread: ThreadInfo) -> String {
        var members: [(String, JSONValue)] = [
            ("kind", .string("thread")), ("tid", .integer(thread.tid)), ("pid", .integer(thread.pid)), ("ptid", .integer(thread.ptid)),
            ("name", .string(thread.name)), ("exe", .string(thread.exe)), ("exepath", .string(thread.exepath)),
            ("args", .array(thread.args.map { .string($0) })),
        ]
        func add(_ key: String, _ value: Int64?) { if let value { members.append((key, .integer(value))) } }
        func add(_ key: String, _ value: String?) { if let value { members.append((key, .string(value))) } }
        add("cwd", thread.cwd)
        if !thread.env.isEmpty { members.append(("env", .array(thread.env.map { .string($0) }))) }
        add("vtid", thread.vtid); add("vpid", thread.vpid); add("sid", thread.sid); add("pgid", thread.pgid); add("vpgid", thread.vpgid)
        add("uid", thread.uid); add("gid", thread.gid)
        if thread.euid != thread.uid { add("euid", thread.euid) }
        if thread.egid != thread.gid { add("egid", thread.egid) }
        add("user", thread.userName); add("group", thread.groupName); add("home", thread.homedir); add("shell", thread.shell)
        add("loginuid", thread.loginuid); add("loginname", thread.loginName)
        if thread.tty != 0 { add("tty", thread.tty) }
        if let container = thread.container { add("container", container.id) }
        add("cap_permitted", thread.capPermitted); add("cap_effective", thread.capEffective); add("cap_inheritable", thread.capInheritable)
        if let start = thread.startTimestamp { members.append(("start", .unsigned(start))) }
        if thread.isExeWritable { members.append(("exe_writable", .bool(true))) }
        if thread.isExeUpperLayer { members.append(("exe_upper_layer", .bool(true))) }
        if thread.isExeFromMemfd { members.append(("exe_from_memfd", .bool(true))) }
        if let mtime = thread.exeInodeMtime { members.append(("exe_mtime", .unsigned(mtime))) }
        if let ctime = thread.exeInodeCtime { members.append(("exe_ctime", .unsigned(ctime))) }
        return JSONValue.object(members).rendered + "\n"
    }

    private func fdRecord(_ fd: FDInfo) -> JSONValue {
        var members: [(String, JSONValue)] = [("num", .integer(fd.number)), ("type", .string(fd.type.rawValue)), ("name", .string(fd.name))]
        if let raw = fd.nameRaw { members.append(("nameraw", .string(raw))) }
        if let proto = fd.l4proto { members.append(("l4proto", .string(proto.rawValue))) }
        if let ip = fd.clientIP { members.append(("cip", .string(ip.description))) }
        if let port = fd.clientPort { members.append(("cport", .integer(port))) }
        if let ip = fd.serverIP { members.append(("sip", .string(ip.description))) }
        if let port = fd.serverPort { members.append(("sport", .integer(port))) }
        if let server = fd.isServer { members.append(("server", .bool(server))) }
        if let connected = fd.isConnected { members.append(("connected", .bool(connected))) }
        if let family = fd.socketFamily, !(family == "ip" && (fd.type == .ipv4 || fd.type == .ipv6)) { members.append(("family", .string(family))) }
        if let dev = fd.device { members.append(("dev", .integer(dev))) }
        if let ino = fd.inode { members.append(("ino", .integer(ino))) }
        if let upper = fd.isUpperLayer { members.append(("upper_layer", .bool(upper))) }
        if fd.nameChanged { members.append(("name_changed", .bool(true))) }
        return .object(members)
    }
}
