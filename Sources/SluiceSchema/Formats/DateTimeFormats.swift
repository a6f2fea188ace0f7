// Dates, times and durations of RFC 3339 (§5.6 and Appendix A), as JSON Schema's `date-time`,
// `date`, `time` and `duration` formats use them: ASCII digits only; `T` and `Z` in either case;
// a leap second (`:60`) only where the time, moved to UTC by its offset, is 23:59; days checked
// against the month and leap years.

enum DateTimeFormats {
    /// `full-date "T" full-time`.
    static func isDateTime(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 20, fullDate(bytes, 0), bytes[10] | 0x20 == UInt8(ascii: "t") else { return false }
        return fullTime(bytes, 11)
    }

    /// `YYYY-MM-DD`.
    static func isDate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == 10 && fullDate(bytes, 0)
    }

    /// `HH:MM:SS[.fraction](Z|±HH:MM)`.
    static func isTime(_ bytes: UnsafeRawBufferPointer) -> Bool {
        fullTime(bytes, 0)
    }

    private static func fullDate(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        guard offset + 10 <= bytes.count,
              let year = ASCII.digits(bytes, offset, 4), bytes[offset + 4] == UInt8(ascii: "-"),
              let month = ASCII.digits(bytes, offset + 5, 2), bytes[offset + 7] == UInt8(ascii: "-"),
              let day = ASCII.digits(bytes, offset + 8, 2),
              month >= 1, month <= 12, day >= 1 else { return false }
        return day <= daysInMonth(year: year, month: month)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `partial-time time-offset` from `offset` to the end of `bytes`.
    private static func fullTime(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        guard offset + 9 <= bytes.count,
              let hour = ASCII.digits(bytes, offset, 2), bytes[offset + 2] == UInt8(ascii: ":"),
              let minute = ASCII.digits(bytes, offset + 3, 2), bytes[offset + 5] == UInt8(ascii: ":"),
              let second = ASCII.digits(bytes, offset + 6, 2),
              hour <= 23, minute <= 59, second <= 60 else { return false }
        var position = offset + 8
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            let start = position
            while position < bytes.count, ASCII.digits(bytes, position, 1) != nil { position += 1 }
            guard position > start else { return false }
        }
        guard position < bytes.count else { return false }
        var offsetMinutes = 0
        if bytes[position] | 0x20 == UInt8(ascii: "z") {
            guard position + 1 == bytes.count else { return false }
        } else {
            let sign = bytes[position]
            guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), position + 6 == bytes.count,
                  let offsetHour = ASCII.digits(bytes, position + 1, 2), bytes[position + 3] == UInt8(ascii: ":"),
                  let offsetMinute = ASCII.digits(bytes, position + 4, 2),
                  offsetHour <= 23, offsetMinute <= 59 else { return false }
            offsetMinutes = (offsetHour * 60 + offsetMinute) * (sign == UInt8(ascii: "+") ? 1 : -1)
        }
        if second == 60 {
            // A leap second happens at 23:59:60 UTC only.
            let utcMinutes = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            return utcMinutes == 23 * 60 + 59
        }
        return true
    }

    /// RFC 3339 Appendix A: `P` then weeks alone, or date units (Y, M, D; contiguous, in order)
    /// and/or `T` with time units (H, M, S; contiguous, in order). Integers only.
    static func isDuration(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 3, bytes[0] == UInt8(ascii: "P") else { return false }
        var position = 1
        // Reads one `digits unit` element; returns the unit, or nil.
        func element() -> UInt8? {
            let start = position
            while position < bytes.count, ASCII.isDigit(bytes[position]) { position += 1 }
            guard position > start, position < bytes.count else { return nil }
            let unit = bytes[position]
            position += 1
            return unit
        }
        if bytes[position] != UInt8(ascii: "T") {
            // Date part (or weeks).
            var units: [UInt8] = []
            while position < bytes.count, bytes[position] != UInt8(ascii: "T") {
                guard let unit = element() else { return false }
                units.append(unit)
            }
            if units == [UInt8(ascii: "W")] { return position == bytes.count }
            guard contiguous(units, order: [UInt8(ascii: "Y"), UInt8(ascii: "M"), UInt8(ascii: "D")]) else { return false }
            if position == bytes.count { return true }
        }
        // Time part.
        position += 1  // T
        var units: [UInt8] = []
        while position < bytes.count {
            guard let unit = element() else { return false }
            units.append(unit)
        }
        return contiguous(units, order: [UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "S")])
    }

    /// True when `units` is non-empty and a contiguous run of `order` (`YM`, `MD`, `YMD`, …, not `YD`).
    private static func contiguous(_ units: [UInt8], order: [UInt8]) -> Bool {
        guard let first = units.first, let start = order.firstIndex(of: first), start + units.count <= order.count else {
            return false
        }
        return Array(order[start..<start + units.count]) == units
    }
}
