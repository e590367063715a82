import TraceModel

/// The catalog of every field TraceLab evaluates, with Falco's names, types and meanings. Fields that
/// Falco 5.x takes from the container plugin (`container.*`, `k8s.*`) are built in.
public struct FieldCatalog: Sendable {
    public let definitions: [FieldDefinition]
    private let byName: [String: Int]

    /// How far up the process tree ancestor fields look (`proc.aname[N]`, session and group leaders): a bound on what a
    /// trace's parent links (a cycle in a hostile one) or a condition's index can make a field walk.
    static let ancestorLimit = 64

    /// The catalog with every built-in field.
    public static let standard = FieldCatalog(definitions: FieldCatalog.builtins())

    init(definitions: [FieldDefinition]) {
        self.definitions = definitions
        var byName: [String: Int] = [:]
        for (index, definition) in definitions.enumerated() { byName[definition.name] = index }
        self.byName = byName
    }

    /// The definition of a field name (without argument), including the dot forms `evt.arg.NAME`,
    /// `evt.rawarg.NAME` and `proc.env.NAME`.
    public func definition(named name: String) -> FieldDefinition? {
        if let index = byName[name] { return definitions[index] }
        return nil
    }

    /// Resolves `name[argument]` to its type and extractor. Throws Falco's messages for unknown fields and
    /// bad arguments.
    public func resolve(_ name: String, argument: String?) throws(FieldError) -> (FieldType, Extractor) {
        for prefix in ["evt.arg.", "evt.rawarg."] where name.hasPrefix(prefix) && name.count > prefix.count {
            guard argument == nil else { throw FieldError("filter_check called with nonexistent field \(name)") }
            let base = String(prefix.dropLast())
            guard let definition = definition(named: base) else { break }
            return (definition.type, try definition.make(String(name.dropFirst(prefix.count))))
        }
        guard let definition = definition(named: name) else {
            throw FieldError("filter_check called with nonexistent field \(name)")
        }
        switch definition.argument {
        case .none:
            if argument != nil { throw FieldError("field '\(name)' does not support arguments") }
        case .index, .key:
            if argument == nil { throw FieldError("field '\(name)' requires an argument") }
        case .optionalIndex, .optionalKey:
            break
        }
        if let argument, definition.argument == .index || definition.argument == .optionalIndex {
            guard Int(argument) != nil else { throw FieldError("invalid index '\(argument)' for field '\(name)'") }
        }
        return (definition.type, try definition.make(argument))
    }
}

// MARK: - Building blocks

private func field(_ name: String, _ type: FieldType, _ description: String,
                   _ extractor: Extractor) -> FieldDefinition {
    FieldDefinition(name: name, fieldClass: String(name.prefix { $0 != "." }), type: type, argument: .none,
                    description: description, make: { _ in extractor })
}

private func fieldWithArgument(_ name: String, _ type: FieldType, _ argument: FieldArgument, _ description: String,
                               _ make: @escaping @Sendable (String?) throws(FieldError) -> Extractor) -> FieldDefinition {
    FieldDefinition(name: name, fieldClass: String(name.prefix { $0 != "." }), type: type, argument: argument,
                    description: description, make: make)
}

private func text(_ get: @escaping @Sendable (Event) -> String?) -> Extractor { .string(get) }
private func number(_ get: @escaping @Sendable (Event) -> Int64?) -> Extractor { .number(get) }
private func flag(_ get: @escaping @Sendable (Event) -> Bool?) -> Extractor { .bool(get) }

/// The open-family syscalls whose `flags` decide `evt.is_open_*`.
let openEventTypes = EventTypes.CodeSet(["open", "openat", "openat2", "open_by_handle_at", "creat"])

private func openFlags(_ event: Event) -> Int64? {
    guard openEventTypes.contains(event.typeCode), event.direction == .exit, let param = event.param("flags") else { return nil }
    return OpenFlags.value(of: param)
}

/// `evt.res` text: `SUCCESS`, or the errno name of a failure.
func resultText(_ value: Int64) -> String {
    value >= 0 ? "SUCCESS" : LinuxNames.errnoName(value) ?? "E\(value.magnitude)"
}

private func ancestorIndex(_ argument: String?) -> Int? { argument.flatMap { Int($0) } }

// MARK: - The fields

extension FieldCatalog {
    static func builtins() -> [FieldDefinition] {
        eventFields() + processFields() + userFields() + fdFields() + containerFields()
    }

