// merge: objects by property, arrays by index or by key, recursing with each location's own
// strategy.
import SluiceDocument

extension Reducer {
    /// merge: two objects make the union of their properties, shared ones reduced with their
    /// own strategies. Two arrays without `key` merge by index (the longer extends); with a
    /// `key`, both must be sorted by it without repeats and merge-join by it. A null on the
    /// left stays null. Anything else is an error.
    mutating func merge(_ left: Node?, _ right: Node, key: [JSONPointer]) throws(ReduceError) {
        guard let left else {
            guard right.kind == .object || right.kind == .array else {
                throw ReduceError(.mergeExpectsObjectsOrArrays, left: nil, right: right)
            }
            if prunesRightOnlyValues {
                try mergeAgainstNothing(right)
            } else {
                builder.copy(right)
            }
            return
        }
        switch (left.kind, right.kind) {
        case (.object, .object):
            try mergeObjects(left, right)
        case (.array, .array):
            if key.isEmpty {
                try mergeArraysByIndex(left, right)
            } else {
                try mergeArraysByKey(left, right, key: key)
            }
        case (.null, .object), (.null, .array):
            builder.null()
        default:
            throw ReduceError(.mergeExpectsObjectsOrArrays, left: left, right: right)
        }
    }

    /// The properties of two objects, merge-joined by name (both are sorted by name bytes).
    mutating func mergeObjects(_ left: Node, _ right: Node) throws(ReduceError) {
        builder.beginObject()
        var leftProperties = left.properties.makeIterator()
        var rightProperties = right.properties.makeIterator()
        var leftProperty = leftProperties.next()
        var rightProperty = rightProperties.next()
        while true {
            if let l = leftProperty, let r = rightProperty {
                let order = compareNames(l.nameNode, r.nameNode)
                if order < 0 {
                    builder.property(l)
                    leftProperty = leftProperties.next()
                } else if order > 0 {
                    try mergeProperty(nil, r)
                    rightProperty = rightProperties.next()
                } else {
                    try mergeProperty(l.value, r)
                    leftProperty = leftProperties.next()
                    rightProperty = rightProperties.next()
                }
            } else if let l = leftProperty {
                builder.property(l)
                leftProperty = leftProperties.next()
            } else if let r = rightProperty {
                try mergeProperty(nil, r)
                rightProperty = rightProperties.next()
            } else {
                break
            }
        }
        builder.endObject()
    }

    /// A right property reduced into the left value of the same name (or into nothing);
    /// dropped if it is a deleted location of a full reduction.
    mutating func mergeProperty(_ left: Node?, _ right: Node.Property) throws(ReduceError) {
        guard let annotation = annotations[right.value.tapeIndex] else {
            builder.property(right)  // lastWriteWins: the name and the value at once
            return
        }
        if isDeleting(annotation) {
            removedLocations = true
            return
        }
        writeName(right.nameNode)
        do {
            try value(left, right.value, annotation)
        } catch {
            throw error.prefixed(right.name)
        }
    }

    /// A right element reduced into a left element (or into nothing); dropped if it is a
    /// deleted location of a full reduction.
    mutating func mergeElement(_ left: Node?, _ right: Node, index: Int) throws(ReduceError) {
        if isDeletedLocation(right) {
            removedLocations = true
            return
        }
        do {
            try value(left, right)
        } catch {
            throw error.prefixed(index: index)
        }
    }

    /// Elements of the same index reduce; the longer array's extra elements are kept.
    mutating func mergeArraysByIndex(_ left: Node, _ right: Node) throws(ReduceError) {
        builder.beginArray()
        var leftElements = left.elements.makeIterator()
        var rightElements = right.elements.makeIterator()
        var index = 0
        while true {
            let l = leftElements.next()
            let r = rightElements.next()
            if let r {
                try mergeElement(l, r, index: index)
            } else if let l {
                builder.copy(l)
            } else {
                break
            }
            index += 1
        }
        builder.endArray()
    }

    /// A merge-join of two arrays sorted by `key`: elements of equal keys reduce, the others
    /// are kept in key order.
    mutating func mergeArraysByKey(_ left: Node, _ right: Node, key: [JSONPointer]) throws(ReduceError) {
        builder.beginArray()
        var leftElements = left.elements.makeIterator()
        var rightElements = right.elements.makeIterator()
        var l = leftElements.next()
        var r = rightElements.next()
        var rightIndex = 0
        func advance(_ iterator: inout Node.Elements.Iterator, _ current: inout Node?, side: ReduceError.Side) throws(ReduceError) {
            let previous = current
            current = iterator.next()
            if let previous, let next = current, KeyOrder.compare(key, previous, next) >= 0 {
                throw ReduceError(.mergeArrayNotSortedByKey(side), left: left, right: right)
            }
        }
        while l != nil || r != nil {
            let order: Int
            switch (l, r) {
            case (let a?, let b?): order = KeyOrder.compare(key, a, b)
            case (_?, nil): order = -1
            default: order = 1
            }
            if order < 0 {
                builder.copy(l!)
                try advance(&leftElements, &l, side: .left)
            } else if order > 0 {
                try mergeElement(nil, r!, index: rightIndex)
                try advance(&rightElements, &r, side: .right)
                rightIndex += 1
            } else {
                try mergeElement(l, r!, index: rightIndex)
                try advance(&leftElements, &l, side: .left)
                try advance(&rightElements, &r, side: .right)
                rightIndex += 1
            }
        }
        builder.endArray()
    }

    /// Full mode: an object or array with nothing to its left, walked so that deleted
    /// locations and set terms below it are removed.
    mutating func mergeAgainstNothing(_ right: Node) throws(ReduceError) {
        if right.kind == .object {
            builder.beginObject()
            for property in right.properties { try mergeProperty(nil, property) }
            builder.endObject()
        } else {
            builder.beginArray()
            var index = 0
            for element in right.elements {
                try mergeElement(nil, element, index: index)
                index += 1
            }
            builder.endArray()
        }
    }
}
