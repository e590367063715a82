import TraceModel

/// Parameter values of scap events, decoded by their `ScapEventTable` type and shown as libsinsp 0.29
/// shows them in `evt.arg.NAME`: the resolved text when there is one (an fd's `<f>/path`, an errno's
/// name, the names of set flags, a path made absolute), else the plain value; numbers keep their value
/// for `evt.rawarg.NAME`.
struct ScapParams {
    let raw: ScapFile.RawEvent

    /// The parameter's bytes, empty past the event's parameters.
    func bytes(_ index: Int) -> ArraySlice<UInt8> {
        index < raw.parameters.count ? raw.payload[raw.parameters[index]] : []
    }

    /// The parameter as an unsigned little-endian number of its width (nil when empty or wider than 8).
    func unsigned(_ index: Int) -> UInt64? {
        let field = bytes(index)
        guard !field.isEmpty, field.count <= 8 else { return nil }
        var value: UInt64 = 0
        for (shift, byte) in field.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }

    /// The parameter as a signed number, sign-extended from its width.
    func integer(_ index: Int) -> Int64? {
        guard let value = unsigned(index) else { return nil }
        let bits = bytes(index).count * 8
        if bits < 64, value & (1 << UInt64(bits - 1)) != 0 { return Int64(bitPattern: value | ~((1 << UInt64(bits)) - 1)) }
        return Int64(bitPattern: value)
    }

    /// A NUL-terminated string parameter.
    func string(_ index: Int) -> String {
        String(decoding: bytes(index).prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The index of the named parameter in the event's table entry.
    static func index(of name: String, in info: ScapEventTable.EventInfo?) -> Int? {
        info?.params.firstIndex { $0.name == name }
    }

    /// Printable bytes kept, others shown as `.` (libsinsp's normal buffer format).
    static func printable<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.map { $0 >= 0x20 && $0 < 0x7F ? $0 : 0x2E }, as: UTF8.self)
    }

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