    private static func eventFields() -> [FieldDefinition] {
        [
            field("evt.num", .uint64, "event number", number { Int64(bitPattern: $0.number) }),
            field("evt.time", .string, "event timestamp as a time string with nanoseconds (UTC)", text { formatEventTime($0.timestamp) }),
            field("evt.time.s", .string, "event timestamp as a time string without nanoseconds", text { String(formatEventTime($0.timestamp).prefix(8)) }),
            field("evt.time.iso8601", .string, "event timestamp in ISO 8601 with nanoseconds and time zone", text { formatISOTimeWithOffset($0.timestamp) }),
            field("evt.datetime", .string, "event timestamp as a date and time string with nanoseconds", text {
                let iso = formatISOTime($0.timestamp)
                return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).dropLast())
            }),
            field("evt.datetime.s", .string, "event timestamp as a date and time string without nanoseconds", text {
                let iso = formatISOTime($0.timestamp)
                return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8))
            }),
            field("evt.rawtime", .absTime, "absolute event timestamp, nanoseconds from epoch", number { Int64(bitPattern: $0.timestamp) }),
            field("evt.rawtime.s", .absTime, "integer part of the event timestamp (seconds)", number { Int64($0.timestamp / 1_000_000_000) }),
            field("evt.rawtime.ns", .absTime, "fractional part of the event timestamp (nanoseconds)", number { Int64($0.timestamp % 1_000_000_000) }),
            field("evt.type", .string, "name of the event (e.g. open)", text { $0.type }),
            fieldWithArgument("evt.type.is", .uint32, .key, "1 if the event type equals the argument") { argument in
                let wanted = argument ?? ""
                return number { $0.type == wanted ? 1 : 0 }
            },
            field("syscall.type", .string, "for system call events, the name of the system call", text { $0.type }),
            field("evt.dir", .string, "event direction: '>' for enter events, '<' for exit events", text { $0.direction.rawValue }),
            field("evt.cpu", .int64, "number of the CPU where the event occurred", number { Int64($0.cpu) }),
            field("evt.count", .uint32, "always 1; useful in aggregations", number { _ in 1 }),
            field("evt.source", .string, "name of the source producing the event", text { _ in "syscall" }),
            field("evt.pluginname", .string, "name of the plugin that generated the event (none for syscalls)", text { _ in nil }),
            field("evt.plugininfo", .string, "summary of a plugin event (none for syscalls)", text { _ in nil }),
            field("evt.hostname", .string, "hostname of the underlying host", text { $0.hostname }),
            field("evt.args", .string, "all the event arguments, as one string", text { event in
                // libsinsp's form: `name=value ` per argument, `name=value(resolved) ` when resolved.
                var text = ""
                for param in event.params {
                    if let argument = param.argument { text += "\(param.name)=\(argument)(\(param.text)) " } else { text += "\(param.name)=\(param.text) " }
                }
                return text
            }),
            fieldWithArgument("evt.arg", .string, .key, "one argument, by name or by number: evt.arg.fd or evt.arg[0]") { argument in
                let key = argument ?? ""
                if let index = Int(key) {
                    return .string { event in index >= 0 && index < event.params.count ? event.params[index].text : nil }
                }
                return .string { event in event.param(key)?.text }
            },
            fieldWithArgument("evt.rawarg", .int64, .key, "one argument, by name, as its raw value: evt.rawarg.res") { argument in
                let key = argument ?? ""
                if let index = Int(key) {
                    return .number { event in index >= 0 && index < event.params.count ? event.params[index].raw : nil }
                }
                return .number { event in event.param(key)?.raw }
            },
            field("evt.info", .string, "the event arguments, or a description for some events", text { event in
                event.params.map { "\($0.name)=\($0.text)" }.joined(separator: " ")
            }),
            field("evt.buffer", .byteBuffer, "the binary data buffer of I/O events", .bytes { event in
                guard let data = event.param("data") else { return nil }
                return data.bytes ?? Array(data.text.utf8)
            }),
            field("evt.buflen", .uint64, "the length of the binary data buffer", number { event in
                guard let data = event.param("data") else { return nil }
                return Int64(data.bytes?.count ?? data.text.utf8.count)
            }),
            field("evt.res", .string, "event return value as a string: SUCCESS or the error code (ENOENT...)", text { event in
                event.direction == .exit ? event.returnValue.map(resultText) : nil
            }),
            field("evt.rawres", .int64, "event return value, as a number", number { event in
                event.direction == .exit ? event.returnValue : nil
            }),
            field("evt.failed", .bool, "true for events that returned an error", flag { event in
                event.direction == .exit ? event.returnValue.map { $0 < 0 } : nil
            }),
            field("evt.is_io", .bool, "true for events that read or write to FDs", flag { ioDirection($0) != nil }),
            field("evt.is_io_read", .bool, "true for events that read from FDs", flag { ioDirection($0) == "r" }),
            field("evt.is_io_write", .bool, "true for events that write to FDs", flag { ioDirection($0) == "w" }),
            field("evt.io_dir", .string, "'r' for events that read, 'w' for events that write", text { ioDirection($0) }),
            field("evt.is_wait", .bool, "true for events that make the thread wait", flag { ["nanosleep", "select", "poll", "epoll_wait", "wait4", "futex"].contains($0.type) }),
            field("evt.is_syslog", .bool, "true for events that write to /dev/log", flag { $0.fd?.name == "/dev/log" && ioDirection($0) == "w" }),
            field("evt.is_open_read", .bool, "true for open/openat/openat2/open_by_handle_at events opened for reading", flag { event in
                openFlags(event).map { $0 & 1 != 0 } ?? false
            }),
            field("evt.is_open_write", .bool, "true for open-family events opened for writing", flag { event in
                openFlags(event).map { $0 & 2 != 0 } ?? false
            }),
            field("evt.is_open_exec", .bool, "true for open-family events that create a file with execute permissions", flag { event in
                guard let flags = openFlags(event), flags & (1 << 2) != 0, let mode = event.param("mode") else { return false }
                let value = mode.raw ?? Int64(mode.text.drop { $0 == "0" }, radix: 8) ?? 0
                return value & 0o111 != 0
            }),
            field("evt.is_open_create", .bool, "true for open-family events that created the file", flag { event in
                openFlags(event).map { $0 & (1 << 17) != 0 } ?? false
            }),
            field("evt.abspath", .path, "absolute path of the file the event acts on, resolved against dirfd", text { event in
                event.param("name")?.text ?? event.param("path")?.text ?? event.fd?.name
            }),
            fieldWithArgument("evt.around", .uint64, .index, "events around the given timestamp (not supported in replay)") { _ throws(FieldError) in
                throw FieldError("filter error: evt.around is not supported in filters")
            },
            field("fs.path.name", .path, "path name of the file system call (open, mkdir, unlink...)", text { fsPath($0) }),
            field("fs.path.nameraw", .path, "path name as passed to the call, not made absolute", text { fsPath($0) }),
            field("fs.path.source", .path, "source path of rename/link calls", text { event in
                event.param("oldpath")?.text ?? event.param("source")?.text
            }),
            field("fs.path.sourceraw", .path, "source path as passed, for rename/link calls", text { event in
                event.param("oldpath")?.text ?? event.param("source")?.text
            }),
            field("fs.path.target", .path, "target path of rename/link calls", text { event in
                event.param("newpath")?.text ?? event.param("target")?.text
            }),
            field("fs.path.targetraw", .path, "target path as passed, for rename/link calls", text { event in
                event.param("newpath")?.text ?? event.param("target")?.text
            }),
        ]
    }

    private static func processFields() -> [FieldDefinition] {
        [
            field("proc.pid", .int64, "id of the process generating the event", number { $0.thread?.pid }),
            field("proc.exe", .string, "first command-line argument (argv[0])", text { $0.thread?.exe }),
            field("proc.name", .string, "name of the executable generating the event (comm)", text { $0.thread?.name }),
            field("proc.args", .string, "command-line arguments passed on the command line", text { $0.thread?.args.joined(separator: " ") }),
            fieldWithArgument("proc.env", .string, .optionalKey, "environment variables; proc.env[NAME] for one variable") { argument in
                guard let argument else { return text { $0.thread?.env.joined(separator: " ") } }
                let prefix = argument + "="
                return text { event in
                    event.thread?.env.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
                }
            },
            field("proc.cmdline", .string, "full process command line: proc.name + proc.args", text { $0.thread?.cmdline }),
            field("proc.exeline", .string, "full process command line, with exe as first argument", text { event in
                guard let thread = event.thread else { return nil }
                return ([thread.exe] + thread.args).joined(separator: " ")
            }),
            field("proc.cmdnargs", .uint64, "number of command-line arguments", number { $0.thread.map { Int64($0.args.count) } }),
            field("proc.cmdlenargs", .uint64, "total length of the command-line arguments, spaces excluded", number { event in
                event.thread.map { Int64($0.args.reduce(0) { $0 + $1.utf8.count }) }
            }),
            field("proc.cwd", .path, "current working directory of the event", text { $0.thread?.cwd }),
            field("proc.ppid", .int64, "pid of the parent process", number { $0.thread?.parent?.pid ?? $0.thread.map(\.ptid) }),
            field("proc.pname", .string, "name of the parent process", text { $0.thread?.parent?.name }),
            field("proc.pcmdline", .string, "full command line of the parent process", text { $0.thread?.parent?.cmdline }),
            field("proc.pexe", .string, "argv[0] of the parent process", text { $0.thread?.parent?.exe }),
            field("proc.pexepath", .path, "full executable path of the parent process", text { $0.thread?.parent?.exepath }),
            field("proc.exepath", .path, "full executable path of the process", text { $0.thread?.exepath }),
            ancestorField("proc.aname", "name of an ancestor: proc.aname[1] is the parent; without index, any ancestor") { $0.name },
            ancestorField("proc.aexe", "argv[0] of an ancestor (proc.aexe[N])") { $0.exe },
            ancestorField("proc.aexepath", "executable path of an ancestor (proc.aexepath[N])") { $0.exepath },
            ancestorField("proc.acmdline", "command line of an ancestor (proc.acmdline[N])") { $0.cmdline },
            fieldWithArgument("proc.apid", .int64, .optionalIndex, "pid of an ancestor (proc.apid[N])") { argument in
                guard let level = ancestorIndex(argument) else {
                    return .anyNumber { event in ancestors(event).map { $0.map(\.pid) } }
                }
                return number { $0.thread?.ancestor(level)?.pid }
            },
            field("proc.duration", .relTime, "ns since the process started", number { event in
                // libsinsp subtracts without a guard: an event stamped before the clone that made its thread is negative.
                guard let start = event.thread?.startTimestamp else { return nil }
                return Int64(bitPattern: event.timestamp &- start)
            }),
            field("proc.ppid.duration", .relTime, "ns since the parent process started", number { event in
                guard let start = event.thread?.parent?.startTimestamp, event.timestamp >= start else { return nil }
                return Int64(event.timestamp - start)
            }),
            field("proc.pid.ts", .absTime, "start of the process as epoch timestamp in ns", number { event in
                event.thread?.startTimestamp.map { Int64(bitPattern: $0) }
            }),
            field("proc.ppid.ts", .absTime, "start of the parent process as epoch timestamp in ns", number { event in
                event.thread?.parent?.startTimestamp.map { Int64(bitPattern: $0) }
            }),
            field("proc.tty", .uint32, "controlling terminal of the process; 0 for processes without a terminal", number { $0.thread?.tty }),
            field("proc.sid", .int64, "session id of the process", number { $0.thread?.sid }),
            field("proc.sname", .string, "name of the session leader of the process", text { sessionLeader($0)?.name }),
            field("proc.sid.exe", .string, "argv[0] of the session leader", text { sessionLeader($0)?.exe }),
            field("proc.sid.exepath", .path, "executable path of the session leader", text { sessionLeader($0)?.exepath }),
            field("proc.is_sid_leader", .bool, "true if the process is the leader of its session", flag { event in
                guard let thread = event.thread, let sid = thread.sid else { return nil }
                return sid == thread.pid
            }),
            field("proc.vpgid", .int64, "process group id of the process, as seen from its pid namespace", number { $0.thread?.vpgid }),
            field("proc.vpgid.name", .string, "name of the process group leader", text { groupLeader($0)?.name }),
            field("proc.vpgid.exe", .string, "argv[0] of the process group leader", text { groupLeader($0)?.exe }),
            field("proc.vpgid.exepath", .path, "executable path of the process group leader", text { groupLeader($0)?.exepath }),
            field("proc.is_vpgid_leader", .bool, "true if the process is the leader of its process group", flag { event in
                guard let thread = event.thread, let vpgid = thread.vpgid else { return nil }
                return vpgid == (thread.vpid ?? thread.pid)
            }),
            field("proc.pgid", .int64, "process group id of the process", number { $0.thread?.pgid ?? $0.thread?.vpgid }),
            field("proc.vpid", .int64, "id of the process as seen from its pid namespace", number { $0.thread.flatMap { thread in thread.vpid.map { $0 != -1 ? $0 : nil } ?? thread.pid } }),
            field("proc.pvpid", .int64, "id of the parent process as seen from its pid namespace", number { $0.thread?.parent.map { $0.vpid ?? $0.pid } }),
            field("proc.is_container_healthcheck", .bool, "true if the process runs a container health check", flag { _ in false }),
            field("proc.is_container_liveness_probe", .bool, "true if the process runs a liveness probe", flag { _ in false }),
            field("proc.is_container_readiness_probe", .bool, "true if the process runs a readiness probe", flag { _ in false }),
            field("proc.is_exe_writable", .bool, "true if the executable is writable by the process's user", flag { $0.thread?.isExeWritable }),
            field("proc.is_exe_upper_layer", .bool, "true if the executable is in the upper layer of an overlayfs", flag { $0.thread?.isExeUpperLayer }),
            field("proc.is_exe_lower_layer", .bool, "true if the executable is in a lower layer of an overlayfs", flag { $0.thread.map { !$0.isExeUpperLayer } }),
            field("proc.is_exe_from_memfd", .bool, "true if the executable is a memfd (fileless execution)", flag { $0.thread?.isExeFromMemfd }),
            field("proc.exe_ino.mtime", .absTime, "last modification time of the executable's inode (ns)", number { event in
                event.thread?.exeInodeMtime.map { Int64(bitPattern: $0) }
            }),
            field("proc.exe_ino.ctime", .absTime, "last status change time of the executable's inode (ns)", number { event in
                event.thread?.exeInodeCtime.map { Int64(bitPattern: $0) }
            }),
            field("proc.exe_ino.ctime_duration_proc_start", .relTime, "ns between the executable's ctime and the process start", number { event in
                guard let thread = event.thread, let ctime = thread.exeInodeCtime, let start = thread.startTimestamp, start >= ctime else { return nil }
                return Int64(start - ctime)
            }),
            field("thread.tid", .int64, "id of the thread generating the event", number { $0.threadID }),
            field("thread.vtid", .int64, "id of the thread as seen from its pid namespace", number { $0.thread.flatMap { thread in thread.vtid.map { $0 != -1 ? $0 : nil } ?? thread.tid } }),
            field("thread.ismain", .bool, "true if the thread is the main thread of its process", flag { $0.thread.map { $0.tid == $0.pid } }),
            field("thread.cpu", .uint64, "CPU time used by the thread (not recorded in traces)", number { _ in nil }),
            field("thread.cap_permitted", .string, "permitted capabilities set", text { $0.thread?.capPermitted }),
            field("thread.cap_effective", .string, "effective capabilities set", text { $0.thread?.capEffective }),
            field("thread.cap_inheritable", .string, "inheritable capabilities set", text { $0.thread?.capInheritable }),
        ]
    }

    private static func userFields() -> [FieldDefinition] {
        [
            field("user.uid", .uint32, "user id", number { $0.thread?.uid }),
            field("user.name", .string, "user name", text { $0.thread?.userName }),
            field("user.homedir", .path, "home directory of the user", text { $0.thread?.homedir }),
            field("user.shell", .string, "user's shell", text { $0.thread?.shell }),
            field("user.loginuid", .int64, "audit user id (auid); -1 when not set", number { $0.thread?.loginuid }),
            field("user.loginname", .string, "audit user name (auid)", text { event in
                guard let thread = event.thread else { return nil }
                if let name = thread.loginName { return name }
                return thread.loginuid == -1 || thread.loginuid == nil ? nil : (thread.loginuid == thread.uid ? thread.userName : nil)
            }),
            field("group.gid", .uint32, "group id", number { $0.thread?.gid }),
            field("group.name", .string, "group name", text { $0.thread?.groupName }),
        ]
    }

    /// The type character libsinsp 0.29 gives the enter event of a call that creates an fd, before the fd exists
    /// (its `extract_from_null_fd`: any socket counts as IPv4 there; other creators are `o`).
    static let creatorTypeChars: [String: String] = [
        "open": "f", "openat": "f", "openat2": "f", "creat": "f", "socket": "4", "accept": "4", "accept4": "4",
        "pipe": "p", "eventfd": "e", "signalfd": "s", "timerfd_create": "t", "inotify_init": "i",
    ]

    private static func fdFields() -> [FieldDefinition] {
        [
            field("fd.num", .int64, "the unique number identifying the file descriptor", number { $0.fdNumber }),
            field("fd.type", .string, "type of FD: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, signalfd, memfd", text { event in
                event.openedFD?.type.rawValue
            }),
            field("fd.typechar", .string, "type of FD as a single character: f, 4, 6, u, p, e, s, l, i, b, m...", text { event in
                event.fdTypeChar
            }),
            field("fd.name", .path, "FD full name: the absolute path for files, the connection tuple for sockets", text { $0.fd?.name }),
            field("fd.nameraw", .path, "FD name as passed by the program, not made absolute", text { $0.fd.map { $0.nameRaw ?? $0.name } }),
            field("fd.directory", .path, "directory of the file the FD refers to", text { $0.fdDirectory }),
            field("fd.filename", .string, "file name of the file the FD refers to, without the directory", text { $0.openedFD?.filename }),
            field("fd.ip", .ipAddress, "IP address (client or server) of a socket; matches either", .anyIP { event in
                guard let fd = event.fd else { return nil }
                let values = [fd.clientIP, fd.serverIP].compactMap { $0 }
                return values.isEmpty ? nil : values
            }),
            field("fd.cip", .ipAddress, "client IP address", .ip { $0.fd?.clientIP }),
            field("fd.sip", .ipAddress, "server IP address", .ip { $0.fd?.serverIP }),
            field("fd.lip", .ipAddress, "local IP address", .ip { event in
                guard let fd = event.fd else { return nil }
                return fd.isServer == true ? fd.serverIP : fd.clientIP
            }),
            field("fd.rip", .ipAddress, "remote IP address", .ip { event in
                guard let fd = event.fd else { return nil }
                return fd.isServer == true ? fd.clientIP : fd.serverIP
            }),
            field("fd.port", .port, "port (client or server) of a socket; matches either", .anyNumber { event in
                guard let fd = event.fd else { return nil }
                let values = [fd.clientPort, fd.serverPort].compactMap { $0 }
                return values.isEmpty ? nil : values
            }),
            field("fd.cport", .port, "client port", number { $0.fd?.clientPort }),
            field("fd.sport", .port, "server port", number { $0.fd?.serverPort }),
            field("fd.lport", .port, "local port", number { event in
                guard let fd = event.fd else { return nil }
                return fd.isServer == true ? fd.serverPort : fd.clientPort
            }),
            field("fd.rport", .port, "remote port", number { event in
                guard let fd = event.fd else { return nil }
                return fd.isServer == true ? fd.clientPort : fd.serverPort
            }),
            field("fd.l4proto", .string, "IP protocol of a socket: tcp, udp, icmp or raw", text { $0.fd?.l4proto?.rawValue }),
            field("fd.sockfamily", .string, "socket family: ip or unix", text { $0.fd?.socketFamily }),
            field("fd.is_server", .bool, "true if the process is the server side of the connection", flag { $0.fd?.isServer }),
            field("fd.net", .ipNetwork, "IP network (client or server); matches either", .anyIP { event in
                guard let fd = event.fd else { return nil }
                let values = [fd.clientIP, fd.serverIP].compactMap { $0 }
                return values.isEmpty ? nil : values
            }),
            field("fd.cnet", .ipNetwork, "client IP network", .ip { $0.fd?.clientIP }),
            field("fd.snet", .ipNetwork, "server IP network", .ip { $0.fd?.serverIP }),
            field("fd.lnet", .ipNetwork, "local IP network", .ip { event in
                guard let fd = event.fd else { return nil }
                return fd.isServer == true ? fd.serverIP : fd.clientIP
            }),
            field("fd.rnet", .ipNetwork, "remote IP network", .ip { event in
                guard let fd = event.fd else { return nil }
                return fd.isServer == true ? fd.clientIP : fd.serverIP
            }),
            field("fd.connected", .bool, "true if the socket is connected (false for other fds)", flag { $0.openedFD.map { $0.isConnected ?? false } }),
            field("fd.name_changed", .bool, "true when an event changes the name of an FD (connect, bind...)", flag { $0.openedFD?.nameChanged }),
            field("fd.cip.name", .string, "domain name of the client IP (not recorded in traces)", text { _ in nil }),
            field("fd.sip.name", .string, "domain name of the server IP (not recorded in traces)", text { _ in nil }),
            field("fd.lip.name", .string, "domain name of the local IP (not recorded in traces)", text { _ in nil }),
            field("fd.rip.name", .string, "domain name of the remote IP (not recorded in traces)", text { _ in nil }),
            field("fd.dev", .uint32, "device number of the file", number { $0.fd?.device }),
            field("fd.dev.major", .uint32, "major device number", number { $0.fd?.device.map { ($0 >> 8) & 0xfff } }),
            field("fd.dev.minor", .uint32, "minor device number", number { $0.fd?.device.map { $0 & 0xff } }),
            field("fd.ino", .int64, "inode number of the file", number { $0.fd?.inode }),
            field("fd.uid", .string, "unique identifier of the FD: thread id and FD number", text { event in
                guard let fd = event.fd, let thread = event.thread else { return nil }
                return "\(thread.tid)\(fd.number)"
            }),
            field("fd.containername", .string, "container name joined with the FD name", text { event in
                guard let fd = event.fd else { return nil }
                return (event.thread?.container?.name ?? "host") + ":" + fd.name
            }),
            field("fd.containerdirectory", .string, "container name joined with the FD directory", text { event in
                guard let directory = event.fdDirectory else { return nil }
                return (event.thread?.container?.name ?? "host") + ":" + directory
            }),
            field("fd.is_upper_layer", .bool, "true if the file is in the upper layer of an overlayfs", flag { event in
                if let upper = event.fd?.isUpperLayer { return upper }
                return openFlags(event).map { $0 & (1 << 18) != 0 }
            }),
            field("fd.is_lower_layer", .bool, "true if the file is in a lower layer of an overlayfs", flag { event in
                openFlags(event).map { $0 & (1 << 19) != 0 }
            }),
            fieldWithArgument("fd.types", .string, .optionalIndex, "list of FD types the event refers to") { _ in
                .list { event in event.fd.map { [$0.type.rawValue] } }
            },
        ]
    }

    private static func containerFields() -> [FieldDefinition] {
        [
            field("container.id", .string, "container id (12 characters), 'host' for host processes", text { $0.thread.map { $0.container?.id ?? "host" } }),
            field("container.full_id", .string, "full container id, 'host' for host processes", text { event in
                event.thread.map { $0.container.map { $0.fullID ?? $0.id } ?? "host" }
            }),
            field("container.name", .string, "container name, 'host' for host processes", text { $0.thread.map { $0.container?.name ?? "host" } }),
            field("container.image", .string, "container image name (repository:tag)", text { $0.thread?.container?.image }),
            field("container.image.id", .string, "container image id", text { $0.thread?.container?.imageDigest }),
            field("container.image.repository", .string, "container image repository (e.g. docker.io/library/nginx)", text { $0.thread?.container?.imageRepository }),
            field("container.image.tag", .string, "container image tag", text { $0.thread?.container?.imageTag }),
            field("container.image.digest", .string, "container image registry digest", text { $0.thread?.container?.imageDigest }),
            field("container.type", .string, "container type: docker, containerd, cri-o...", text { $0.thread?.container?.type }),
            field("container.privileged", .bool, "true for containers running as privileged", flag { $0.thread?.container?.privileged }),
            field("container.mounts", .string, "comma-separated mounts: source:dest:mode:rdrw:propagation", text { event in
                event.thread?.container.map { $0.mounts.map(\.rendered).joined(separator: ",") }
            }),
            mountField("container.mount", "mount by index or destination glob") { $0.rendered },
            mountField("container.mount.source", "mount source, by index or destination glob") { $0.source },
            mountField("container.mount.dest", "mount destination, by index or destination glob") { $0.destination },
            mountField("container.mount.mode", "mount mode, by index or destination glob") { $0.mode },
            mountField("container.mount.rdwr", "mount read/write flag, by index or destination glob") { String($0.readWrite) },
            mountField("container.mount.propagation", "mount propagation, by index or destination glob") { $0.propagation },
            field("container.start_ts", .absTime, "container start as epoch timestamp in ns", number { event in
                event.thread?.container?.startTimestamp.map { Int64(bitPattern: $0) }
            }),
            field("container.duration", .relTime, "ns since the container started", number { event in
                guard let start = event.thread?.container?.startTimestamp, event.timestamp >= start else { return nil }
                return Int64(event.timestamp - start)
            }),
            field("container.ip", .string, "container's primary IP address", text { $0.thread?.container?.pod?.ip }),
            field("container.info", .string, "deprecated placeholder; Falco replaces it with nothing", text { _ in "" }),
            field("k8s.pod.name", .string, "Kubernetes pod name", text { $0.thread?.container?.pod?.name }),
            field("k8s.pod.id", .string, "Kubernetes pod uid", text { $0.thread?.container?.pod?.uid }),
            field("k8s.pod.uid", .string, "Kubernetes pod uid", text { $0.thread?.container?.pod?.uid }),
            field("k8s.pod.ip", .string, "Kubernetes pod IP", text { $0.thread?.container?.pod?.ip }),
            field("k8s.ns.name", .string, "Kubernetes namespace name", text { $0.thread?.container?.pod?.namespace }),
            fieldWithArgument("k8s.pod.label", .string, .key, "Kubernetes pod label, e.g. k8s.pod.label[app]") { argument in
                let key = argument ?? ""
                return text { event in event.thread?.container?.pod?.labels.first { $0.key == key }?.value }
            },
            field("k8s.pod.labels", .string, "Kubernetes pod labels as key:value, comma-separated", text { event in
                event.thread?.container?.pod.map { $0.labels.map { "\($0.key):\($0.value)" }.joined(separator: ", ") }
            }),
        ]
    }
}

