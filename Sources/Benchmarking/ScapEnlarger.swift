import CGzipStream
import Foundation
import TraceModel
import TraceReaders

/// Enlarges a scap capture as it was written, not rewritten by TraceLab: its header blocks (section header, machine,
/// process, fd, user and interface lists) copied once, then its event blocks copied `times` times, each round's
/// timestamps moved past the previous round's. The section's length is marked unknown, as a live capture's is.
public enum ScapEnlarger {
    /// Event block types (scap 2.x and 3.x, with and without flags): where each one's timestamp sits.
    /// Writes the capture's event blocks `times` times to `output`; returns the events written.
    @discardableResult
    public static func enlarge(_ input: String, times: Int, to output: String) throws -> Int {
        try enlarge(input, to: output) { _ in times }.total
    }

    /// Writes the enlarged capture to `output`, repeated as many times as `rounds` asks given the events of one
    /// round (the capture is read once); returns the events of a round, the rounds and the events written.
    @discardableResult
    public static func enlarge(_ input: String, to output: String, rounds: (_ perRound: Int) -> Int) throws -> (perRound: Int, rounds: Int, total: Int) {
        // Plain or gzipped (the public captures are gzipped), read through zlib either way.
        guard let stream = tracelab_gzip_fopen(input) else { throw BenchmarkError("cannot read \(input)") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = fread(&chunk, 1, chunk.count, stream)
            if read == 0 { break }
            bytes += chunk.prefix(read)
        }
        let failed = ferror(stream) != 0
        fclose(stream)
        if failed { throw BenchmarkError("\(input): the gzip stream is \(String(cString: tracelab_gzip_last_error()))") }
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
        guard bytes.count >= 28, u32(0) == 0x0A0D_0D0A, u32(8) == 0x1A2B_3C4D else {
            throw BenchmarkError("\(input): not a little-endian scap capture")
        }
        var header: [UInt8] = []
        var events: [(range: Range<Int>, timestamp: Int)] = []
        var offset = 0
        var first = UInt64.max, last: UInt64 = 0
        while offset + 12 <= bytes.count {
            let type = u32(offset), length = Int(u32(offset + 4))
            guard length >= 12, length % 4 == 0, offset + length <= bytes.count else { throw BenchmarkError("\(input): corrupt block at byte \(offset)") }
            if let kind = ScapFile.eventKind(type) {
                let at = offset + 8 + 2 + (kind.flags ? 4 : 0)
                guard at + 8 <= offset + length else { throw BenchmarkError("\(input): event block too short at byte \(offset)") }
                let timestamp = u64(at)
                first = min(first, timestamp)
                last = max(last, timestamp)
                events.append((offset..<(offset + length), at - offset))
            } else {
                header += bytes[offset..<(offset + length)]
            }
            offset += length
        }
        guard !events.isEmpty else { throw BenchmarkError("\(input): no events") }
        let times = max(1, rounds(events.count))
        // The section's length is unknown once its events repeat.
        for index in 16..<24 { header[index] = 0xFF }
        // Wrapping: a capture may hold an event with a timestamp of 0 or one far away; the shift only has to separate rounds.
        let span = (last &- first) &+ 1_000
        var out = header
        out.reserveCapacity(header.count + events.reduce(0) { $0 + $1.range.count } * times)
        for round in 0..<times {
            let shift = UInt64(round) &* span
            for event in events {
                let start = out.count
                out += bytes[event.range]
                let at = start + event.timestamp
                var timestamp: UInt64 = 0
                for index in 0..<8 { timestamp |= UInt64(out[at + index]) << (8 * UInt64(index)) }
                timestamp &+= shift
                for index in 0..<8 { out[at + index] = UInt8(truncatingIfNeeded: timestamp >> (8 * UInt64(index))) }
            }
        }
        guard FileManager.default.createFile(atPath: output, contents: Data(out)) else { throw BenchmarkError("cannot write \(output)") }
        return (events.count, times, events.count * times)
    }
}
