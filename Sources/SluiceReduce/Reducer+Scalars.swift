// The strategies of single values: append, sum, minimize and maximize (lastWriteWins and
// firstWriteWins are one line each in `Reducer.value`).
import SluiceDocument

extension Reducer {
    /// append: both arrays concatenate; a null on the left stays null; anything else is an
    /// error. The right's elements are taken as they are.
    mutating func append(_ left: Node, _ right: Node) throws(ReduceError) {
        switch (left.kind, right.kind) {
        case (.array, .array):
            builder.beginArray()
            for element in left.elements { builder.copy(element) }
            for element in right.elements { builder.copy(element) }
            builder.endArray()
        case (.null, .array):
            builder.null()
        default:
            throw ReduceError(.appendExpectsArrays, left: left, right: right)
        }
    }

    /// sum: numbers add exactly. Integers stay integers while the sum fits Int64 or UInt64 and
    /// are an error past that (never a wrap); with a double on either side the sum is a double,
    /// an error if not finite.
    mutating func sum(_ left: Node, _ right: Node) throws(ReduceError) {
        guard let a = left.number, let b = right.number else {
            throw ReduceError(.sumExpectsNumbers, left: left, right: right)
        }
        guard let total = a.adding(b) else {
            throw ReduceError(.sumOverflow, left: left, right: right)
        }
        builder.number(total)
    }

    /// minimize / maximize: keep the smaller / larger value, by semantic order or by `key`.
    /// Without a key, equal values take the right one. With a key, the right one wins ties too,
    /// but is merged deeply into the left (equal keys) or into nothing (the right is larger /
    /// smaller), so strategies below it apply.
    mutating func minimizeOrMaximize(_ left: Node, _ right: Node, key: [JSONPointer], maximize: Bool) throws(ReduceError) {
        let order = key.isEmpty ? Node.compare(left, right) : KeyOrder.compare(key, left, right)
        let keepsLeft = maximize ? order > 0 : order < 0
        if keepsLeft {
            builder.copy(left)
        } else if key.isEmpty {
            builder.copy(right)
        } else if order == 0 {
            try merge(left, right, key: [])
        } else {
            try merge(nil, right, key: [])
        }
    }
}
