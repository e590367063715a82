import Foundation
import CGzipStream
import Glibc
import TraceModel

/// The block layer of a scap capture (Falco's and sysdig's file format), plain or gzip-compressed: the
/// section header, machine info, interface and user lists, the process list (versions 1 to 9), the fd
/// lists and the event blocks (V1 and V2, with and without flags, normal and large), each event split into
/// its header and parameter byte ranges. Unknown block types are skipped and counted. Offsets are in the
/// uncompressed stream. Event parameters are not interpreted here (names, types and the thread and fd
/// tables come with the event table).
public final class ScapFile {
    /// Block type ids (`scap_savefile.h`).
    enum Block {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let machineInfo: Set<UInt32> = [0x201, 0x8002_ABCD]
        static let processLists: [UInt32: Int] = [0x202: 1, 0x8000_ABCD: 1, 0x207: 2, 0x8013_ABCD: 2, 0x209: 3, 0x8014_ABCD: 3, 0x210: 4, 0x211: 5,
                                                  0x212: 6, 0x213: 7, 0x214: 8, 0x215: 9]
        static let fdLists: [UInt32: Int] = [0x203: 1, 0x8001_ABCD: 1, 0x218: 2]
        static let interfaceLists: [UInt32: Int] = [0x205: 1, 0x8011_ABCD: 1, 0x219: 2]
        static let userLists: [UInt32: Int] = [0x206: 1, 0x8012_ABCD: 1, 0x220: 2]
        /// Event blocks: (header has nparams, body has flags).
        static let events: [UInt32: (v2: Bool, flags: Bool)] = [0x204: (false, false), 0x8010_ABCD: (false, false), 0x208: (false, true),
                                                                0x216: (true, false), 0x221: (true, false), 0x217: (true, true), 0x222: (true, true)]
    }

    /// The section header's version.
    public private(set) var version = (major: 0, minor: 0)
    public private(set) var machine: Machine?
    public private(set) var processes: [Process] = []
    /// Thread id → its open file descriptors at capture start.
    public private(set) var fdLists: [(tid: Int64, fds: [FileDescriptor])] = []
    public private(set) var users: [(uid: UInt32, gid: UInt32, name: String, home: String, shell: String)] = []
    public private(set) var groups: [(gid: UInt32, name: String)] = []
    public private(set) var interfaces: [(name: String, address: String)] = []
    /// Blocks of types this reader does not know, skipped.
    @exclusivity(unchecked) public private(set) var skippedBlocks = 0

    public struct Machine: Sendable {
        public var cpus: UInt32
        public var memoryBytes: UInt64
        public var hostname: String
        public var bootTime: UInt64
    }

    /// A process list entry (a thread at capture start).
    public struct Process: Sendable {
        public var tid: Int64, pid: Int64, ptid: Int64
        public var sid: Int64 = -1, vpgid: Int64 = -1, vtid: Int64 = -1, vpid: Int64 = -1
        public var comm = "", exe = "", exepath = "", cwd = "", root = ""
        public var args: [String] = [], env: [String] = [], cgroups: [String] = []
        public var fdlimit: UInt64 = 0
        public var flags: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
        public var loginuid: UInt32 = .max
        public var tty: UInt32 = 0
    }

    /// A file descriptor of the fd lists: number, type code (`scap.h`), and its name as libsinsp shows it.
    public struct FileDescriptor: Sendable {
        public var number: Int64
        public var type: UInt8
        public var name: String
        /// Layer-4 protocol of sockets (`scap_l4_proto`: 2 TCP, 3 UDP, 4 ICMP, 5 raw; 0 and 1 unknown).
        public var l4proto: UInt8 = 0
        /// The client and server ends of connected IP sockets; the server end only of listening ones.
        public var client: (ip: String, port: Int64)?
        public var server: (ip: String, port: Int64)?
    }

    /// One event: its header fields and its parameters, as the file holds them (a copy of the event's length array
    /// and parameter bytes, checked to fit).
    public struct RawEvent: Sendable {
        public var offset: Int
        public var cpu: UInt16
        public var flags: UInt32
        public var timestamp: UInt64
        public var tid: Int64
        public var type: UInt16
        /// The length array (`parameterCount` entries of `lengthWidth` bytes), then the parameters back to back.
        let body: [UInt8]
        public let parameterCount: Int
        /// 2, or 4 for the event types the table marks large (`EF_LARGE_PAYLOAD`).
        let lengthWidth: Int

