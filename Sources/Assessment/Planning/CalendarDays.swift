/// Day arithmetic on ISO dates without Foundation's calendar, which depends on the
/// process's time zone; catalog ages must not.
enum CalendarDays {
    /// Days since 1970-01-01 for a `yyyy-mm-dd` string (Howard Hinnant's days_from_civil).
    static func ordinal(_ iso: String) -> Int? {
        let parts = iso.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var (y, m, d) = (parts[0], parts[1], parts[2])
        y -= m <= 2 ? 1 : 0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        m = m > 2 ? m - 3 : m + 9
        let doy = (153 * m + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func days(from start: String, to end: String) -> Int? {
        guard let a = ordinal(start), let b = ordinal(end) else { return nil }
        return b - a
    }
}