private func ancestorField(_ name: String, _ description: String,
                           _ value: @escaping @Sendable (ThreadInfo) -> String) -> FieldDefinition {
    fieldWithArgument(name, .string, .optionalIndex, description) { argument in
        guard let level = ancestorIndex(argument) else {
            return .anyString { event in ancestors(event).map { $0.map(value) } }
        }
        return .string { event in event.thread?.ancestor(level).map(value) }
    }
}

private func mountField(_ name: String, _ description: String,
                        _ value: @escaping @Sendable (ContainerInfo.Mount) -> String) -> FieldDefinition {
    fieldWithArgument(name, .string, .key, description) { argument in
        let key = argument ?? ""
        if let index = Int(key) {
            return .string { event in
                guard let mounts = event.thread?.container?.mounts, index >= 0, index < mounts.count else { return nil }
                return value(mounts[index])
            }
        }
        return .string { event in
            event.thread?.container?.mounts.first { Glob.matches(pattern: key, $0.destination) }.map(value)
        }
    }
}

/// The ancestors of the event's thread, parent first; nil without a thread.
private func ancestors(_ event: Event) -> [ThreadInfo]? {
    guard let thread = event.thread else { return nil }
    var result: [ThreadInfo] = []
    var current = thread.parent
    while let ancestor = current, result.count < FieldCatalog.ancestorLimit {
        result.append(ancestor)
        current = ancestor.parent
    }
    // No ancestor: the field has no value (`proc.aname exists` is false), as in libsinsp.
    return result.isEmpty ? nil : result
}

