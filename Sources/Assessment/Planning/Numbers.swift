import FoundationEssentials
import Printf

/// Fixed rounding for every figure that reaches a report. Rounding at the source,
/// rather than when printing, keeps the JSON identical whichever node computed it
/// and keeps "total = sum of parts" exact to the cent.
enum Numbers {
    /// USD to the cent.
    static func money(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    /// Ratios, shares and coverages to four decimals.
    static func ratio(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    /// Sizes and other physical quantities to two decimals.
    static func quantity(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    /// Sums already-rounded amounts and rounds again, so the total is the sum that is shown.
    static func total(_ parts: [Double]) -> Double { money(parts.reduce(0, +)) }

    /// Counts derived from extreme (but valid) requests can exceed Int; they are capped
    /// far above any real plan instead of trapping.
    static let countCap = 1e15

    static func ceilInt(_ x: Double) -> Int {
        guard !x.isNaN else { return 0 }
        return Int(min(max(x.rounded(.up), -countCap), countCap))
    }

    /// Amounts too large for fixed-point printing are shown in scientific notation.
    static func isPrintable(_ x: Double) -> Bool { x.isFinite && x.magnitude < 1e13 }

    static func scientific(_ x: Double) -> String { String(printf: "%.3e", x) }

    /// "$1,234.56", for prose; JSON carries the plain number.
    static func usd(_ x: Double) -> String {
        guard isPrintable(x) else { return "$" + scientific(x) }
        let cents = Int64((x * 100).rounded())
        let negative = cents < 0
        let whole = String(abs(cents) / 100)
        var grouped = ""
        for (i, c) in whole.reversed().enumerated() {
            if i > 0, i % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        let fraction = abs(cents) % 100
        return (negative ? "-$" : "$") + String(grouped.reversed()) + "." + (fraction < 10 ? "0" : "")
            + String(fraction)
    }

    /// Plain decimal with at most `digits` fraction digits, trailing zeros removed.
    static func text(_ x: Double, digits: Int = 2) -> String {
        guard isPrintable(x) else { return scientific(x) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((x * scale).rounded())
        let negative = scaled < 0
        let magnitude = abs(scaled)
        let whole = magnitude / Int64(scale)
        var fraction = String(magnitude % Int64(scale))
        fraction = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    static func percent(_ ratio: Double, digits: Int = 1) -> String { text(ratio * 100, digits: digits) + "%" }
}
