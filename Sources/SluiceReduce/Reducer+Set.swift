// set: a value that is an update to a set (or a map): `add`, and `intersect` or `remove`.
import SluiceDocument

/// The terms of a set value: an object with only `add`, `intersect` and `remove`, never both
/// of the last two, all arrays or all objects.
struct SetShape {
    var add: Node?
    var intersect: Node?
    var remove: Node?
    /// True for array terms, false for object terms, nil without terms.
    var isArrayForm: Bool?

    struct Malformed: Error {
        let detail: String
    }

    /// The terms of `node`; nothing (no terms) for nil.
    init(_ node: Node?, side: ReduceError.Side) throws(Malformed) {
        guard let node else { return }
        guard node.kind == .object else { throw Malformed(detail: "the \(side.rawValue) value is not an object") }
        for property in node.properties {
            let name = property.name
            let value = property.value
            guard value.kind == .array || value.kind == .object else {
                throw Malformed(detail: "\(side.rawValue) '\(name)' is neither an array nor an object")
            }
            let isArray = value.kind == .array
            if let form = isArrayForm, form != isArray {
                throw Malformed(detail: "the \(side.rawValue) terms mix arrays and objects")
            }
            isArrayForm = isArray
            switch name {
            case "add": add = value
            case "intersect": intersect = value
            case "remove": remove = value
            default: throw Malformed(detail: "\(side.rawValue) has a property '\(name)'")
            }
        }
        if intersect != nil && remove != nil {
            throw Malformed(detail: "\(side.rawValue) has both 'intersect' and 'remove'")
        }
    }
}

/// One member of a set term: a property (object form) or an element (array form).
struct SetMember {
    /// The property name (object form).
    var name: Node?
    var value: Node
    /// The element's index (array form) for error pointers.
    var index: Int
}

/// Walks the members of one term in order, checking that array members are sorted by the key
/// without repeats.
struct SetMemberCursor {
    var properties: Node.Properties.Iterator?
    var elements: Node.Elements.Iterator?
    private(set) var current: SetMember?
    private var index = 0

    init(_ term: Node?) {
        if let term {
            if term.kind == .object { properties = term.properties.makeIterator() } else { elements = term.elements.makeIterator() }
        }
        current = nil
        advanceUnchecked()
    }

    private mutating func advanceUnchecked() {
        if properties != nil, let property = properties!.next() {
            current = SetMember(name: property.nameNode, value: property.value, index: index)
        } else if elements != nil, let element = elements!.next() {
            current = SetMember(name: nil, value: element, index: index)
        } else {
            current = nil
        }
        index += 1
    }

    /// Moves to the next member; false if array members are out of order.
    mutating func advance(key: [JSONPointer]) -> Bool {
        let previous = current
        advanceUnchecked()
        if let previous, let next = current, previous.name == nil {
            return KeyOrder.compare(key, previous.value, next.value) < 0
        }
        return true
    }
}

extension Reducer {
    /// Which members of the joined left and right terms a term keeps.
    enum SetTermKeep {
        case union, both, leftOnly, rightOnly
    }

    /// set: the right's `remove` / `intersect` apply to the left's `add` first, then the
    /// right's `add` is merged in (members in both reduce deeply). A partial reduction keeps
    /// `remove` (the union of both) or `intersect` for later documents; a full one drops them.
    mutating func set(_ left: Node?, _ right: Node, key: [JSONPointer]) throws(ReduceError) {
        let l: SetShape
        let r: SetShape
        do {
            l = try SetShape(left, side: .left)
            r = try SetShape(right, side: .right)
        } catch {
            throw ReduceError(.setMalformed(error.detail), left: left, right: right)
        }
        if let a = l.isArrayForm, let b = r.isArrayForm, a != b {
            throw ReduceError(.setMalformed("one side's terms are arrays, the other's objects"), left: left, right: right)
        }
        let memberKey = KeyOrder.membersKey(key)
        if isFull && (l.intersect != nil || l.remove != nil || r.intersect != nil || r.remove != nil) {
            removedLocations = true
        }
        builder.beginObject()
        if l.add != nil || r.add != nil {
            builder.property("add")
            if let intersect = r.intersect {
                try setTerm(l.add, filter: intersect, keepsFiltered: true, keep: .union, r.add, key: memberKey, term: "add")
            } else {
                try setTerm(l.add, filter: r.remove, keepsFiltered: false, keep: .union, r.add, key: memberKey, term: "add")
            }
        }
        if !isFull {
            if let leftIntersect = l.intersect {
                builder.property("intersect")
                if let rightIntersect = r.intersect {
                    try setTerm(leftIntersect, filter: nil, keepsFiltered: false, keep: .both, rightIntersect, key: memberKey, term: "intersect")
                } else {
                    try setTerm(leftIntersect, filter: nil, keepsFiltered: false, keep: .leftOnly, r.remove, key: memberKey, term: "intersect")
                }
            } else if let rightIntersect = r.intersect {
                builder.property("intersect")
                try setTerm(l.remove, filter: nil, keepsFiltered: false, keep: .rightOnly, rightIntersect, key: memberKey, term: "intersect")
            } else if l.remove != nil || r.remove != nil {
                builder.property("remove")
                try setTerm(l.remove, filter: nil, keepsFiltered: false, keep: .union, r.remove, key: memberKey, term: "remove")
            }
        }
        builder.endObject()
    }

