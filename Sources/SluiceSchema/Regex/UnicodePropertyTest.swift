// UnicodePropertyTest: `\p{…}` and `\P{…}` in a regular expression: General_Category values
// (`L`, `Letter`, `Lu`, `gc=Nd`, `General_Category=Decimal_Number`) and the binary properties
// the Swift standard library knows (`Alphabetic`, `White_Space`, `ASCII`, `Any`, …), using the
// standard library's Unicode data. Names match loosely (UAX #44 LM3: case, spaces, hyphens and
// underscores ignored), and `digit` is accepted for `Nd`. Script properties are not supported
// (the standard library has no script data): they are a compile error, never a silent match.

struct UnicodePropertyTest: Sendable {
    enum Kind: Sendable {
        case generalCategories([Unicode.GeneralCategory])
        case any
        case ascii
        case assigned
        case binary(@Sendable (Unicode.Scalar.Properties) -> Bool)
    }

    let kind: Kind
    let negated: Bool

    init?(expression: String, negated: Bool) {
        self.negated = negated
        var name = expression
        if let equals = expression.firstIndex(of: "=") {
            let property = UnicodePropertyTest.loose(String(expression[..<equals]))
            guard property == "generalcategory" || property == "gc" else { return nil }
            name = String(expression[expression.index(after: equals)...])
            guard let categories = UnicodePropertyTest.generalCategories[UnicodePropertyTest.loose(name)] else { return nil }
            kind = .generalCategories(categories)
            return
        }
        let key = UnicodePropertyTest.loose(name)
        if let categories = UnicodePropertyTest.generalCategories[key] {
            kind = .generalCategories(categories)
        } else if key == "any" {
            kind = .any
        } else if key == "ascii" {
            kind = .ascii
        } else if key == "assigned" {
            kind = .assigned
        } else if let test = UnicodePropertyTest.binaryProperties[key] {
            kind = .binary(test)
        } else {
            return nil
        }
    }

    func matches(_ scalar: Unicode.Scalar) -> Bool {
        let result: Bool
        switch kind {
        case .generalCategories(let categories): result = categories.contains(scalar.properties.generalCategory)
        case .any: result = true
        case .ascii: result = scalar.isASCII
        case .assigned: result = scalar.properties.generalCategory != .unassigned
        case .binary(let test): result = test(scalar.properties)
        }
        return result != negated
    }

