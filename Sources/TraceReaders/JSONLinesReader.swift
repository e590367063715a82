#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceModel

/// Reads TraceLab's native trace format (JSON Lines, `docs/trace-format.md`): an optional header,
/// `container` and `thread` records that the reader keeps in tables, and `event` records that refer to
/// threads by tid and carry their file descriptor inline. Events stream one at a time; memory holds
/// only the tables. A reader may be handed to another thread, but is used by one thread at a time.
public final class JSONLinesReader: @unchecked Sendable {
    /// The trace-wide header, when the first record is one.
    public private(set) var header: TraceHeader?
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var line = 0
    private var lineBuffer: UnsafeMutablePointer<CChar>?
    private var lineCapacity = 0
    private var containers: [String: ContainerInfo] = [:]
    private var threads: [Int64: ThreadInfo] = [:]
    private var nextNumber: UInt64 = 1
    /// Recently read file descriptors by the hash of their JSON text.
    private var descriptorCache: [UInt64: (text: [UInt8], fd: FDInfo)] = [:]
    /// Bytes of the file read so far (for progress).
    public private(set) var bytesRead: UInt64 = 0
    /// Called with every raw line, newline included, in file order (e.g. to hash the content).
    public var lineObserver: ((UnsafeBufferPointer<UInt8>) -> Void)?
    /// The line number of the record read last.
    public var currentLine: Int { line }

    /// Opens a trace file; throws when it cannot be read.
    public init(path: String) throws(TraceLabError) {
        guard let file = fopen(path, "rb") else {
            throw TraceLabError("cannot open trace: \(String(cString: strerror(errno)))", at: SourceLocation(file: path, line: 0, column: 0))
        }
        self.path = path
        self.file = file
    }

    deinit {
        fclose(file)
        free(lineBuffer)
    }

    /// Reads every event of a file into memory (for small traces and tests).
    public static func readAll(path: String) throws(TraceLabError) -> [Event] {
        let reader = try JSONLinesReader(path: path)
        var events: [Event] = []
        while let event = try reader.next() { events.append(event) }
        return events
    }

    /// Only events whose type this accepts are returned (see `EventStream.wants`).
    public var wants: ((String) -> Bool)?
    /// Events read so far, those `wants` turned away included.
    public private(set) var eventsRead = 0

    /// The next event, or nil at the end of the file. Table records are absorbed on the way.
    public func next() throws(TraceLabError) -> Event? {
        while let event = try nextEvent() {
            eventsRead += 1
            if wants?(event.type) ?? true { return event }
        }
        return nil
    }

    private func nextEvent() throws(TraceLabError) -> Event? {
        while true {
            let length = getline(&lineBuffer, &lineCapacity, file)
            if length < 0 {
                if ferror(file) != 0 { throw error("read error: \(String(cString: strerror(errno)))", column: 0) }
                return nil
            }
            line += 1
            guard let lineBuffer else { return nil }
            var count = length
            let base = UnsafeRawPointer(lineBuffer).assumingMemoryBound(to: UInt8.self)
            bytesRead += UInt64(length)
            lineObserver?(UnsafeBufferPointer(start: base, count: length))
            while count > 0, base[count - 1] == 0x0A || base[count - 1] == 0x0D { count -= 1 }
            let bytes = UnsafeBufferPointer(start: base, count: count)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if let event = try fastEvent(bytes) { return event }
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch {
                throw self.error("not valid JSON: \(error.message)", column: error.column)
            }
            guard case .object = value else { throw self.error("a record must be a JSON object", column: 1) }
            let kind = try string(value, "kind") ?? "event"
            switch kind {
            case "header":
                guard line == 1 || header == nil && nextNumber == 1 else { throw error("the header must be the first record", column: 1) }
                header = try readHeader(value)
            case "container": try readContainer(value)
            case "thread": try readThread(value)
            default: throw error("unknown record kind '\(kind)' (expected header, container, thread or event)", column: 1)
            }
        }
    }

    // MARK: Records

