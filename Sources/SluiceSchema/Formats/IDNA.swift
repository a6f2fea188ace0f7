// IDNA: internationalized host names (RFC 5890–5893) for `idn-hostname`, and for A-labels
// (`xn--…`) in `hostname`, which must decode (RFC 3492 Punycode) to a valid U-label.
//
// The code point rules approximate RFC 5892's derived property table from the Unicode data in
// the Swift standard library: letters, digits and combining marks are valid (PVALID) unless
// case folding changes them; the exceptions of RFC 5892 §2.6 apply first; the contextual rules
// of Appendix A (middle dot, Greek keraia, Hebrew geresh and gershayim, katakana middle dot,
// Arabic-Indic digits, zero width joiner and non-joiner) are checked. The bidi rule (RFC 5893)
// is not. docs/schema.md lists this among the approximations.

enum IDNA {
    /// Decodes the Punycode of an A-label's tail (after `xn--`), or nil if invalid.
    static func punycodeDecode(_ input: String) -> [Unicode.Scalar]? {
        let base = 36
        let tMin = 1
        let tMax = 26
        let skew = 38
        let damp = 700
        var n = 128
        var i = 0
        var bias = 72
        var output: [Unicode.Scalar] = []
        var bytes = Array(input.utf8)[...]
        if let delimiter = bytes.lastIndex(of: UInt8(ascii: "-")) {
            for byte in bytes[..<delimiter] {
                guard byte < 0x80 else { return nil }
                output.append(Unicode.Scalar(byte))
            }
            bytes = bytes[(delimiter + 1)...]
        }
        func digitValue(_ byte: UInt8) -> Int? {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0")) + 26
            default: nil
            }
        }
        var iterator = bytes.makeIterator()
        var pending = iterator.next()
        while pending != nil {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard let byte = pending, let digit = digitValue(byte) else { return nil }
                pending = iterator.next()
                let (product, overflow) = digit.multipliedReportingOverflow(by: w)
                guard !overflow, i <= Int(Int32.max) - product else { return nil }
                i += product
                let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if digit < t { break }
                guard w <= Int(Int32.max) / (base - t) else { return nil }
                w *= base - t
                k += base
            }
            // Adapt the bias.
            var delta = oldI == 0 ? (i - oldI) / damp : (i - oldI) / 2
            delta += delta / (output.count + 1)
            var kk = 0
            while delta > ((base - tMin) * tMax) / 2 {
                delta /= base - tMin
                kk += base
            }
            bias = kk + (base - tMin + 1) * delta / (delta + skew)
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(n)) else { return nil }
            output.insert(scalar, at: i)
            i += 1
        }
        return output
    }

    /// An internationalized host name: labels separated by `.` or the ideographic full stops
    /// U+3002, U+FF0E, U+FF61; each an LDH label, an A-label or a valid U-label; at most 253
    /// bytes once encoded (approximated by the UTF-8 length of ASCII names).
    static func isInternationalHostname(_ text: String) -> Bool {
        var labels: [[Unicode.Scalar]] = [[]]
        for scalar in text.unicodeScalars {
            if scalar == "." || scalar == "\u{3002}" || scalar == "\u{FF0E}" || scalar == "\u{FF61}" {
                labels.append([])
            } else {
                labels[labels.count - 1].append(scalar)
            }
        }
        for label in labels {
            guard !label.isEmpty, label.count <= 63 else { return false }
            if label.allSatisfy(\.isASCII) {
                var bytes = label.map { UInt8($0.value) }
                let valid = bytes.withUnsafeMutableBytes { NetworkFormats.isLabel(UnsafeRawBufferPointer($0), 0, $0.count) }
                guard valid else { return false }
            } else {
                guard isULabel(label) else { return false }
            }
        }
        return true
    }

    /// RFC 5891 §5.4 and RFC 5892 for one U-label.
    static func isULabel(_ label: [Unicode.Scalar]) -> Bool {
        guard let first = label.first, let last = label.last, first != "-", last != "-" else { return false }
        if label.count >= 4, label[2] == "-", label[3] == "-" { return false }
        switch first.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return false
        default: break
        }
        var hasArabicIndic = false
        var hasExtendedArabicIndic = false
        for (index, scalar) in label.enumerated() {
            switch validity(scalar) {
            case .valid:
                break
            case .disallowed:
                return false
            case .contextual:
                guard contextRuleHolds(label, index) else { return false }
            }
            if (0x0660...0x0669).contains(scalar.value) { hasArabicIndic = true }
            if (0x06F0...0x06F9).contains(scalar.value) { hasExtendedArabicIndic = true }
        }
        return !(hasArabicIndic && hasExtendedArabicIndic)
    }

    enum Validity { case valid, disallowed, contextual }

    static func validity(_ scalar: Unicode.Scalar) -> Validity {
        let value = scalar.value
        // RFC 5892 §2.6 exceptions.
        switch value {
        case 0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007: return .valid
        case 0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB, 0x0660...0x0669, 0x06F0...0x06F9: return .contextual
        case 0x0640, 0x07FA, 0x302E, 0x302F, 0x3031...0x3035, 0x303B: return .disallowed
        case 0x200C, 0x200D: return .contextual  // CONTEXTJ
        default: break
        }
        if scalar.isASCII {
            return (ASCII.isDigit(UInt8(value)) || (value >= 0x61 && value <= 0x7A) || value == 0x2D) ? .valid : .disallowed
        }
        // Old Hangul Jamo.
        if (0x1100...0x11FF).contains(value) || (0xA960...0xA97F).contains(value) || (0xD7B0...0xD7FF).contains(value) {
            return .disallowed
        }
        let properties = scalar.properties
        if properties.isDefaultIgnorableCodePoint || properties.isNoncharacterCodePoint || properties.changesWhenCaseFolded {
            return .disallowed
        }
        switch properties.generalCategory {
        case .lowercaseLetter, .otherLetter, .decimalNumber, .modifierLetter, .nonspacingMark, .spacingMark:
            return .valid
        default:
            return .disallowed
        }
    }

    /// RFC 5892 Appendix A: the contextual rules.
    private static func contextRuleHolds(_ label: [Unicode.Scalar], _ index: Int) -> Bool {
        let scalar = label[index]
        let before: Unicode.Scalar? = index > 0 ? label[index - 1] : nil
        let after: Unicode.Scalar? = index + 1 < label.count ? label[index + 1] : nil
        switch scalar.value {
        case 0x200C:  // ZERO WIDTH NON-JOINER
            if let before, before.properties.canonicalCombiningClass.rawValue == 9 { return true }
            // Between joining letters (approximated: letters of the Arabic, Syriac, N'Ko and
            // Mongolian blocks, skipping transparent marks).
            var left = index - 1
            while left >= 0, label[left].properties.generalCategory == .nonspacingMark { left -= 1 }
            var right = index + 1
            while right < label.count, label[right].properties.generalCategory == .nonspacingMark { right += 1 }
            guard left >= 0, right < label.count else { return false }
            return isJoiningLetter(label[left]) && isJoiningLetter(label[right])
        case 0x200D:  // ZERO WIDTH JOINER
            guard let before else { return false }
            return before.properties.canonicalCombiningClass.rawValue == 9
        case 0x00B7:  // MIDDLE DOT between two l
            return before == "l" && after == "l"
        case 0x0375:  // GREEK LOWER NUMERAL SIGN followed by Greek
            guard let after else { return false }
            return isGreek(after)
        case 0x05F3, 0x05F4:  // HEBREW GERESH, GERSHAYIM after Hebrew
            guard let before else { return false }
            return (0x0590...0x05FF).contains(before.value) || (0xFB1D...0xFB4F).contains(before.value)
        case 0x30FB:  // KATAKANA MIDDLE DOT with Hiragana, Katakana or Han in the label
            return label.contains { other in
                other.value != 0x30FB
                    && ((0x3040...0x309F).contains(other.value) || (0x30A0...0x30FF).contains(other.value)
                        || (0x31F0...0x31FF).contains(other.value) || other.properties.isUnifiedIdeograph)
            }
        case 0x0660...0x0669, 0x06F0...0x06F9:
            return true  // the mix is checked over the whole label
        default:
            return false
        }
    }

    private static func isGreek(_ scalar: Unicode.Scalar) -> Bool {
        (0x0370...0x03FF).contains(scalar.value) || (0x1F00...0x1FFF).contains(scalar.value)
    }

    private static func isJoiningLetter(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        let inBlock = (0x0620...0x06FF).contains(value) || (0x0700...0x074F).contains(value) || (0x0750...0x077F).contains(value)
            || (0x07C0...0x07FF).contains(value) || (0x08A0...0x08FF).contains(value) || (0x1800...0x18AF).contains(value)
        return inBlock && scalar.properties.generalCategory == .otherLetter
    }
}