    /// Lowercased, without spaces, hyphens and underscores.
    static func loose(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0 != " " && $0 != "-" && $0 != "_" })
    }

    static let generalCategories: [String: [Unicode.GeneralCategory]] = {
        let letters: [Unicode.GeneralCategory] = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]
        let marks: [Unicode.GeneralCategory] = [.nonspacingMark, .spacingMark, .enclosingMark]
        let numbers: [Unicode.GeneralCategory] = [.decimalNumber, .letterNumber, .otherNumber]
        let punctuation: [Unicode.GeneralCategory] = [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                                                      .initialPunctuation, .finalPunctuation, .otherPunctuation]
        let symbols: [Unicode.GeneralCategory] = [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]
        let separators: [Unicode.GeneralCategory] = [.spaceSeparator, .lineSeparator, .paragraphSeparator]
        let others: [Unicode.GeneralCategory] = [.control, .format, .surrogate, .privateUse, .unassigned]
        let table: [(names: [String], categories: [Unicode.GeneralCategory])] = [
            (["L", "Letter"], letters),
            (["LC", "Cased_Letter"], [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter]),
            (["Lu", "Uppercase_Letter"], [.uppercaseLetter]),
            (["Ll", "Lowercase_Letter"], [.lowercaseLetter]),
            (["Lt", "Titlecase_Letter"], [.titlecaseLetter]),
            (["Lm", "Modifier_Letter"], [.modifierLetter]),
            (["Lo", "Other_Letter"], [.otherLetter]),
            (["M", "Mark", "Combining_Mark"], marks),
            (["Mn", "Nonspacing_Mark"], [.nonspacingMark]),
            (["Mc", "Spacing_Mark"], [.spacingMark]),
            (["Me", "Enclosing_Mark"], [.enclosingMark]),
            (["N", "Number"], numbers),
            (["Nd", "Decimal_Number", "digit"], [.decimalNumber]),
            (["Nl", "Letter_Number"], [.letterNumber]),
            (["No", "Other_Number"], [.otherNumber]),
            (["P", "Punctuation", "punct"], punctuation),
            (["Pc", "Connector_Punctuation"], [.connectorPunctuation]),
            (["Pd", "Dash_Punctuation"], [.dashPunctuation]),
            (["Ps", "Open_Punctuation"], [.openPunctuation]),
            (["Pe", "Close_Punctuation"], [.closePunctuation]),
            (["Pi", "Initial_Punctuation"], [.initialPunctuation]),
            (["Pf", "Final_Punctuation"], [.finalPunctuation]),
            (["Po", "Other_Punctuation"], [.otherPunctuation]),
            (["S", "Symbol"], symbols),
            (["Sm", "Math_Symbol"], [.mathSymbol]),
            (["Sc", "Currency_Symbol"], [.currencySymbol]),
            (["Sk", "Modifier_Symbol"], [.modifierSymbol]),
            (["So", "Other_Symbol"], [.otherSymbol]),
            (["Z", "Separator"], separators),
            (["Zs", "Space_Separator"], [.spaceSeparator]),
            (["Zl", "Line_Separator"], [.lineSeparator]),
            (["Zp", "Paragraph_Separator"], [.paragraphSeparator]),
            (["C", "Other"], others),
            (["Cc", "Control", "cntrl"], [.control]),
            (["Cf", "Format"], [.format]),
            (["Cs", "Surrogate"], [.surrogate]),
            (["Co", "Private_Use"], [.privateUse]),
            (["Cn", "Unassigned"], [.unassigned]),
        ]
        var result: [String: [Unicode.GeneralCategory]] = [:]
        for row in table {
            for name in row.names { result[loose(name)] = row.categories }
        }
        return result
    }()

    static let binaryProperties: [String: @Sendable (Unicode.Scalar.Properties) -> Bool] = {
        let table: [(names: [String], test: @Sendable (Unicode.Scalar.Properties) -> Bool)] = [
            (["Alphabetic", "Alpha"], { $0.isAlphabetic }),
            (["White_Space", "space"], { $0.isWhitespace }),
            (["Uppercase", "Upper"], { $0.isUppercase }),
            (["Lowercase", "Lower"], { $0.isLowercase }),
            (["ASCII_Hex_Digit", "AHex"], { $0.isASCIIHexDigit }),
            (["Hex_Digit", "Hex"], { $0.isHexDigit }),
            (["Emoji"], { $0.isEmoji }),
            (["Emoji_Presentation", "EPres"], { $0.isEmojiPresentation }),
            (["Emoji_Modifier", "EMod"], { $0.isEmojiModifier }),
            (["Emoji_Modifier_Base", "EBase"], { $0.isEmojiModifierBase }),
            (["Math"], { $0.isMath }),
            (["Ideographic", "Ideo"], { $0.isIdeographic }),
            (["Unified_Ideograph", "UIdeo"], { $0.isUnifiedIdeograph }),
            (["Dash"], { $0.isDash }),
            (["Diacritic", "Dia"], { $0.isDiacritic }),
            (["Extender", "Ext"], { $0.isExtender }),
            (["Noncharacter_Code_Point", "NChar"], { $0.isNoncharacterCodePoint }),
            (["Quotation_Mark", "QMark"], { $0.isQuotationMark }),
            (["Terminal_Punctuation", "Term"], { $0.isTerminalPunctuation }),
            (["Sentence_Terminal", "STerm"], { $0.isSentenceTerminal }),
            (["Variation_Selector", "VS"], { $0.isVariationSelector }),
            (["Pattern_Syntax", "Pat_Syn"], { $0.isPatternSyntax }),
            (["Pattern_White_Space", "Pat_WS"], { $0.isPatternWhitespace }),
            (["ID_Start", "IDS"], { $0.isIDStart }),
            (["ID_Continue", "IDC"], { $0.isIDContinue }),
            (["XID_Start", "XIDS"], { $0.isXIDStart }),
            (["XID_Continue", "XIDC"], { $0.isXIDContinue }),
            (["Default_Ignorable_Code_Point", "DI"], { $0.isDefaultIgnorableCodePoint }),
            (["Join_Control", "Join_C"], { $0.isJoinControl }),
            (["Bidi_Control", "Bidi_C"], { $0.isBidiControl }),
            (["Bidi_Mirrored", "Bidi_M"], { $0.isBidiMirrored }),
            (["Cased"], { $0.isCased }),
            (["Case_Ignorable", "CI"], { $0.isCaseIgnorable }),
            (["Grapheme_Base", "Gr_Base"], { $0.isGraphemeBase }),
            (["Grapheme_Extend", "Gr_Ext"], { $0.isGraphemeExtend }),
            (["Radical"], { $0.isRadical }),
            (["Soft_Dotted", "SD"], { $0.isSoftDotted }),
            (["Logical_Order_Exception", "LOE"], { $0.isLogicalOrderException }),
        ]
        var result: [String: @Sendable (Unicode.Scalar.Properties) -> Bool] = [:]
        for row in table {
            for name in row.names { result[loose(name)] = row.test }
        }
        return result
    }()
}