    private func readHeader(_ value: JSONValue) throws(TraceLabError) -> TraceHeader {
        TraceHeader(hostname: try string(value, "hostname"), machine: try string(value, "machine"),
                    startTime: try unsigned(value, "start"), description: try string(value, "description"),
                    source: try string(value, "source"))
    }

    private func readContainer(_ value: JSONValue) throws(TraceLabError) {
        guard let id = try string(value, "id") else { throw error("container record needs an 'id'", column: 1) }
        let image = try string(value, "image") ?? ""
        let (defaultRepository, defaultTag) = splitImage(image)
        var mounts: [ContainerInfo.Mount] = []
        if let mountList = value["mounts"] {
            guard case .array(let items) = mountList else { throw error("'mounts' must be an array", column: 1) }
            for item in items {
                guard let source = try string(item, "source"), let destination = try string(item, "destination") else {
                    throw error("each mount needs 'source' and 'destination'", column: 1)
                }
                mounts.append(.init(source: source, destination: destination, mode: try string(item, "mode") ?? "",
                                    readWrite: try bool(item, "rw") ?? true, propagation: try string(item, "propagation") ?? "rprivate"))
            }
        }
        var podInfo: PodInfo?
        if let pod = value["pod"] {
            guard let name = try string(pod, "name"), let namespace = try string(pod, "namespace") else {
                throw error("'pod' needs 'name' and 'namespace'", column: 1)
            }
            var labels: [(key: String, value: String)] = []
            if case .object(let members)? = pod["labels"] {
                for (key, labelValue) in members {
                    guard case .string(let text) = labelValue else { throw error("pod label '\(key)' must be a string", column: 1) }
                    labels.append((key, text))
                }
            }
            podInfo = PodInfo(name: name, namespace: namespace, uid: try string(pod, "uid"), labels: labels, ip: try string(pod, "ip"))
        }
        let container = ContainerInfo(
            id: id, fullID: try string(value, "full_id"), name: try string(value, "name") ?? id, image: image,
            imageRepository: try string(value, "repository") ?? defaultRepository,
            imageTag: try string(value, "tag") ?? defaultTag, imageDigest: try string(value, "digest"),
            type: try string(value, "runtime") ?? "containerd", privileged: try bool(value, "privileged") ?? false,
            mounts: mounts, startTimestamp: try unsigned(value, "start"), pod: podInfo)
        containers[id] = container
    }

    private func readThread(_ value: JSONValue) throws(TraceLabError) {
        guard let tid = try integer(value, "tid") else { throw error("thread record needs a 'tid'", column: 1) }
        guard let name = try string(value, "name") else { throw error("thread record needs a 'name'", column: 1) }
        let ptid = try integer(value, "ptid") ?? 0
        var container: ContainerInfo?
        if let id = try string(value, "container"), id != "host" {
            guard let known = containers[id] else { throw error("thread \(tid) refers to unknown container '\(id)'", column: 1) }
            container = known
        }
        let thread = ThreadInfo(
            tid: tid, pid: try integer(value, "pid"), ptid: ptid, vtid: try integer(value, "vtid"), vpid: try integer(value, "vpid"),
            sid: try integer(value, "sid"), pgid: try integer(value, "pgid"), vpgid: try integer(value, "vpgid"),
            name: name, exe: try string(value, "exe"), exepath: try string(value, "exepath"), args: try strings(value, "args"),
            cwd: try string(value, "cwd"), env: try strings(value, "env"), uid: try integer(value, "uid"), gid: try integer(value, "gid"),
            euid: try integer(value, "euid"), egid: try integer(value, "egid"), userName: try string(value, "user"),
            groupName: try string(value, "group"), homedir: try string(value, "home"), shell: try string(value, "shell"),
            loginuid: try integer(value, "loginuid"), loginName: try string(value, "loginname"), tty: try integer(value, "tty") ?? 0,
            capPermitted: try string(value, "cap_permitted"), capEffective: try string(value, "cap_effective"),
            capInheritable: try string(value, "cap_inheritable"), startTimestamp: try unsigned(value, "start"),
            isExeWritable: try bool(value, "exe_writable") ?? false, isExeUpperLayer: try bool(value, "exe_upper_layer") ?? false,
            isExeFromMemfd: try bool(value, "exe_from_memfd") ?? false, exeInodeMtime: try unsigned(value, "exe_mtime"),
            exeInodeCtime: try unsigned(value, "exe_ctime"), container: container, parent: threads[ptid])
        threads[tid] = thread
    }

