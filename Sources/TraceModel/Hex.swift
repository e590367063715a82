/// Hexadecimal digits and byte strings, as used by trace buffers (`hex`) and Falco's `bcontains`.
public enum Hex {
    /// The value of one hex digit, or nil.
    @inlinable
    public static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Decodes an even-length hex string (`656c6C`); nil for odd lengths or other characters.
    /// `allowEmpty` accepts "" as no bytes.
    public static func decode(_ text: String, allowEmpty: Bool = true) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0, allowEmpty || !digits.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = digitValue(digits[index]), let low = digitValue(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    /// Lowercase hex of bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