    /// Writes one term: the left members, less those in `filter` (or only those in it, if
    /// `keepsFiltered`), joined with the right members; `keep` says which of left-only,
    /// right-only and common members stay. Common members reduce, right-only ones reduce into
    /// nothing, left-only ones are copied. The term is an array or an object like its inputs.
    mutating func setTerm(_ left: Node?, filter: Node?, keepsFiltered: Bool, keep: SetTermKeep, _ right: Node?,
                          key: [JSONPointer], term: String) throws(ReduceError) {
        let isArrayForm = (left ?? right ?? filter)?.kind == .array
        var lefts = SetMemberCursor(left)
        var filters = SetMemberCursor(filter)
        var rights = SetMemberCursor(right)
        func order(_ a: SetMember, _ b: SetMember) -> Int {
            if let x = a.name, let y = b.name { return compareNames(x, y) }
            return KeyOrder.compare(key, a.value, b.value)
        }
        func unsorted(_ side: ReduceError.Side, _ name: String) -> ReduceError {
            ReduceError(.setArrayNotSortedByKey(side, term: name), left: left ?? filter, right: right ?? filter)
        }
        // The next left member that passes the filter.
        func nextLeft() throws(ReduceError) -> SetMember? {
            while let member = lefts.current {
                if filter == nil { return member }
                while let f = filters.current, order(f, member) < 0 {
                    guard filters.advance(key: key) else { throw unsorted(.right, keepsFiltered ? "intersect" : "remove") }
                }
                let inFilter = filters.current.map { order($0, member) == 0 } ?? false
                if inFilter == keepsFiltered { return member }
                guard lefts.advance(key: key) else { throw unsorted(.left, term) }
            }
            return nil
        }
        let keepsLeft = keep == .union || keep == .leftOnly
        let keepsRight = keep == .union || keep == .rightOnly
        let keepsBoth = keep == .union || keep == .both
        if isArrayForm { builder.beginArray() } else { builder.beginObject() }
        var l = try nextLeft()
        while l != nil || rights.current != nil {
            let comparison: Int
            switch (l, rights.current) {
            case (let a?, let b?): comparison = order(a, b)
            case (_?, nil): comparison = -1
            default: comparison = 1
            }
            if comparison < 0 {
                if keepsLeft {
                    if let name = l!.name { writeName(name) }
                    builder.copy(l!.value)
                }
                guard lefts.advance(key: key) else { throw unsorted(.left, term) }
                l = try nextLeft()
            } else {
                let member = rights.current!
                let keeps = comparison > 0 ? keepsRight : keepsBoth
                if keeps {
                    if let name = member.name { writeName(name) }
                    do {
                        try value(comparison == 0 ? l!.value : nil, member.value)
                    } catch {
                        throw error.prefixed(member.name?.string ?? String(member.index)).prefixed(term)
                    }
                }
                guard rights.advance(key: key) else { throw unsorted(.right, term) }
                if comparison == 0 {
                    guard lefts.advance(key: key) else { throw unsorted(.left, term) }
                    l = try nextLeft()
                }
            }
        }
        if isArrayForm { builder.endArray() } else { builder.endObject() }
    }
}
