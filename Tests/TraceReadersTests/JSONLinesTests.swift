import Foundation
import TestSupport
import Testing
import TraceModel
import TraceReaders

/// The native trace format: reading, writing, and the tables the reader keeps.
@Suite("JSON Lines traces")
struct JSONLinesTests {
    private func temporaryFile(_ name: String) -> String {
        Scratch.directory.appendingPathComponent("tracelab-\(getpid())-\(name)").path
    }

    @Test("written traces read back with the same events, threads, fds and containers")
    func roundTrip() throws {
        let events = Array(SyntheticTrace(count: 2_000))
        var writer = JSONLinesWriter()
        var text = writer.header(TraceHeader(hostname: "minikube", machine: "x86_64", startTime: 1, description: "synthetic", source: "test"))
        for event in events { text += writer.lines(for: event) }
        let path = temporaryFile("roundtrip.jsonl")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try JSONLinesReader(path: path)
        var read: [Event] = []
        while let event = try reader.next() { read.append(event) }
        #expect(reader.header?.hostname == "minikube")
        #expect(read.count == events.count)
        for (original, copy) in zip(events, read) {
            #expect(original.number == copy.number && original.timestamp == copy.timestamp && original.type == copy.type)
            #expect(original.params == copy.params)
            #expect(original.thread?.cmdline == copy.thread?.cmdline)
            #expect(original.thread?.parent?.name == copy.thread?.parent?.name)
            #expect(original.thread?.container?.pod == copy.thread?.container?.pod)
            #expect(original.fd?.name == copy.fd?.name && original.fd?.serverIP == copy.fd?.serverIP && original.fd?.type == copy.fd?.type)
            #expect(copy.hostname == "minikube")
        }
        // Writing what was read gives the same bytes: the format is deterministic.
        var rewriter = JSONLinesWriter()
        var again = rewriter.header(reader.header ?? TraceHeader())
        for event in read { again += rewriter.lines(for: event) }
        #expect(again == text)
    }

    @Test("a thread record replaces the thread for later events; earlier events keep what they saw")
    func threadTable() throws {
        let path = temporaryFile("exec.jsonl")
        try """
        {"kind":"thread","tid":7,"name":"bash","args":["-c","cat x"]}
        {"type":"clone","ts":1,"tid":7,"args":{"res":0}}
        {"kind":"thread","tid":7,"name":"cat","args":["x"]}
        {"type":"execve","ts":2,"tid":7,"args":{"res":0}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let events = try JSONLinesReader.readAll(path: path)
        #expect(events.map { $0.thread?.cmdline } == ["bash -c cat x", "cat x"])
        #expect(events.map(\.number) == [1, 2])
    }

    @Test("parameters keep their order, raw values, buffers and open flags")
    func parameters() throws {
        let path = temporaryFile("params.jsonl")
        try #"{"type":"openat","ts":5,"args":{"fd":3,"name":"/etc/shadow","flags":"O_RDWR|O_CREAT","data":{"text":"ab","hex":"6100ff"},"mode":{"raw":420,"text":"0644"}}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let event = try #require(try JSONLinesReader.readAll(path: path).first)
        #expect(event.params.map(\.name) == ["fd", "name", "flags", "data", "mode"])
        #expect(event.param("fd")?.raw == 3)
        #expect(event.param("flags")?.raw == Int64(3 | 4))
        #expect(event.param("data")?.bytes == [0x61, 0x00, 0xFF])
        #expect(event.param("mode")?.text == "0644" && event.param("mode")?.raw == 420)
        #expect(event.direction == .exit)
    }

    @Test("JSON parser: escapes, unicode, numbers, nesting limit")
    func parser() throws {
        let value = try JSONParser.parse(Array(#"{"a":"x\"y\u00e9\ud83d\ude00","b":[1,-2,3.5,true,null],"c":18446744073709551615}"#.utf8))
        #expect(value["a"] == .string("x\"yé😀"))
        #expect(value["b"] == .array([.integer(1), .integer(-2), .double(3.5), .bool(true), .null]))
        #expect(value["c"] == .unsigned(UInt64.max))
        // A high surrogate not followed by a low one is U+FFFD, and what follows it is read on its own (found by
        // fuzzing: a second high surrogate overflowed the pairing arithmetic), as Go's encoding/json reads it.
        let lone = try JSONParser.parse(Array(#"["\uDAFE\uDAF2", "\uDAFE\u0041", "\uD800 x", "\uDC00"]"#.utf8))
        #expect(lone == .array([.string("\u{FFFD}\u{FFFD}"), .string("\u{FFFD}A"), .string("\u{FFFD} x"), .string("\u{FFFD}")]))
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(String(repeating: "[", count: 10_000).utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array("{\"a\":1}x".utf8)) }
    }

    @Test("skipping a value stops exactly where reading it would, and refuses what reading it refuses")
    func skipValue() throws {
        let valid = [#"{"a":"x\"y","b":[1,{"c":null}],"d":-2.5e3,"e":true} ,"#, #""plain" ,"#, "-17 ,", "[[[]]] ,", "null ,", #"{"k":"\u00e9"} ,"#]
        for text in valid {
            let bytes = Array(text.utf8)
            let (skipped, read) = try bytes.withUnsafeBufferPointer { buffer throws(JSONParser.Failure) -> (Int, Int) in
                var skipper = JSONScanner(buffer), reader = JSONScanner(buffer)
                try skipper.skipValue()
                _ = try reader.readValue()
                return (skipper.offset, reader.offset)
            }
            #expect(skipped == read && bytes[skipped] == UInt8(ascii: ","), "\(text)")
        }
        for text in [#"{"a":}"#, #"{"a" 1}"#, #""open"#, "tru", #"{"a":[1,}"#, String(repeating: "{\"a\":", count: 10_000)] {
            #expect(throws: JSONParser.Failure.self, "\(text.prefix(20))") {
                try Array(text.utf8).withUnsafeBufferPointer { buffer throws(JSONParser.Failure) in
                    var scanner = JSONScanner(buffer)
                    try scanner.skipValue()
                }
            }
        }
    }

    @Test("JSON strings: the escapes RFC 8259 requires, everything else (multi-byte characters included) kept as is, and read back unchanged")
    func stringEscapes() throws {
        let text = "a\"b\\c\nd\re\tf\u{01}g\u{1F}h é 日本 🙂 \u{2028} /</script>"
        var out = ""
        JSONValue.writeString(text, to: &out)
        #expect(out == #""a\"b\\c\nd\re\tf\u0001g\u001fh é 日本 🙂 \#u{2028} /</script>""#)
        #expect(try JSONParser.parse(Array(out.utf8)) == .string(text))
        var plain = ""
        JSONValue.writeString("", to: &plain)
        JSONValue.writeString("no escapes at all", to: &plain)
        #expect(plain == #""""no escapes at all""#)
    }
}