        /// Even codes are enter events, odd codes exit events.
        public var isEnter: Bool { type % 2 == 0 }

        /// The size of parameter `index` (0 past the last).
        public func parameterSize(_ index: Int) -> Int {
            guard index >= 0, index < parameterCount else { return 0 }
            return Self.length(body, at: index * lengthWidth, width: lengthWidth)
        }

        /// The bytes of parameter `index`, empty past the last.
        public func parameter(_ index: Int) -> ArraySlice<UInt8> {
            guard index >= 0, index < parameterCount else { return [] }
            var start = parameterCount * lengthWidth
            for earlier in 0..<index { start += Self.length(body, at: earlier * lengthWidth, width: lengthWidth) }
            return body[start..<(start + Self.length(body, at: index * lengthWidth, width: lengthWidth))]
        }

        static func length(_ bytes: [UInt8], at: Int, width: Int) -> Int {
            width == 2 ? Int(bytes[at]) | Int(bytes[at + 1]) << 8
                : Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
    }

    /// The gzip stream of a compressed capture; nil when the file is mapped.
    private let stream: UnsafeMutablePointer<FILE>?
    public let path: String
    /// Bytes read so far (of the uncompressed stream).
    @exclusivity(unchecked) public private(set) var offset = 0
    @exclusivity(unchecked) private var pending: (type: UInt32, length: UInt32, at: Int)?
    /// The bytes being parsed: a plain capture mapped whole (no copy from the page cache), or the read buffer
    /// of a gzip stream. Bytes `position..<filled` are available and not yet parsed.
    @exclusivity(unchecked) private var view: UnsafeRawBufferPointer
    @exclusivity(unchecked) private var mapping: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var storage: UnsafeMutableRawBufferPointer?
    @exclusivity(unchecked) private var position = 0
    @exclusivity(unchecked) private var filled = 0
    /// How much of a mapped capture has been given back to the kernel (its pages dropped from this process's
    /// resident set once read: events are copied out, so RSS stays flat however large the capture is).
    @exclusivity(unchecked) private var released = 0
    /// Events read so far.
    @exclusivity(unchecked) public private(set) var eventCount = 0

    /// Opens a capture and reads everything before the first event block.
    public init(path: String) throws(TraceLabError) {
        self.path = path
        if let mapped = Self.map(path) {
            stream = nil
            mapping = UnsafeMutableRawPointer(mutating: mapped.baseAddress)
            view = mapped
            filled = mapped.count
        } else {
            // zlib inflates a gzip stream as it is read (and reads other files as they are).
            guard let stream = tracelab_gzip_fopen(path) else {
                throw TraceLabError("cannot open the capture", at: SourceLocation(file: path, line: 0, column: 0))
            }
            self.stream = stream
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
            storage = buffer
            view = UnsafeRawBufferPointer(buffer)
        }
        try readHeader()
    }

    deinit {
        if let stream { fclose(stream) }
        if let mapping { munmap(mapping, view.count) }
        storage?.deallocate()
    }

    /// Bytes of a mapped capture read before they are released (a multiple of the page size).
    private static let releaseStep = 4 << 20

    /// A plain (not gzip) capture mapped read-only; nil for gzip files, empty files and anything not mappable.
    private static func map(_ path: String) -> UnsafeRawBufferPointer? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_size >= 2 else { return nil }
        let size = Int(status.st_size)
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else { return nil }
        let bytes = UnsafeRawBufferPointer(start: base, count: size)
        if bytes[0] == 0x1F && bytes[1] == 0x8B {
            munmap(base, size)
            return nil
        }
        _ = madvise(base, size, MADV_SEQUENTIAL)
        return bytes
    }

    private func fail(_ message: String, at offset: Int) -> TraceLabError {
        TraceLabError("\(message) (at byte \(offset))", at: SourceLocation(file: path, line: 0, column: 0, offset: offset))
    }

