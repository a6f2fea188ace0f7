// IDNA: internationalized host names (RFC 5890–5893) for `idn-hostname`, and for A-labels
// (`xn--…`) in `hostname`, which must decode (RFC 3492 Punycode) to a valid U-label.
//
// The code point rules approximate RFC 5892's derived property table from the Unicode data in
// the Swift standard library: letters, digits and combining marks are valid (PVALID) unless
// case folding changes them; the exceptions of RFC 5892 §2.6 apply first; the contextual rules
// of Appendix A (middle dot, Greek keraia, Hebrew geresh and gershayim, katakana middle dot,
// Arabic-Indic digits, zero width joiner and non-joiner) are checked, and so is the bidi rule
// of RFC 5893 with bidi classes approximated by Unicode blocks and general categories (the
// standard library has no Bidi_Class). docs/schema.md lists these approximations.

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

    /// Encodes code points as Punycode (RFC 3492), the tail of an A-label; nil on overflow.
    static func punycodeEncode(_ input: [Unicode.Scalar]) -> String? {
        let base = 36
        let tMin = 1
        let tMax = 26
        let skew = 38
        let damp = 700
        var n = 128
        var delta = 0
        var bias = 72
        var output = ""
        for scalar in input where scalar.isASCII { output.unicodeScalars.append(scalar) }
        let basicCount = output.unicodeScalars.count
        var handled = basicCount
        if basicCount > 0 { output += "-" }
        func digit(_ value: Int) -> Unicode.Scalar {
            Unicode.Scalar(UInt8(value < 26 ? 0x61 + value : 0x30 + value - 26))
        }
        while handled < input.count {
            let m = input.map { Int($0.value) }.filter { $0 >= n }.min()!
            let (step, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow else { return nil }
            delta += step
            n = m
            for scalar in input {
                let value = Int(scalar.value)
                if value < n { delta += 1 }
                if value == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.unicodeScalars.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.unicodeScalars.append(digit(q))
                    // Adapt the bias.
                    var scaled = handled == basicCount ? delta / damp : delta / 2
                    scaled += scaled / (handled + 1)
                    var kk = 0
                    while scaled > ((base - tMin) * tMax) / 2 {
                        scaled /= base - tMin
                        kk += base
                    }
                    bias = kk + (base - tMin + 1) * scaled / (scaled + skew)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }

    /// An A-label's tail is valid when it decodes to a valid U-label that encodes back to the
    /// same tail (case aside).
    static func isALabelTail(_ tail: String) -> Bool {
        let lowered = tail.lowercased()
        guard let decoded = punycodeDecode(lowered), !decoded.isEmpty, !decoded.allSatisfy(\.isASCII),
              punycodeEncode(decoded) == lowered else { return false }
        return isULabel(decoded) && bidiRuleHolds(label: decoded, domainIsBidi: isRightToLeft(decoded))
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
        var decodedLabels: [[Unicode.Scalar]] = []
        var encodedLength = labels.count - 1
        for label in labels {
            guard !label.isEmpty else { return false }
            if label.allSatisfy(\.isASCII) {
                var bytes = label.map { UInt8($0.value) }
                let valid = bytes.withUnsafeMutableBytes { NetworkFormats.isLabel(UnsafeRawBufferPointer($0), 0, $0.count) }
                guard valid else { return false }
                encodedLength += label.count
                let text = String(String.UnicodeScalarView(label)).lowercased()
                decodedLabels.append(text.hasPrefix("xn--") ? (punycodeDecode(String(text.dropFirst(4))) ?? label) : label)
            } else {
                guard isULabel(label), let tail = punycodeEncode(label), tail.utf8.count + 4 <= 63 else { return false }
                encodedLength += tail.utf8.count + 4
                decodedLabels.append(label)
            }
        }
        guard encodedLength <= 253 else { return false }
        let domainIsBidi = decodedLabels.contains(where: isRightToLeft)
        return !domainIsBidi || decodedLabels.allSatisfy { bidiRuleHolds(label: $0, domainIsBidi: true) }
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

    // MARK: - The bidi rule (RFC 5893 §2)

    enum BidiClass { case l, r, al, en, an, es, cs, et, on, bn, nsm }

    /// Bidi_Class, approximated: digits by value, right-to-left scripts by block, marks by
    /// general category, a few ASCII separators; everything else left-to-right or neutral.
    static func bidiClass(_ scalar: Unicode.Scalar) -> BidiClass {
        let value = scalar.value
        switch value {
        case 0x30...0x39, 0x06F0...0x06F9: return .en
        case 0x0660...0x0669, 0x066B, 0x066C: return .an
        case 0x2B, 0x2D: return .es
        case 0x2C, 0x2E, 0x2F, 0x3A: return .cs
        case 0x23...0x25: return .et
        case 0x200C, 0x200D: return .bn
        default: break
        }
        let category = scalar.properties.generalCategory
        if category == .nonspacingMark || category == .enclosingMark { return .nsm }
        let isHebrewLike = (0x0590...0x05FF).contains(value) || (0x07C0...0x085F).contains(value) || (0xFB1D...0xFB4F).contains(value)
            || (0x10800...0x10FFF).contains(value) || (0x1E800...0x1EDFF).contains(value)
        let isArabicLike = (0x0600...0x07BF).contains(value) || (0x0860...0x08FF).contains(value) || (0xFB50...0xFDFF).contains(value)
            || (0xFE70...0xFEFF).contains(value) || (0x1EE00...0x1EEFF).contains(value)
        switch category {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spacingMark, .letterNumber:
            return isHebrewLike ? .r : (isArabicLike ? .al : .l)
        default:
            return isHebrewLike ? .r : (isArabicLike ? .al : .on)
        }
    }

    static func isRightToLeft(_ label: [Unicode.Scalar]) -> Bool {
        label.contains { let bidi = bidiClass($0); return bidi == .r || bidi == .al || bidi == .an }
    }

    /// The six conditions of RFC 5893 §2 for one label of a bidi domain name.
    static func bidiRuleHolds(label: [Unicode.Scalar], domainIsBidi: Bool) -> Bool {
        guard domainIsBidi, let first = label.first else { return true }
        let classes = label.map(bidiClass)
        let firstClass = bidiClass(first)
        guard firstClass == .l || firstClass == .r || firstClass == .al else { return false }  // 1
        var last = classes.count - 1
        while last > 0, classes[last] == .nsm { last -= 1 }
        if firstClass == .r || firstClass == .al {
            let allowed: Set<BidiClass> = [.r, .al, .an, .en, .es, .cs, .et, .on, .bn, .nsm]
            guard classes.allSatisfy(allowed.contains) else { return false }  // 2
            guard [.r, .al, .en, .an].contains(classes[last]) else { return false }  // 3
            return !(classes.contains(.en) && classes.contains(.an))  // 4
        }
        let allowed: Set<BidiClass> = [.l, .en, .es, .cs, .et, .on, .bn, .nsm]
        guard classes.allSatisfy(allowed.contains) else { return false }  // 5
        return classes[last] == .l || classes[last] == .en  // 6
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
