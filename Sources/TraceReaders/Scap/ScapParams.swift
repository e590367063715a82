import TraceModel

/// Parameter values of scap events, decoded by their `ScapEventTable` type and shown as libsinsp 0.29
/// shows them in `evt.arg.NAME`: the resolved text when there is one (an fd's `<f>/path`, an errno's
/// name, the names of set flags, a path made absolute), else the plain value; numbers keep their value
/// for `evt.rawarg.NAME`.
struct ScapParams {
    let raw: ScapFile.RawEvent

    /// The parameter's bytes, empty past the event's parameters.
    func bytes(_ index: Int) -> ArraySlice<UInt8> {
        raw.parameter(index)
    }

    /// The parameter as an unsigned little-endian number of its width (nil when empty or wider than 8).
    func unsigned(_ index: Int) -> UInt64? {
        let field = bytes(index)
        guard !field.isEmpty, field.count <= 8 else { return nil }
        var value: UInt64 = 0
        for (shift, byte) in field.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }

    /// A uid or gid parameter: 32 bits, as libsinsp reads it (the rest of a wider field in a damaged file is dropped).
    func identity(_ index: Int) -> UInt32? {
        unsigned(index).map { UInt32(truncatingIfNeeded: $0) }
    }

    /// The parameter as a signed number, sign-extended from its width.
    func integer(_ index: Int) -> Int64? {
        guard let value = unsigned(index) else { return nil }
        return Self.signExtended(value, bytes: bytes(index).count)
    }

    /// A little-endian number of `bytes` bytes (1 to 8) as a signed number.
    static func signExtended(_ value: UInt64, bytes: Int) -> Int64 {
        let bits = bytes * 8
        if bits < 64, value & (1 << UInt64(bits - 1)) != 0 { return Int64(bitPattern: value | ~((1 << UInt64(bits)) - 1)) }
        return Int64(bitPattern: value)
    }

