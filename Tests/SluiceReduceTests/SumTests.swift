import Testing
import SluiceDocument
import SluiceReduce
import SluiceSchema

@Suite struct SumTests {
    let plan = ReduceAnnotationPlan(.sum)

    @Test func semanticsExample() throws {
        // SEMANTICS.md §3: 5 ⊕ -1.5 → 3.5.
        #expect(canonical(try reduce("5", "-1.5", plan).document) == "3.5")
    }

    @Test func flowSequence() {
        runSteps(plan, [
            .partial("0", .gives("0")),
            .partial(#""whoops""#, .fails(.sumExpectsNumbers)),
            .partial("123", .gives("123")),
            .partial("45", .gives("168")),
            .partial("18446744073709551583", .fails(.sumOverflow)),  // UInt64.max - 32
            .partial("-70", .gives("98")),
            .partial("0.1", .gives("98.1")),
            .partial("-98.1", .gives("0.0")),
            .partial("1.7976931348623157e308", .gives("1.7976931348623157e308")),
            .partial("1.7976931348623158e307", .fails(.sumOverflow)),
            // Changes too small to represent.
            .partial("-1.0", .gives("1.7976931348623157e308")),
            .partial("-8.988465674311579e307", .gives("8.988465674311579e307")),
            .partial("-8.988465674311579e307", .gives("0.0")),
            .partial(#""whoops""#, .fails(.sumExpectsNumbers)),
        ])
    }

    @Test func integersAreExactAcrossInt64AndUInt64() {
        runSteps(plan, [
            .partial("9223372036854775807", .gives("9223372036854775807")),
            // Past Int64.max, still exact as UInt64.
            .partial("1", .gives("9223372036854775808")),
            .partial("9223372036854775807", .gives("18446744073709551615")),
            .partial("1", .fails(.sumOverflow)),
            // Back below Int64.max, stored as Int64 again.
            // -18446744073709551615 does not fit 64 bits: it parses as a double, so the sum does too.
            .partial("-9223372036854775808", .gives("9223372036854775807")),
            .partial("-9223372036854775807", .gives("0")),
            .partial("-9223372036854775808", .gives("-9223372036854775808")),
            .partial("-1", .fails(.sumOverflow)),
        ])
    }

    @Test func mixedIntegerAndDoubleIsADouble() throws {
        #expect(canonical(try reduce("1", "2.0", plan).document) == "3.0")
        #expect(canonical(try reduce("2.5", "1", plan).document) == "3.5")
        #expect(canonical(try reduce("9007199254740993", "0.0", plan).document) == "9007199254740992.0")  // rounds to a double
        #expect(canonical(try reduce("18446744073709551615", "1.0", plan).document) == "1.8446744073709552e19")
        #expect(throws: ReduceError.self) { try reduce("1e308", "1.7e308", plan) }
    }

    @Test func nonNumbersAreErrorsOnEitherSide() {
        for (left, right) in [("null", "1"), ("1", "null"), ("true", "1"), (#""1""#, "1"), ("[1]", "1"), ("{}", "1"), ("1", "[1]")] {
            #expect(throws: ReduceError.self, "\(left) ⊕ \(right)") { try reduce(left, right, plan) }
        }
    }

    @Test func aNewPropertyMustBeANumber() {
        let root = ReduceAnnotationPlan.mergeRoot(["n": plan])
        runSteps(root, [
            .partial(#"{"a":1}"#, .gives(#"{"a":1}"#)),
            .partial(#"{"n":"x"}"#, .fails(.sumExpectsNumbers, at: "/n")),
            .partial(#"{"n":2}"#, .gives(#"{"a":1,"n":2}"#)),
            .full(#"{"n":2}"#, .gives(#"{"a":1,"n":4}"#)),
        ])
    }
}
