// Helpers for SluiceDocument's tests: seeded random JSON values and the conformance folder.
import Foundation
import SluiceDocument
import SluiceWorkload

/// Seeded random JSON values: numbers near the interesting boundaries, strings with escapes
/// and multi-byte UTF-8, nested arrays and objects.
struct RandomJSON {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    static let interestingIntegers: [Int64] = [0, 1, -1, 2, 127, 128, 255, 256, -255, -256, -257, 65535, 65536,
                                              Int64(Int32.max), Int64(Int32.min), 1 << 53, (1 << 53) + 1,
                                              Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
    static let interestingDoubles: [Double] = [0.0, -0.0, 0.5, -0.5, 1.5, 20.0, 1e20, 1e-7, 1e16, 1e15, 123.45,
                                              9.223372036854775808e18, 1.8446744073709551616e19, -9.223372036854775808e18,
                                              Double.leastNonzeroMagnitude, 1.7976931348623157e308, -1.7976931348623157e308, 2.2250738585072014e-308,
                                              0.1, 0.2, 0.30000000000000004, 1e-5, 0.0001, 1e21, 1e22, 1e23]
    static let alphabet: [String] = ["a", "b", "z", "A", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}",
                                     "é", "ü", "–", "€", "𝄞", "😀", "\u{FFFF}", "\u{10FFFF}", "~", "~1"]

    mutating func below(_ bound: Int) -> Int { random.below(bound) }

    mutating func number() -> JSONValue {
        switch below(8) {
        case 0: return .int(Self.interestingIntegers[below(Self.interestingIntegers.count)])
        case 1: return .uint(UInt64(Int64.max) + 1 + UInt64(below(1000)) * UInt64(below(1 << 30)))
        case 2: return .uint(UInt64.max - UInt64(below(3)))
        case 3: return .double(Self.interestingDoubles[below(Self.interestingDoubles.count)])
        case 4: return .double(Double(Int64(bitPattern: random.next()) >> below(64)) / Double(1 << below(20)))
        case 5:
            // Random finite double bits.
            while true {
                let value = Double(bitPattern: random.next())
                if value.isFinite { return .double(value) }
            }
        case 6: return .int(Int64(below(2001)) - 1000)
        default: return .double(Double(below(2001) - 1000))
        }
    }

    mutating func string() -> String {
        var text = ""
        for _ in 0..<below(6) { text += Self.alphabet[below(Self.alphabet.count)] }
        return text
    }

    mutating func scalar() -> JSONValue {
        switch below(6) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2, 3: return number()
        default: return .string(string())
        }
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        let choice = depth >= 4 ? 0 : below(10)
        switch choice {
        case 7, 8:
            return .array((0..<below(5)).map { _ in value(depth: depth + 1) })
        case 9:
            var object = JSONObject()
            for _ in 0..<below(6) { object[string()] = value(depth: depth + 1) }
            return .object(object)
        default:
            return scalar()
        }
    }

    /// A value with few distinct shapes, so that comparisons often reach deep ties.
    mutating func smallValue(depth: Int = 0) -> JSONValue {
        switch depth >= 3 ? below(6) : below(9) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return [.int(Int64(below(3)) - 1), .double(Double(below(3)) - 1), .double(0.5), .uint(UInt64(1) << 63),
                        .double(9.223372036854775808e18), .int(Int64.max)][below(6)]
        case 3, 4: return .string(["", "a", "ab", "b", "\u{0}", "é"][below(6)])
        case 5: return .int(Int64(below(3)))
        case 6, 7: return .array((0..<below(3)).map { _ in smallValue(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<below(3) { object[["a", "b", "ab"][below(3)]] = smallValue(depth: depth + 1) }
            return .object(object)
        }
    }
}

/// Where the test files are.
enum TestPaths {
    /// The package root, from this file's path (Tests/SluiceDocumentTests/TestSupport.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/conformance/NAME` from the package root; a worktree nested deeper (for
    /// example /work/wt/NAME) finds it in an ancestor folder. `SLUICE_CONFORMANCE_DIR`
    /// overrides.
    static func conformance(_ name: String) -> URL? {
        if let override = ProcessInfo.processInfo.environment["SLUICE_CONFORMANCE_DIR"] {
            let url = URL(fileURLWithPath: override).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        var folder = packageRoot.deletingLastPathComponent()
        for _ in 0..<4 {
            let url = folder.appendingPathComponent("shared/conformance").appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}

/// Parses a test string; a failure is a test bug.
func document(_ text: String) throws -> Document { try Document(parsing: text) }

/// The parse error for `text`, or nil if it parsed.
func parseError(_ text: String, depthMax: Int = JSONParser.depthMaxDefault) -> JSONParseError? {
    parseError(Array(text.utf8), depthMax: depthMax)
}

func parseError(_ bytes: [UInt8], depthMax: Int = JSONParser.depthMaxDefault) -> JSONParseError? {
    var parser = JSONParser(depthMax: depthMax)
    do {
        _ = try parser.parse(bytes)
        return nil
    } catch {
        return error
    }
}
