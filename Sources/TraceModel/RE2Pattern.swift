import CRE2

/// A regular expression compiled by RE2 (Debian's libre2), the engine Falco (libsinsp) and Prometheus (Go's
/// regexp, RE2 syntax) use: RE2's syntax accepted and refused exactly, matching in time linear in the text (no
/// backtracking, so `(a+)+$` on a long cmdline costs what `a+$` does). Matching is thread-safe.
public final class RE2Pattern: @unchecked Sendable {
    /// The pattern as written.
    public let pattern: String
    private let handle: OpaquePointer

    /// RE2's message when a pattern does not compile (`missing ): (a+`, `pattern too large - compile failed`).
    public struct CompileError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Compiles `pattern`. `dotMatchesNewline` is Prometheus 3's `(?s:...)`; Falco leaves it off. The compiled
    /// program is bounded by RE2's default memory limit (8 MiB): a pattern past it is refused, not slow.
    public init(_ pattern: String, dotMatchesNewline: Bool = false) throws(CompileError) {
        self.pattern = pattern
        var error = [CChar](repeating: 0, count: 512)
        var text = pattern
        let compiled: OpaquePointer? = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                tl_re2_new(chars.baseAddress, chars.count, dotMatchesNewline ? 1 : 0, 0, &error, error.count)
            }
        }
        guard let compiled else {
            let message = error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            throw CompileError(message: String(decoding: message, as: UTF8.self))
        }
        handle = compiled
    }

    deinit { tl_re2_delete(handle) }

    /// Whether the whole text matches (RE2's FullMatch: anchored at both ends).
    public func fullMatch(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in tl_re2_full_match(handle, chars.baseAddress, chars.count) == 1 }
        }
    }

    /// A whole-text match's capture groups (index 0 the whole text; nil for a group that took no part), or nil when
    /// the text does not match.
    public func groups(_ text: String) -> [String?]? {
        var text = text
        let count = Int(tl_re2_groups(handle)) + 1
        var starts = [Int](repeating: -1, count: count), lengths = [Int](repeating: -1, count: count)
        return text.withUTF8 { bytes -> [String?]? in
            let matched = bytes.withMemoryRebound(to: CChar.self) { chars in
                tl_re2_full_match_groups(handle, chars.baseAddress, chars.count, &starts, &lengths, Int32(count)) == 1
            }
            guard matched else { return nil }
            return (0..<count).map { index in
                starts[index] < 0 ? nil : String(decoding: bytes[starts[index]..<(starts[index] + lengths[index])], as: UTF8.self)
            }
        }
    }
}
