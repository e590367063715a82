/// File names as libsinsp shows them: absolute, with `.`, `..` and repeated slashes removed, and symbolic links
/// not followed. Used by the scap reader (fd names, paths in parameters) and the strace importer (paths as opened).
enum PathNames {
    /// `path` made absolute against `directory` (when relative) and normalized.
    static func resolve(_ path: String, against directory: String) -> String {
        // Most paths are absolute and clean already: no `.` component, no repeated or trailing slash.
        if path.utf8.first == UInt8(ascii: "/"), isClean(path.utf8) { return path }
        let full = path.hasPrefix("/") || path.isEmpty ? path : directory + "/" + path
        guard !full.isEmpty else { return full }
        var parts: [Substring] = []
        for part in full.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// True when an absolute path needs no normalization.
    static func isClean(_ bytes: String.UTF8View) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        for byte in bytes {
            if byte == slash && (previous == slash || previous == dot && (beforePrevious == slash || beforePrevious == dot)) { return false }
            beforePrevious = previous
            previous = byte
        }
        if previous == slash && bytes.count > 1 { return false }
        if previous == dot && (beforePrevious == slash || beforePrevious == dot) { return false }
        return true
    }
}
