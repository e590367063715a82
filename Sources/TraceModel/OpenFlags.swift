/// Falco's open flag names, with the bit each has in TraceLab's flag encoding (libsinsp's PPM_O_*).
public enum OpenFlags {
    public static let bits: [(name: String, bit: Int64)] = [
        ("O_RDONLY", 1 << 0), ("O_WRONLY", 1 << 1), ("O_CREAT", 1 << 2), ("O_APPEND", 1 << 3),
        ("O_DSYNC", 1 << 4), ("O_EXCL", 1 << 5), ("O_NONBLOCK", 1 << 6), ("O_SYNC", 1 << 7),
        ("O_TRUNC", 1 << 8), ("O_DIRECT", 1 << 9), ("O_DIRECTORY", 1 << 10), ("O_LARGEFILE", 1 << 11),
        ("O_CLOEXEC", 1 << 12), ("O_TMPFILE", 1 << 13), ("O_NOFOLLOW", 1 << 14), ("O_NOATIME", 1 << 15),
        ("O_PATH", 1 << 16), ("O_F_CREATED", 1 << 17), ("FD_UPPER_LAYER", 1 << 18), ("FD_LOWER_LAYER", 1 << 19),
    ]

    /// Flag bits of an open event: the raw value when the reader gave one, else parsed from the text.
    public static func value(of param: Param) -> Int64 {
        if let raw = param.raw { return raw }
        var result: Int64 = 0
        for token in param.text.split(separator: "|") {
            let name = token.split(separator: "(").first.map(String.init) ?? String(token)
            if name == "O_RDWR" { result |= 3; continue }
            if let bit = bits.first(where: { $0.name == name })?.bit { result |= bit }
        }
        return result
    }

    /// Renders bits as Falco does: `O_RDWR|O_CREAT`.
    public static func render(_ value: Int64) -> String {
        var names: [String] = []
        if value & 3 == 3 { names.append("O_RDWR") }
        for (name, bit) in bits where value & bit != 0 {
            if (bit == 1 || bit == 2) && value & 3 == 3 { continue }
            names.append(name)
        }
        return names.isEmpty ? "O_NONE" : names.joined(separator: "|")
    }
}