    /// A NUL-terminated string parameter.
    func string(_ index: Int) -> String {
        String(decoding: bytes(index).prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The index of the named parameter in the event's table entry.
    /// A number in a parameter's print format.
    static func number(_ value: Int64, unsignedValue: UInt64, format: ScapEventTable.Format) -> String {
        switch format {
        case .dec, .padded: return String(value)
        case .hex: return String(unsignedValue, radix: 16, uppercase: true)
        case .oct: return unsignedValue == 0 ? "0" : "0" + String(unsignedValue, radix: 8)
        }
    }

    /// The names of the set bits of a flags value, in table order; a value equal to an entry is that
    /// entry alone (libsinsp's resolution, which also names enumerations such as ptrace requests).
    static func flagNames(_ value: UInt32, _ table: [(name: String, value: UInt32)]) -> String {
        var names: [String] = []
        var remaining = value
        for entry in table {
            if entry.value == value {
                names.append(entry.name)
                break
            }
            if (entry.value == 0 && value == 0) || (entry.value != 0 && remaining & entry.value == entry.value && remaining != 0) {
                names.append(entry.name)
                remaining &= ~entry.value
            }
        }
        return names.joined(separator: "|")
    }

    /// An IPv4 address from four bytes in network order.
    static func ipv4<C: Collection>(_ bytes: C) -> String where C.Element == UInt8, C.Index == Int {
        let start = bytes.startIndex
        return "\(bytes[start]).\(bytes[start + 1]).\(bytes[start + 2]).\(bytes[start + 3])"
    }

    /// A 16-bit port stored little-endian.
    static func port(_ bytes: ArraySlice<UInt8>, at offset: Int) -> Int {
        let start = bytes.startIndex + offset
        return Int(bytes[start]) | Int(bytes[start + 1]) << 8
    }

    /// The entries of a PT_FDLIST: a u16 count, then per fd a u64 number and u16 poll flags.
    static func fdList(_ bytes: ArraySlice<UInt8>) -> [(fd: Int64, flags: UInt32)] {
        let data = Array(bytes)
        guard data.count >= 2 else { return [] }
        let count = Int(data[0]) | Int(data[1]) << 8
        var entries: [(fd: Int64, flags: UInt32)] = []
        var position = 2
        for _ in 0..<count where position + 10 <= data.count {
            var number: Int64 = 0
            for shift in 0..<8 { number |= Int64(data[position + shift]) << (8 * Int64(shift)) }
            entries.append((number, UInt32(data[position + 8]) | UInt32(data[position + 9]) << 8))
            position += 10
        }
        return entries
    }

    /// A PT_SOCKADDR as libsinsp shows it: `ip:port`, a UNIX path, `NULL` when empty.
    static func sockaddr(_ bytes: ArraySlice<UInt8>) -> String {
        guard let family = bytes.first else { return "NULL" }
        let body = bytes.dropFirst()
        switch family {
        case 1: return String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
        case 2 where body.count == 6: return "\(ipv4(body)):\(port(body, at: 4))"
        case 10 where body.count == 18: return "\(ipv6(Array(body.prefix(16)))):\(port(body, at: 16))"
        default: return "family \(family)"
        }
    }

    /// A PT_SOCKTUPLE: `sip:sport->dip:dport` for IP (IPv4-mapped IPv6 shown as IPv4), `src->dst path` for UNIX.
    static func socktuple(_ bytes: ArraySlice<UInt8>) -> SocketTuple? {
        guard let family = bytes.first else { return nil }
        let body = Array(bytes.dropFirst())
        func port(_ at: Int) -> Int64 { Int64(body[at]) | Int64(body[at + 1]) << 8 }
        switch family {
        case 2 where body.count == 12:
            return SocketTuple(family: .ipv4, source: ipv4(body[0..<4]), sourcePort: port(4), destination: ipv4(body[6..<10]), destinationPort: port(10))
        case 10 where body.count == 36:
            let source = Array(body[0..<16]), destination = Array(body[18..<34])
            if isMappedIPv4(source), isMappedIPv4(destination) {
                return SocketTuple(family: .ipv4, source: ipv4(source[12..<16]), sourcePort: port(16), destination: ipv4(destination[12..<16]), destinationPort: port(34))
            }
            return SocketTuple(family: .ipv6, source: ipv6(source), sourcePort: port(16), destination: ipv6(destination), destinationPort: port(34))
        case 1 where body.count >= 16:
            func hex(_ at: Int) -> String {
                var value: UInt64 = 0
                for shift in 0..<8 { value |= UInt64(body[at + shift]) << (8 * UInt64(shift)) }
                return String(value, radix: 16)
            }
            let path = String(decoding: body[16...].prefix { $0 != 0 }, as: UTF8.self)
            return SocketTuple(family: .unix, source: hex(0), sourcePort: 0, destination: hex(8), destinationPort: 0, path: path)
        default:
            return nil
        }
    }

    static func isMappedIPv4(_ address: [UInt8]) -> Bool {
        address.count == 16 && address[0..<10].allSatisfy { $0 == 0 } && address[10] == 0xFF && address[11] == 0xFF
    }

    static func ipv6(_ address: [UInt8]) -> String {
        IPAddress(bytes: address).map { "\($0)" } ?? "::"
    }
}

/// The two ends of a socket as an event names them.
struct SocketTuple {
    enum Family { case ipv4, ipv6, unix }
    let family: Family
    let source: String
    let sourcePort: Int64
    let destination: String
    let destinationPort: Int64
    var path = ""

    /// The socket's name as libsinsp shows it (`fd.name`).
    var name: String {
        switch family {
        case .ipv4, .ipv6: return "\(source):\(sourcePort)->\(destination):\(destinationPort)"
        case .unix: return "\(source)->\(destination) \(path)"
        }
    }
}

/// The parameters of one scap event, made on demand from its bytes and the table entries its fd and pid
/// parameters named when it was read (the tables move on; the event keeps what it saw).
struct ScapParamRenderer: Sendable {
    let raw: ScapFile.RawEvent
    let info: ScapEventTable.EventInfo
    let thread: ThreadInfo?
    let fds: [(Int64, FDInfo)]
    let threadNames: [(Int64, String)]
    let users: [Int64: String]
    let groups: [Int64: String]

    func params() -> [Param] {
        let values = ScapParams(raw: raw)
        var params: [Param] = []
        params.reserveCapacity(min(info.params.count, raw.parameterCount))
        for (index, spec) in info.params.enumerated() where index < raw.parameterCount { params.append(render(values, index, spec)) }
        return params
    }

    private func fd(_ number: Int64) -> FDInfo? { fds.first { $0.0 == number }?.1 }

    /// A socket option's value (a PT_DYN of sockopt_dynamic_param): its first byte names the type of the rest, an
    /// errno, a 32- or 64-bit number, a time in ns, or bytes.
    private func socketOption(_ name: String, _ bytes: ArraySlice<UInt8>) -> Param {
        guard let kind = bytes.first else { return Param(name: name, text: "") }
        let body = bytes.dropFirst()
        func number(_ width: Int) -> UInt64? {
            guard body.count >= width else { return nil }
            return body.prefix(width).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
        switch kind {
        case 0: return .buffer(name, Array(body))
        case 1:
            guard let bits = number(8) else { break }
            let value = Int64(bitPattern: bits)
            if value < 0, let error = LinuxNames.errnoName(value) { return Param(name: name, text: error, raw: value, argument: String(value)) }
            return .number(name, value)
        case 2: if let bits = number(4) { return .number(name, Int64(bits)) }
        case 3: if let bits = number(8) { return .number(name, Int64(bitPattern: bits)) }
        case 4:
            guard let bits = number(8) else { break }
            return Param(name: name, text: String(format: "%gs", Double(bits) / 1_000_000_000), raw: Int64(bitPattern: bits), argument: String(bits))
        default: break
        }
        return Param(name: name, text: "INVALID DYNAMIC PARAMETER")
    }

        /// One parameter as `evt.arg.NAME` shows it, with its number for `evt.rawarg.NAME`.
        func render(_ values: ScapParams, _ index: Int, _ spec: ScapEventTable.ParamInfo) -> Param {
            let name = spec.name
            switch spec.type {
            case .uid, .gid:
                guard let bits = values.identity(index) else { return Param(name: name, text: "") }
                // libsinsp resolves the id to its name, "<NA>" for an id the capture's lists lack and "<NONE>" for -1.
                if bits == UInt32.max { return Param(name: name, text: "<NONE>", raw: -1, argument: "-1") }
                let value = Int64(bits)
                return Param(name: name, text: (spec.type == .uid ? users : groups)[value] ?? "<NA>", raw: value, argument: String(value))
            case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .port, .l4proto, .sockfamily, .bool, .abstime:
                guard let value = values.integer(index), let bits = values.unsigned(index) else { return Param(name: name, text: "") }
                let signed: Bool = [.int8, .int16, .int32, .int64, .uint64].contains(spec.type)
                let number = signed ? value : Int64(bitPattern: bits)
                if spec.format == .dec { return .number(name, number) }
                return Param(name: name, text: ScapParams.number(number, unsignedValue: bits, format: spec.format), raw: number)
            case .fd:
                guard let value = values.integer(index) else { return Param(name: name, text: "") }
                if value >= 0, let entry = fd(value) {
                    var tag = entry.type.typeChar
                    if let proto = entry.l4proto { tag += [.tcp: "t", .udp: "u", .icmp: "i", .raw: "r"][proto] ?? "" }
                    // The name as libsinsp's tostring_clean gives it: without control characters.
                    return Param(name: name, text: "<\(tag)>\(entry.name.withoutControlCharacters)", raw: value, argument: String(value))
                }
                if value == -100 { return Param(name: name, text: "AT_FDCWD", raw: value, argument: "-100") }
                if value < 0, let error = LinuxNames.errnoName(value) { return Param(name: name, text: error, raw: value, argument: String(value)) }
                return .number(name, value)
            case .pid:
                guard let value = values.integer(index) else { return Param(name: name, text: "") }
                if let target = threadNames.first(where: { $0.0 == value })?.1 { return Param(name: name, text: target, raw: value, argument: String(value)) }
                return .number(name, value)
            case .errno:
                guard let value = values.integer(index) else { return Param(name: name, text: "") }
                if value < 0, let error = LinuxNames.errnoName(value) { return Param(name: name, text: error, raw: value, argument: String(value)) }
                return .number(name, value)
            case .charbuf:
                return Param(name: name, text: values.string(index))
            case .fspath, .fsrelpath:
                let path = values.string(index)
                // Relative paths are resolved against the working directory or the directory fd.
                guard let thread, !path.isEmpty, !path.hasPrefix("/"), !path.hasPrefix("<NA>") else { return Param(name: name, text: path) }
                var base = thread.cwd ?? "/"
                if spec.type == .fsrelpath, let dirIndex = info.directoryParameter(for: index), let dirfd = values.integer(dirIndex),
                   dirfd != -100, let directory = fd(dirfd)?.name { base = directory }
                return Param(name: name, text: PathNames.resolve(path, against: base), argument: path)
            case .dyn where info.name == "setsockopt" || info.name == "getsockopt":
                return socketOption(name, values.bytes(index))
            case .bytebuf, .charbufarray, .charbuf_pair_array, .dyn, .sigset, .double, .ipv4addr, .ipv4net, .ipv6addr, .ipv6net, .ipaddr, .ipnet:
                return .buffer(name, Array(values.bytes(index)))
            case .sockaddr:
                return Param(name: name, text: ScapParams.sockaddr(values.bytes(index)))
            case .socktuple:
                let data = values.bytes(index)
                if data.isEmpty { return Param(name: name, text: "NULL") }
                if let tuple = ScapParams.socktuple(data) { return Param(name: name, text: tuple.name) }
                return Param(name: name, text: "family \(data[data.startIndex])")
            case .flags8, .flags16, .flags32, .mode:
                guard let bits = values.unsigned(index) else { return Param(name: name, text: "") }
                let value = UInt32(truncatingIfNeeded: bits)
                if let table = spec.flagNames {
                    let names = ScapParams.flagNames(value, table)
                    if !names.isEmpty { return Param(name: name, text: names, raw: Int64(value), argument: String(value)) }
                }
                if spec.type == .mode || spec.format != .dec {
                    return Param(name: name, text: ScapParams.number(Int64(value), unsignedValue: UInt64(value), format: spec.format), raw: Int64(value))
                }
                return .number(name, Int64(value))
            case .syscallid:
                // Compared as read (64 bits from the file) before any conversion: a huge id is a number, not a trap.
                guard let value = values.unsigned(index) else { return Param(name: name, text: "") }
                if value < UInt64(ScapEventTable.syscallNames.count) {
                    return Param(name: name, text: ScapEventTable.syscallNames[Int(value)], raw: Int64(value), argument: String(value))
                }
                return .number(name, Int64(bitPattern: value))
            case .sigtype:
                guard let value = values.unsigned(index) else { return Param(name: name, text: "") }
                if value >= 1, value <= UInt64(LinuxNames.signalNames.count) {
                    return Param(name: name, text: LinuxNames.signalNames[Int(value) - 1], raw: Int64(value), argument: String(value))
                }
                return .number(name, Int64(bitPattern: value))
            case .reltime:
                guard let value = values.unsigned(index) else { return Param(name: name, text: "") }
                if value == UInt64.max { return Param(name: name, text: "none", raw: -1) }
                // Resolved as seconds, as libsinsp prints them (`%lgs`: 1000000000 is 1s).
                return Param(name: name, text: String(format: "%gs", Double(value) / 1_000_000_000), raw: Int64(bitPattern: value),
                             argument: String(value))
            case .fdlist:
                let entries = ScapParams.fdList(values.bytes(index)).map { entry in
                    "\(entry.fd):\(fd(entry.fd)?.type.typeChar ?? "?")\(String(entry.flags, radix: 16))"
                }
                return Param(name: name, text: entries.joined(separator: " "))
            }
        }
}