    /// Reads an event record in place, without building a tree. Returns nil when the line is not an
    /// object or is another kind of record, which the general path then reads.
    private func fastEvent(_ bytes: UnsafeBufferPointer<UInt8>) throws(TraceLabError) -> Event? {
        var scanner = JSONScanner(bytes)
        guard scanner.nextKind == .object else { return nil }
        var type: String?, timestamp: UInt64?, number: UInt64?, direction = Event.Direction.exit
        var thread: ThreadInfo?, cpu = 0, params: [Param] = [], fd: FDInfo?
        do throws(JSONParser.Failure) {
            try scanner.readObject { (scanner, key) throws(JSONParser.Failure) in
                if keyIs(key, "kind") {
                    if try Self.typed(&scanner, "kind", "a string", { try $0.readString() }) != "event" {
                        throw JSONParser.Failure(message: Self.otherRecord, column: 0, isSyntax: false)
                    }
                } else if keyIs(key, "type") {
                    type = try Self.typed(&scanner, "type", "a string") { try $0.readString() }
                } else if keyIs(key, "ts") {
                    timestamp = try Self.unsigned(&scanner, "ts")
                } else if keyIs(key, "num") {
                    number = try Self.unsigned(&scanner, "num")
                } else if keyIs(key, "tid") {
                    let column = scanner.column
                    if let tid = try Self.typed(&scanner, "tid", "an integer", { try $0.readInteger() }) {
                        guard let known = threads[tid] else {
                            throw JSONParser.Failure(message: "event refers to tid \(tid), which no thread record defines", column: column, isSyntax: false)
                        }
                        thread = known
                    }
                } else if keyIs(key, "dir") {
                    let column = scanner.column
                    switch try Self.typed(&scanner, "dir", "a string", { try $0.readString() }) {
                    case "<", nil: direction = .exit
                    case ">": direction = .enter
                    case let other?: throw JSONParser.Failure(message: "'dir' must be '<' or '>', not '\(other)'", column: column, isSyntax: false)
                    }
                } else if keyIs(key, "cpu") {
                    cpu = Int(try Self.typed(&scanner, "cpu", "an integer") { try $0.readInteger() } ?? 0)
                } else if keyIs(key, "args") {
                    params = try Self.arguments(&scanner)
                } else if keyIs(key, "fd") {
                    fd = try self.internedDescriptor(&scanner)
                } else {
                    _ = try scanner.readValue()
                }
            }
            try scanner.expectEnd()
        } catch {
            if error.message == Self.otherRecord { return nil }
            // A record whose `kind` comes after the offending member is read by the general path.
            if !error.isSyntax, case .object = (try? JSONParser.parse(bytes)) ?? .null,
               case .string(let kind)? = (try? JSONParser.parse(bytes))?["kind"], kind != "event" { return nil }
            throw self.error(error.isSyntax ? "not valid JSON: \(error.message)" : error.message, column: error.column)
        }
        guard let type else { throw error("event record needs a 'type'", column: 1) }
        guard let timestamp else { throw error("event record needs a 'ts' (ns since the epoch)", column: 1) }
        let eventNumber = number ?? nextNumber
        nextNumber = eventNumber + 1
        return Event(number: eventNumber, timestamp: timestamp, type: type, direction: direction, cpu: cpu,
                     params: params, thread: thread, fd: fd, hostname: header?.hostname)
    }

    /// Thrown inside the fast path when the record is not an event.
    private static let otherRecord = "not an event record"