private func sessionLeader(_ event: Event) -> ThreadInfo? {
    guard let thread = event.thread, let sid = thread.sid else { return nil }
    var current: ThreadInfo? = thread
    var steps = 0
    while let candidate = current, steps < FieldCatalog.ancestorLimit {
        if candidate.pid == sid { return candidate }
        current = candidate.parent
        steps += 1
    }
    return nil
}

private func groupLeader(_ event: Event) -> ThreadInfo? {
    guard let thread = event.thread, let vpgid = thread.vpgid else { return nil }
    var current: ThreadInfo? = thread
    var steps = 0
    while let candidate = current, steps < FieldCatalog.ancestorLimit {
        if (candidate.vpid ?? candidate.pid) == vpgid { return candidate }
        current = candidate.parent
        steps += 1
    }
    return nil
}

private let readTypes = EventTypes.CodeSet(["read", "readv", "pread", "pread64", "preadv", "preadv2", "recv", "recvfrom", "recvmsg", "recvmmsg"])
private let writeTypes = EventTypes.CodeSet(["write", "writev", "pwrite", "pwrite64", "pwritev", "pwritev2", "send", "sendto", "sendmsg", "sendmmsg", "sendfile"])

private func ioDirection(_ event: Event) -> String? {
    if readTypes.contains(event.typeCode) { return "r" }
    if writeTypes.contains(event.typeCode) { return "w" }
    return nil
}