    /// Makes `count` bytes available at `position` (a gzip stream is read on in 1 MiB reads); false at a clean
    /// end of file (nothing left), an error when the file ends inside them.
    private func ensure(_ count: Int, _ what: @autoclosure () -> String) throws(TraceLabError) -> Bool {
        if filled - position >= count { return true }
        guard let stream, var buffer = storage else {
            if filled == position { return false }
            throw fail("\(what()) cut short: \(filled - position) of \(count) bytes", at: offset + filled - position)
        }
        if position > 0 {
            let remaining = filled - position
            if remaining > 0, let base = buffer.baseAddress { memmove(base, base + position, remaining) }
            filled = remaining
            position = 0
        }
        if count > buffer.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: count + (1 << 20), alignment: 8)
            if filled > 0, let source = buffer.baseAddress, let target = larger.baseAddress { memcpy(target, source, filled) }
            buffer.deallocate()
            buffer = larger
            storage = larger
            view = UnsafeRawBufferPointer(larger)
        }
        while filled < count {
            let got = fread(buffer.baseAddress.map { $0 + filled }, 1, buffer.count - filled, stream)
            if got == 0 { break }
            filled += got
        }
        if filled == 0 && ferror(stream) == 0 { return false }
        guard filled >= count else {
            throw fail("\(what()) cut short: \(filled) of \(count) bytes" + (ferror(stream) != 0 ? " (the gzip stream is \(String(cString: tracelab_gzip_last_error())))" : ""), at: offset + filled)
        }
        return true
    }

    /// `count` bytes of the view from `start`, copied out.
    private func copy(_ start: Int, _ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { target, initialized in
            if count > 0, let source = view.baseAddress, let base = target.baseAddress { memcpy(base, source + start, count) }
            initialized = count
        }
    }

    /// A little-endian u16 of the bytes being parsed.
    private func bufferedU16(_ at: Int) -> UInt16 {
        UInt16(littleEndian: view.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    /// A little-endian u32 of the bytes being parsed.
    private func bufferedU32(_ at: Int) -> UInt32 {
        UInt32(littleEndian: view.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    /// The next block's type, length and offset; nil at the end.
    private func nextBlock() throws(TraceLabError) -> (type: UInt32, length: UInt32, at: Int)? {
        if let pending { self.pending = nil; return pending }
        if let mapping, position - released >= Self.releaseStep {
            let end = position & ~(Self.releaseStep - 1)
            _ = madvise(mapping + released, end - released, MADV_DONTNEED)
            released = end
        }
        let at = offset
        guard try ensure(8, "a block header") else { return nil }
        let type = bufferedU32(position), length = bufferedU32(position + 4)
        position += 8
        offset += 8
        guard length >= 12, length % 4 == 0, length <= 256 << 20 else {
            throw fail("block 0x\(String(type, radix: 16)) claims \(length) bytes", at: at)
        }
        return (type, length, at)
    }

    /// A block's body (without header and trailer), after checking the trailer.
    private func body(_ block: (type: UInt32, length: UInt32, at: Int)) throws(TraceLabError) -> [UInt8] {
        let size = Int(block.length) - 12
        guard try ensure(size + 4, "block 0x\(String(block.type, radix: 16))") else {
            throw fail("block 0x\(String(block.type, radix: 16)) cut short", at: block.at)
        }
        let bytes = copy(position, size)
        let trailer = bufferedU32(position + size)
        position += size + 4
        offset += size + 4
        guard trailer == block.length else {
            throw fail("wrong block total length, header=\(block.length), trailer=\(trailer)", at: offset - 4)
        }
        return bytes
    }

    private func readHeader() throws(TraceLabError) {
        guard try ensure(8, "the section header") else { throw fail("an empty file is not a scap capture", at: 0) }
        let type = bufferedU32(position), length = bufferedU32(position + 4)
        guard type == Block.sectionHeader else { throw fail("not a scap capture: invalid block type 0x\(String(type, radix: 16))", at: 0) }
        position += 8
        offset += 8
        let first = (type: Block.sectionHeader, length: length, at: 0)
        guard first.length >= 28, first.length % 4 == 0, first.length <= 1 << 20 else { throw fail("section header claims \(first.length) bytes", at: 0) }
        let header = try body(first)
        guard header.count >= 16 else { throw fail("section header too short", at: first.at) }
        guard Self.u32(header, 0) == 0x1A2B_3C4D else { throw fail("invalid magic number (byte-swapped captures are not read)", at: first.at + 8) }
        version = (Int(Self.u16(header, 4)), Int(Self.u16(header, 6)))
        guard version.major <= 1 else { throw fail("scap version \(version.major).\(version.minor) is newer than this reader", at: first.at + 12) }
        while let block = try nextBlock() {
            if Block.events[block.type] != nil {
                pending = block
                return
            }
            let bytes = try body(block)
            var cursor = Cursor(bytes: bytes, base: block.at + 8, path: path)
            if Block.machineInfo.contains(block.type) {
                let cpus = try cursor.u32(), memory = try cursor.u64()
                try cursor.skip(8)
                let hostname = try cursor.fixedString(128)
                machine = Machine(cpus: cpus, memoryBytes: memory, hostname: hostname, bootTime: cursor.remaining >= 8 ? try cursor.u64() : 0)
            } else if let version = Block.processLists[block.type] {
                try readProcesses(&cursor, version: version)
            } else if let version = Block.fdLists[block.type] {
                try readFileDescriptors(&cursor, version: version)
            } else if let version = Block.userLists[block.type] {
                try readUsers(&cursor, version: version)
            } else if let version = Block.interfaceLists[block.type] {
                try readInterfaces(&cursor, version: version)
            } else {
                skippedBlocks += 1
            }
        }
        throw fail("no events in file", at: offset)
    }

    /// The next event, or nil at the end of the capture. Unknown blocks between events are skipped.
    public func next() throws(TraceLabError) -> RawEvent? {
        try next(handledUnread: nil)
    }

    /// The header of an event (V1 or V2 block) seen in the read buffer, before it is copied out.
    public struct Glance {
        public var type: UInt16
        public var tid: Int64
        /// The first parameter as a sign-extended integer (nil when absent, empty or wider than 8 bytes).
        public var firstParameter: Int64?
    }

    /// Event block kinds: whether the header has a parameter count (V2) and the body a flags field (nil: not an
    /// event block).
    public static func eventKind(_ type: UInt32) -> (v2: Bool, flags: Bool)? {
        switch type {
        case 0x204, 0x8010_ABCD: return (false, false)
        case 0x208: return (false, true)
        case 0x216, 0x221: return (true, false)
        case 0x217, 0x222: return (true, true)
        default: return nil
        }
    }

    /// The next event the caller does not handle from a glance; `handledUnread` returns true for an event it
    /// dealt with from its type, thread and first parameter alone (that event is not copied out of the file, and
    /// only its block, header and length array are checked). An event returned is checked whole: block trailer,
    /// header, and parameter lengths that fit.
    public func next(handledUnread: ((Glance) -> Bool)?) throws(TraceLabError) -> RawEvent? {
        while let block = try nextBlock() {
            guard let kind = Self.eventKind(block.type) else {
                _ = try body(block)
                skippedBlocks += 1
                continue
            }
            let size = Int(block.length) - 12
            guard try ensure(size + 4, "block 0x\(String(block.type, radix: 16))") else {
                throw fail("block 0x\(String(block.type, radix: 16)) cut short", at: block.at)
            }
            let trailer = bufferedU32(position + size)
            guard trailer == block.length else {
                throw fail("wrong block total length, header=\(block.length), trailer=\(trailer)", at: offset + size)
            }
            let event = try layout(block, kind: kind, size: size)
            let raw = view
            let cpu = bufferedU16(position)
            let flags = kind.flags ? bufferedU32(position + 2) : 0
            let timestamp = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: event.start, as: UInt64.self))
            let tid = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: event.start + 8, as: Int64.self))
            let type = bufferedU16(event.start + 20)
            if let handledUnread, event.width == 2 {
                var first: Int64?
                if event.count >= 1 {
                    let width = Int(bufferedU16(event.lengths))
                    let at = event.lengths + 2 * event.count
                    if width > 0, width <= 8, at + width <= event.end {
                        var value: UInt64 = 0
                        for shift in 0..<width { value |= UInt64(raw[at + shift]) << (8 * UInt64(shift)) }
                        first = ScapParams.signExtended(value, bytes: width)
                    }
                }
                if handledUnread(Glance(type: type, tid: tid, firstParameter: first)) {
                    position += size + 4
                    offset += size + 4
                    eventCount += 1
                    continue
                }
            }
            try checkParameters(event, at: block.at + 8 + (event.start - position))
            let body = [UInt8](unsafeUninitializedCapacity: event.end - event.lengths) { target, initialized in
                if let source = raw.baseAddress, let base = target.baseAddress { memcpy(base, source + event.lengths, event.end - event.lengths) }
                initialized = event.end - event.lengths
            }
            position += size + 4
            offset += size + 4
            eventCount += 1
            return RawEvent(offset: block.at, cpu: cpu, flags: flags, timestamp: timestamp, tid: tid, type: type, body: body,
                            parameterCount: event.count, lengthWidth: event.width)
        }
        return nil
    }

    /// Where an event block's event lies in the read buffer (`start` its header, `lengths` its length array, `end`
    /// past its last parameter) and how many parameter lengths of which width it has, the length array checked to
    /// fit (the parameters are checked by `checkParameters` before the event is copied out). V1 events carry no
    /// count: the largest one whose u16 lengths add up to the event length exactly, as libscap infers it (from
    /// the event table's count downward).
    /// Checks that the parameters of an event laid out by `layout` fit inside it.
    private func checkParameters(_ event: (start: Int, lengths: Int, end: Int, count: Int, width: Int), at fileOffset: Int) throws(TraceLabError) {
        var total = event.lengths + event.count * event.width
        for index in 0..<event.count {
            let at = event.lengths + event.width * index
            let size = event.width == 2 ? Int(bufferedU16(at)) : Int(bufferedU32(at))
            guard total + size <= event.end else { throw fail("parameter \(index) of \(size) bytes runs past the event", at: fileOffset) }
            total += size
        }
    }

    private func layout(_ block: (type: UInt32, length: UInt32, at: Int), kind: (v2: Bool, flags: Bool), size: Int) throws(TraceLabError)
        -> (start: Int, lengths: Int, end: Int, count: Int, width: Int) {
        let start = position + 2 + (kind.flags ? 4 : 0)
        let headerSize = kind.v2 ? 26 : 22
        let fileOffset = block.at + 8 + (start - position)
        guard start + 22 <= position + size else {
            throw fail("a field of \(start + 22 - position - size) bytes runs past its block", at: block.at + 8 + size)
        }
        let length = Int(bufferedU32(start + 16))
        let type = bufferedU16(start + 20)
        guard length <= position + size - start else { throw fail("event of \(length) bytes in a block of \(position + size - start)", at: fileOffset) }
        guard length >= headerSize else { throw fail("event length \(length) shorter than its header", at: fileOffset) }
        let end = start + length
        let table = ScapEventTable.layout(type)
        if kind.v2 {
            let count = Int(bufferedU32(start + 22))
            let width = table.large ? 4 : 2
            let lengths = start + 26
            guard count < 256, lengths + count * width <= end else {
                throw fail("event claims \(count) parameters that do not fit", at: fileOffset)
            }
            return (start, lengths, end, count, width)
        }
        let lengths = start + 22
        let expected = table.parameters
        for count in stride(from: min(expected, (length - 22) / 2), through: 0, by: -1) {
            var total = 22 + 2 * count
            for index in 0..<count { total += Int(bufferedU16(lengths + 2 * index)) }
            if total == length { return (start, lengths, end, count, 2) }
        }
        throw fail("cannot convert v1 event block to v2 (corrupted trace file - can't calculate nparams)", at: fileOffset)
    }

    private func readProcesses(_ cursor: inout Cursor, version: Int) throws(TraceLabError) {
        while cursor.remaining >= 4 {
            let entryStart = cursor.position
            var entryLength = 0
            if version >= 9 { entryLength = Int(try cursor.u32()) }
            var process = Process(tid: try cursor.i64(), pid: try cursor.i64(), ptid: try cursor.i64())
            if version >= 6 { process.sid = try cursor.i64() }
            if version >= 8 { process.vpgid = try cursor.i64() }
            process.comm = try cursor.string()
            process.exe = try cursor.string()
            if version >= 7 { process.exepath = try cursor.string() }
            process.args = Self.list(try cursor.string())
            process.cwd = try cursor.string()
            process.fdlimit = try cursor.u64()
            process.flags = try cursor.u32()
            process.uid = try cursor.u32()
            process.gid = try cursor.u32()
            if version >= 2 { try cursor.skip(4 + 4 + 4 + 8 + 8) }
            if version >= 3 { process.env = Self.environment(Array(try cursor.string().utf8)[...]) }
            if version >= 4 {
                process.vtid = try cursor.i64()
                process.vpid = try cursor.i64()
                process.cgroups = Self.list(try cursor.string())
            }
            if version >= 5 { process.root = try cursor.string() }
            if version >= 9, entryLength > 0 {
                let end = entryStart + entryLength
                if end - cursor.position > 29 {
                    try cursor.skip(8)
                    process.tty = try cursor.u32()
                }
                if end - cursor.position >= 4 { process.loginuid = try cursor.u32() }
                guard end <= cursor.count else { throw cursor.fail("process entry of \(entryLength) bytes runs past its block") }
                try cursor.skip(end - cursor.position)
            }
            processes.append(process)
        }
    }

    private func readFileDescriptors(_ cursor: inout Cursor, version: Int) throws(TraceLabError) {
        let tid = try cursor.i64()
        var fds: [FileDescriptor] = []
        while cursor.remaining >= 4 {
            let entryStart = cursor.position
            var entryLength = 0
            if version >= 2 { entryLength = Int(try cursor.u32()) }
            let number = try cursor.i64()
            try cursor.skip(8)
            let type = try cursor.u8()
            var entry = FileDescriptor(number: number, type: type, name: "")
            switch type {
            case 3, 4:
                let width = type == 3 ? 4 : 16
                let source = Self.address(Array(try cursor.take(width))), destination = Self.address(Array(try cursor.take(width)))
                let sport = Int64(try cursor.u16()), dport = Int64(try cursor.u16())
                entry.l4proto = try cursor.u8()
                // Shown client to server, as libsinsp shows it; the lower port is taken for the server's.
                let (client, server) = sport < dport ? ((destination, dport), (source, sport)) : ((source, sport), (destination, dport))
                entry.client = client
                entry.server = server
                entry.name = "\(client.0):\(client.1)->\(server.0):\(server.1)"
            case 5, 6:
                let address = Self.address(Array(try cursor.take(type == 5 ? 4 : 16))), port = Int64(try cursor.u16())
                entry.l4proto = try cursor.u8()
                entry.server = (address, port)
                entry.name = "\(address):\(port)"
            case 8:
                try cursor.skip(16)
                // A socket path keeps the newline /proc/net/unix gave it (libsinsp's conditions see it; outputs drop it).
                entry.name = try cursor.name()
            case 16:
                try cursor.skip(4)
                entry.name = try cursor.name()
            default:
                entry.name = try cursor.name()
            }
            if version >= 2, entryLength > 0 {
                guard entryStart + entryLength <= cursor.count else { throw cursor.fail("fd entry runs past its block") }
                try cursor.skip(entryStart + entryLength - cursor.position)
            }
            fds.append(entry)
        }
        fdLists.append((tid, fds))
    }

    private func readUsers(_ cursor: inout Cursor, version: Int) throws(TraceLabError) {
        while cursor.remaining >= 4 {
            let entryStart = cursor.position
            var entryLength = 0
            if version >= 2 { entryLength = Int(try cursor.u32()) }
            let type = try cursor.u8()
            if type == 0 {
                users.append((try cursor.u32(), try cursor.u32(), try cursor.string(), try cursor.string(), try cursor.string()))
            } else {
                groups.append((try cursor.u32(), try cursor.string()))
            }
            if version >= 2, entryLength > 0 {
                guard entryStart + entryLength <= cursor.count else { throw cursor.fail("user entry runs past its block") }
                try cursor.skip(entryStart + entryLength - cursor.position)
            }
        }
    }

    private func readInterfaces(_ cursor: inout Cursor, version: Int) throws(TraceLabError) {
        while cursor.remaining >= 4 {
            var entryLength = 0
            if version >= 2 { entryLength = Int(try cursor.u32()) }
            let entryStart = cursor.position
            let type = try cursor.u16()
            let nameLength = Int(try cursor.u16())
            var address = ""
            switch type {
            case 1, 3:
                address = Self.address(Array(try cursor.take(4)))
                try cursor.skip(8 + (type == 1 ? 8 : 0))
            case 2, 4: try cursor.skip(48 + (type == 2 ? 8 : 0))
            default: throw cursor.fail("unknown interface type \(type)")
            }
            let name = try cursor.fixedString(nameLength)
            if version >= 2, entryLength > 0 {
                guard entryStart + entryLength <= cursor.count else { throw cursor.fail("interface entry runs past its block") }
                try cursor.skip(entryStart + entryLength - cursor.position)
            }
            interfaces.append((name, address))
        }
    }

    /// A NUL-separated list (arguments, environment); empty items inside are kept, as programs that rewrite
    /// their argv leave them, and the final NUL ends the list.
    static func list(_ text: String) -> [String] {
        list(Array(text.utf8)[...])
    }

    /// A NUL-separated list from its bytes (split on the bytes, not on characters).
    static func list(_ bytes: ArraySlice<UInt8>) -> [String] {
        var items = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if items.last == "" { items.removeLast() }
        return items
    }

    /// An environment as libsinsp reads one (its set_env): a NUL-separated list that ends where only NULs remain,
    /// so a buffer of NULs is an empty environment (empty items before other text are kept).
    static func environment(_ bytes: ArraySlice<UInt8>) -> [String] {
        guard let last = bytes.lastIndex(where: { $0 != 0 }) else { return [] }
        return list(bytes[...last] + [0])
    }

    /// An address of 4 or 16 bytes in network order as text (IPv4-mapped IPv6 shown as IPv4, as libsinsp does).
    static func address(_ bytes: [UInt8]) -> String {
        if bytes.count == 16, ScapParams.isMappedIPv4(bytes) { return ScapParams.ipv4(bytes[12..<16]) }
        if bytes.count == 4 { return ScapParams.ipv4(bytes) }
        return ScapParams.ipv6(bytes)
    }

    static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }

    /// Little-endian fields of a block body, with errors at their file offsets.
    struct Cursor {
        let bytes: [UInt8]
        let base: Int
        let path: String
        var position = 0

        init(bytes: [UInt8], base: Int, path: String) {
            self.bytes = bytes
            self.base = base
            self.path = path
        }

        var count: Int { bytes.count }
        var remaining: Int { bytes.count - position }

        func fail(_ message: String) -> TraceLabError {
            TraceLabError("\(message) (at byte \(base + position))", at: SourceLocation(file: path, line: 0, column: 0, offset: base + position))
        }

        mutating func take(_ size: Int) throws(TraceLabError) -> ArraySlice<UInt8> {
            guard size >= 0, position + size <= bytes.count else { throw fail("a field of \(size) bytes runs past its block") }
            defer { position += size }
            return bytes[position..<(position + size)]
        }

        mutating func skip(_ size: Int) throws(TraceLabError) { _ = try take(size) }
        mutating func u8() throws(TraceLabError) -> UInt8 { try take(1).first ?? 0 }
        mutating func u16() throws(TraceLabError) -> UInt16 { let b = try take(2); return UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8 }
        mutating func u32() throws(TraceLabError) -> UInt32 {
            let b = try take(4)
            return b.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        }
        mutating func u64() throws(TraceLabError) -> UInt64 {
            let b = try take(8)
            return b.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }
        mutating func i64() throws(TraceLabError) -> Int64 { Int64(bitPattern: try u64()) }
        /// A `u16` length and that many bytes (not NUL-terminated on disk).
        mutating func string() throws(TraceLabError) -> String {
            let length = Int(try u16())
            return String(decoding: try take(length), as: UTF8.self)
        }
        /// A length-prefixed name, up to the first NUL among its bytes (libscap reads fd names into C strings).
        mutating func name() throws(TraceLabError) -> String {
            let length = Int(try u16())
            return String(decoding: try take(length).prefix { $0 != 0 }, as: UTF8.self)
        }
        /// A fixed-size field, up to its first NUL.
        mutating func fixedString(_ size: Int) throws(TraceLabError) -> String {
            String(decoding: try take(size).prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

extension ScapFile {
    /// What a whole capture holds beyond its header blocks: events by type code, the first and last timestamps,
    /// and the first events themselves (for `tracelab scap --events N`).
    public struct Survey {
        /// Event counts by type code, ascending.
        public var byType: [(type: UInt16, count: Int)]
        public var first: UInt64?
        public var last: UInt64 = 0
        public var listed: [RawEvent] = []
    }

    /// Reads every event of the capture (keeping the first `listing`), then returns the survey; the header
    /// blocks (machine, processes, fds, users) are in the file's properties afterwards.
    public func survey(listing: Int = 0) throws(TraceLabError) -> Survey {
        var counts: [UInt16: Int] = [:]
        var survey = Survey(byType: [])
        while let event = try next() {
            counts[event.type, default: 0] += 1
            survey.first = survey.first ?? event.timestamp
            survey.last = max(survey.last, event.timestamp)
            if survey.listed.count < listing { survey.listed.append(event) }
        }
        survey.byType = counts.sorted { $0.key < $1.key }.map { (type: $0.key, count: $0.value) }
        return survey
    }
}