    /// Reads a value of the expected type; a value of another type becomes "'key' must be <what>".
    private static func typed<T>(_ scanner: inout JSONScanner, _ key: String, _ what: String,
                                 _ read: (inout JSONScanner) throws -> T) throws(JSONParser.Failure) -> T {
        do {
            return try read(&scanner)
        } catch let failure as JSONParser.Failure {
            guard failure.message == JSONScanner.TypeMismatch.marker else { throw failure }
            throw JSONParser.Failure(message: "'\(key)' must be \(what)", column: failure.column, isSyntax: false)
        } catch {
            throw JSONParser.Failure(message: "\(error)", column: scanner.column)
        }
    }

    private static func unsigned(_ scanner: inout JSONScanner, _ key: String) throws(JSONParser.Failure) -> UInt64? {
        let column = scanner.column
        guard let value = try typed(&scanner, key, "a non-negative integer", { try $0.readInteger() }) else { return nil }
        guard value >= 0 || scanner.column - column > 19 else {
            throw JSONParser.Failure(message: "'\(key)' must be a non-negative integer", column: column, isSyntax: false)
        }
        return UInt64(bitPattern: value)
    }

    private static func arguments(_ scanner: inout JSONScanner) throws(JSONParser.Failure) -> [Param] {
        guard scanner.nextKind == .object else {
            throw JSONParser.Failure(message: "'args' must be an object", column: scanner.column, isSyntax: false)
        }
        var params: [Param] = []
        params.reserveCapacity(6)
        try scanner.readObject { (scanner, key) throws(JSONParser.Failure) in
            let name = String(decoding: key, as: UTF8.self)
            switch scanner.nextKind {
            case .string:
                let text = try scanner.readString() ?? ""
                params.append(name == "flags" ? Param(name: name, text: text, raw: OpenFlags.value(of: Param(name: name, text: text)))
                                              : Param(name: name, text: text))
            case .number:
                let column = scanner.column
                do {
                    guard let value = try scanner.readInteger() else { return }
                    params.append(.number(name, value))
                } catch {
                    throw JSONParser.Failure(message: "argument '\(name)' must be a string, an integer or an object {raw, text, hex}", column: column, isSyntax: false)
                }
            case .bool:
                let flag = try scanner.readBool() ?? false
                params.append(Param(name: name, text: flag ? "true" : "false", raw: flag ? 1 : 0))
            case .null:
                _ = try scanner.readValue()
                params.append(Param(name: name, text: "<NA>"))
            case .object:
                var raw: Int64?, text: String?, bytes: [UInt8]?
                let column = scanner.column
                try scanner.readObject { (scanner, field) throws(JSONParser.Failure) in
                    if keyIs(field, "raw") {
                        raw = try typed(&scanner, "raw", "an integer") { try $0.readInteger() }
                    } else if keyIs(field, "text") {
                        text = try typed(&scanner, "text", "a string") { try $0.readString() }
                    } else if keyIs(field, "hex") {
                        let hex = try typed(&scanner, "hex", "a string") { try $0.readString() } ?? ""
                        guard let decoded = Hex.decode(hex) else {
                            throw JSONParser.Failure(message: "argument '\(name)': 'hex' must be an even-length hex string", column: column, isSyntax: false)
                        }
                        bytes = decoded
                    } else {
                        _ = try scanner.readValue()
                    }
                }
                params.append(Param(name: name, text: text ?? raw.map(String.init) ?? "", raw: raw, bytes: bytes))
            default:
                throw JSONParser.Failure(message: "argument '\(name)' must be a string, a number or an object {raw, text, hex}", column: scanner.column, isSyntax: false)
            }
        }
        return params
    }

    /// Events on the same descriptor share one FDInfo: a descriptor whose JSON text is byte-identical
    /// to one seen recently is reused without being decoded again (its text is only skipped over).
    private func internedDescriptor(_ scanner: inout JSONScanner) throws(JSONParser.Failure) -> FDInfo? {
        let start = scanner.offset
        if scanner.nextKind == .object {
            var probe = scanner
            try probe.skipValue()
            let text = probe.slice(from: start)
            if let cached = descriptorCache[Self.fnv1a(text)], cached.text.elementsEqual(text) {
                scanner = probe
                return cached.fd
            }
        }
        let decoded = try Self.descriptor(&scanner)
        guard let decoded else { return nil }
        let text = scanner.slice(from: start)
        if descriptorCache.count >= 8192 { descriptorCache.removeAll(keepingCapacity: true) }
        descriptorCache[Self.fnv1a(text)] = (Array(text), decoded)
        return decoded
    }