private func fsPath(_ event: Event) -> String? {
    for name in ["name", "path", "pathname", "filename"] {
        if let param = event.param(name) { return param.text }
    }
    return nil
}

extension Event {
    /// The event's fd when the tables know it, as libsinsp 0.29 has an fd entry: a call that failed to create
    /// one (a failed open, number -1) carries the fd it would have made, whose name and directory libsinsp still
    /// shows (from the call's arguments), and an exit on an fd the tables never saw carries a nameless,
    /// typeless placeholder; neither has a type, file name or connection state there.
    var openedFD: FDInfo? { fd.flatMap { $0.number < 0 || $0.isUntracked ? nil : $0 } }

    /// `fd.directory` as libsinsp 0.29 extracts it: an exit on an fd the tables never saw has the name "", whose
    /// directory is "/" (its `extract_from_null_fd`).
    var fdDirectory: String? { fd.flatMap { $0.isUntracked ? "/" : $0.directory } }

    /// `fd.typechar` as libsinsp 0.29 extracts it: with no fd in the tables, the enter event of a call that creates
    /// one gives the creator's type (any socket counts as IPv4) and any other fd event gives `o`.
    var fdTypeChar: String? {
        if let fd, fd.number >= 0 { return fd.type.typeChar }
        // A failed creator (fd -1, whatever its flags say: O_DIRECTORY too) and a creator's enter event are typed by
        // the call alone.
        if fd != nil || direction == .enter && fdNumber == -1 { return FieldCatalog.creatorTypeChars[type] ?? "o" }
        return direction == .enter && fdNumber != nil ? "o" : nil
    }
}

extension FDInfo {
    /// The stand-in for an fd the tables never saw, on the exit of a call that used it.
    var isUntracked: Bool { type == .untracked }
}