    /// FNV-1a of a descriptor's text (the cache's key; a hit is confirmed byte for byte).
    private static func fnv1a(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    private static func descriptor(_ scanner: inout JSONScanner) throws(JSONParser.Failure) -> FDInfo? {
        if scanner.nextKind == .null { _ = try scanner.readValue(); return nil }
        guard scanner.nextKind == .object else {
            throw JSONParser.Failure(message: "'fd' must be an object", column: scanner.column, isSyntax: false)
        }
        let start = scanner.column
        var number: Int64?, type = FDType.file, name = "", nameRaw: String?, proto: L4Proto?
        var clientIP: IPAddress?, serverIP: IPAddress?, clientPort: Int64?, serverPort: Int64?
        var isServer: Bool?, isConnected: Bool?, family: String?, device: Int64?, inode: Int64?, upper: Bool?, changed = false
        func address(_ scanner: inout JSONScanner, _ key: String) throws(JSONParser.Failure) -> IPAddress? {
            let column = scanner.column
            guard let text = try typed(&scanner, key, "a string", { try $0.readString() }) else { return nil }
            guard let parsed = IPAddress(text) else {
                throw JSONParser.Failure(message: "'\(key)' is not an IP address: '\(text)'", column: column, isSyntax: false)
            }
            return parsed
        }
        try scanner.readObject { (scanner, key) throws(JSONParser.Failure) in
            let column = scanner.column
            if keyIs(key, "num") { number = try typed(&scanner, "num", "an integer") { try $0.readInteger() } }
            else if keyIs(key, "type") {
                let typeName = try typed(&scanner, "type", "a string") { try $0.readString() } ?? "file"
                guard let parsed = FDType(rawValue: typeName) else {
                    throw JSONParser.Failure(message: "unknown fd type '\(typeName)' (expected one of \(FDType.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", ")))", column: column, isSyntax: false)
                }
                type = parsed
            }
            else if keyIs(key, "name") { name = try typed(&scanner, "name", "a string") { try $0.readString() } ?? "" }
            else if keyIs(key, "nameraw") { nameRaw = try typed(&scanner, "nameraw", "a string") { try $0.readString() } }
            else if keyIs(key, "l4proto") {
                if let protoName = try typed(&scanner, "l4proto", "a string", { try $0.readString() }) {
                    guard let parsed = L4Proto(rawValue: protoName) else {
                        throw JSONParser.Failure(message: "unknown l4proto '\(protoName)'", column: column, isSyntax: false)
                    }
                    proto = parsed
                }
            }
            else if keyIs(key, "cip") { clientIP = try address(&scanner, "cip") }
            else if keyIs(key, "sip") { serverIP = try address(&scanner, "sip") }
            else if keyIs(key, "cport") { clientPort = try typed(&scanner, "cport", "an integer") { try $0.readInteger() } }
            else if keyIs(key, "sport") { serverPort = try typed(&scanner, "sport", "an integer") { try $0.readInteger() } }
            else if keyIs(key, "server") { isServer = try typed(&scanner, "server", "true or false") { try $0.readBool() } }
            else if keyIs(key, "connected") { isConnected = try typed(&scanner, "connected", "true or false") { try $0.readBool() } }
            else if keyIs(key, "family") { family = try typed(&scanner, "family", "a string") { try $0.readString() } }
            else if keyIs(key, "dev") { device = try typed(&scanner, "dev", "an integer") { try $0.readInteger() } }
            else if keyIs(key, "ino") { inode = try typed(&scanner, "ino", "an integer") { try $0.readInteger() } }
            else if keyIs(key, "upper_layer") { upper = try typed(&scanner, "upper_layer", "true or false") { try $0.readBool() } }
            else if keyIs(key, "name_changed") { changed = try typed(&scanner, "name_changed", "true or false") { try $0.readBool() } ?? false }
            else { _ = try scanner.readValue() }
        }
        guard let number else { throw JSONParser.Failure(message: "'fd' needs 'num'", column: start, isSyntax: false) }
        return FDInfo(number: number, type: type, name: name, nameRaw: nameRaw, l4proto: proto, clientIP: clientIP,
                      clientPort: clientPort, serverIP: serverIP, serverPort: serverPort, isServer: isServer,
                      isConnected: isConnected, socketFamily: family, device: device, inode: inode, isUpperLayer: upper,
                      nameChanged: changed)
    }

    private func param(_ name: String, _ value: JSONValue) throws(TraceLabError) -> Param {
        switch value {
        case .string(let text):
            if name == "flags" { return Param(name: name, text: text, raw: OpenFlags.value(of: Param(name: name, text: text))) }
            return Param(name: name, text: text)
        case .integer(let number): return .number(name, number)
        case .unsigned(let number): return Param(name: name, text: String(number), raw: Int64(bitPattern: number))
        case .bool(let flag): return Param(name: name, text: flag ? "true" : "false", raw: flag ? 1 : 0)
        case .object:
            var raw: Int64?
            if case .integer(let number)? = value["raw"] { raw = number }
            let text = try string(value, "text") ?? raw.map(String.init) ?? ""
            var bytes: [UInt8]?
            if let hex = try string(value, "hex") {
                guard let decoded = Hex.decode(hex) else { throw error("argument '\(name)': 'hex' must be an even-length hex string", column: 1) }
                bytes = decoded
            }
            return Param(name: name, text: text, raw: raw, bytes: bytes)
        case .null: return Param(name: name, text: "<NA>")
        default: throw error("argument '\(name)' must be a string, a number or an object {raw, text, hex}", column: 1)
        }
    }

    private func fd(_ value: JSONValue?) throws(TraceLabError) -> FDInfo? {
        guard let value else { return nil }
        guard case .object(let members) = value else { throw error("'fd' must be an object", column: 1) }
        var number: Int64?, type = FDType.file, name = "", nameRaw: String?, proto: L4Proto?
        var clientIP: IPAddress?, serverIP: IPAddress?, clientPort: Int64?, serverPort: Int64?
        var isServer: Bool?, isConnected: Bool?, family: String?, device: Int64?, inode: Int64?, upper: Bool?, changed = false
        for (key, member) in members {
            switch key {
            case "num": number = try asInteger(member, key)
            case "type":
                let typeName = try asString(member, key) ?? "file"
                guard let parsed = FDType(rawValue: typeName) else {
                    throw error("unknown fd type '\(typeName)' (expected one of \(FDType.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", ")))", column: 1)
                }
                type = parsed
            case "name": name = try asString(member, key) ?? ""
            case "nameraw": nameRaw = try asString(member, key)
            case "l4proto":
                guard let protoName = try asString(member, key) else { break }
                guard let parsed = L4Proto(rawValue: protoName) else { throw error("unknown l4proto '\(protoName)'", column: 1) }
                proto = parsed
            case "cip": clientIP = try asIP(member, key)
            case "sip": serverIP = try asIP(member, key)
            case "cport": clientPort = try asInteger(member, key)
            case "sport": serverPort = try asInteger(member, key)
            case "server": isServer = try asBool(member, key)
            case "connected": isConnected = try asBool(member, key)
            case "family": family = try asString(member, key)
            case "dev": device = try asInteger(member, key)
            case "ino": inode = try asInteger(member, key)
            case "upper_layer": upper = try asBool(member, key)
            case "name_changed": changed = try asBool(member, key) ?? false
            default: break
            }
        }
        guard let number else { throw error("'fd' needs 'num'", column: 1) }
        return FDInfo(number: number, type: type, name: name, nameRaw: nameRaw, l4proto: proto, clientIP: clientIP,
                      clientPort: clientPort, serverIP: serverIP, serverPort: serverPort, isServer: isServer,
                      isConnected: isConnected, socketFamily: family, device: device, inode: inode, isUpperLayer: upper,
                      nameChanged: changed)
    }

    // MARK: Typed access with located errors

    private func error(_ message: String, column: Int) -> TraceLabError {
        TraceLabError(message, at: SourceLocation(file: path, line: line, column: column))
    }

    private func string(_ value: JSONValue, _ key: String) throws(TraceLabError) -> String? {
        guard let member = value[key] else { return nil }
        return try asString(member, key)
    }

    private func asString(_ member: JSONValue, _ key: String) throws(TraceLabError) -> String? {
        switch member {
        case .string(let text): return text
        case .null: return nil
        default: throw error("'\(key)' must be a string", column: 1)
        }
    }

    private func strings(_ value: JSONValue, _ key: String) throws(TraceLabError) -> [String] {
        guard let member = value[key] else { return [] }
        guard case .array(let items) = member else { throw error("'\(key)' must be an array of strings", column: 1) }
        var out: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw error("'\(key)' must be an array of strings", column: 1) }
            out.append(text)
        }
        return out
    }

    private func integer(_ value: JSONValue, _ key: String) throws(TraceLabError) -> Int64? {
        guard let member = value[key] else { return nil }
        return try asInteger(member, key)
    }

    private func asInteger(_ member: JSONValue, _ key: String) throws(TraceLabError) -> Int64? {
        switch member {
        case .integer(let number): return number
        case .unsigned(let number): return Int64(bitPattern: number)
        case .null: return nil
        default: throw error("'\(key)' must be an integer", column: 1)
        }
    }

    private func unsigned(_ value: JSONValue, _ key: String) throws(TraceLabError) -> UInt64? {
        guard let member = value[key] else { return nil }
        return try asUnsigned(member, key)
    }

    private func asUnsigned(_ member: JSONValue, _ key: String) throws(TraceLabError) -> UInt64? {
        switch member {
        case .integer(let number) where number >= 0: return UInt64(number)
        case .unsigned(let number): return number
        case .null: return nil
        default: throw error("'\(key)' must be a non-negative integer", column: 1)
        }
    }

    private func bool(_ value: JSONValue, _ key: String) throws(TraceLabError) -> Bool? {
        guard let member = value[key] else { return nil }
        return try asBool(member, key)
    }

    private func asBool(_ member: JSONValue, _ key: String) throws(TraceLabError) -> Bool? {
        switch member {
        case .bool(let flag): return flag
        case .null: return nil
        default: throw error("'\(key)' must be true or false", column: 1)
        }
    }

    private func asIP(_ member: JSONValue, _ key: String) throws(TraceLabError) -> IPAddress? {
        guard let text = try asString(member, key) else { return nil }
        guard let address = IPAddress(text) else { throw error("'\(key)' is not an IP address: '\(text)'", column: 1) }
        return address
    }

    private func splitImage(_ image: String) -> (String, String) {
        let withoutDigest = image.split(separator: "@").first.map(String.init) ?? image
        if let colon = withoutDigest.lastIndex(of: ":"), !withoutDigest[colon...].contains("/") {
            return (String(withoutDigest[..<colon]), String(withoutDigest[withoutDigest.index(after: colon)...]))
        }
        return (withoutDigest, "latest")
    }
}

/// The optional first record of a native trace.
public struct TraceHeader: Sendable, Equatable {
    public var hostname: String?
    public var machine: String?
    /// Recording start, ns since the epoch.
    public var startTime: UInt64?
    public var description: String?
    /// How the trace was made (recorder, tool and version).
    public var source: String?

    public init(hostname: String? = nil, machine: String? = nil, startTime: UInt64? = nil, description: String? = nil, source: String? = nil) {
        self.hostname = hostname
        self.machine = machine
        self.startTime = startTime
        self.description = description
        self.source = source
    }
}
