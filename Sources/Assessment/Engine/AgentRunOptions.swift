import FoundationEssentials

/// How an agent run behaves apart from its result. The default does nothing extra;
/// the slowdown exists only so benchmarks and chaos runs can make agents take long
/// enough for leases, requeues and node kills to matter. It never changes a result.
package struct AgentRunOptions: Codable, Sendable, Equatable {
    package enum Slowdown: Codable, Sendable, Equatable {
        /// The normal, production setting.
        case none
        /// Burn this many rounds of hashing on the calling thread before computing.
        case cpuWork(iterations: Int)
        /// Suspend this long before computing (cancellable; does not hold a thread).
        case sleep(milliseconds: Int)
    }

    package var loadTestSlowdown: Slowdown

    package init(loadTestSlowdown: Slowdown = .none) { self.loadTestSlowdown = loadTestSlowdown }

    package static let standard = AgentRunOptions()

    /// Applies the slowdown. Checks for cancellation so a cancelled assessment stops here.
    package func applySlowdown() async throws {
        switch loadTestSlowdown {
        case .none:
            return
        case .sleep(let ms):
            try await Task.sleep(for: .milliseconds(max(0, ms)))
        case .cpuWork(let iterations):
            var x: UInt64 = 0x9E37_79B9_7F4A_7C15
            for i in 0..<max(0, iterations) {
                x = (x ^ UInt64(truncatingIfNeeded: i)) &* 0xBF58_476D_1CE4_E5B9
                x ^= x >> 31
                if i & 0xFFFF == 0 { try Task.checkCancellation() }
            }
            // Feeding the value to an opaque call keeps the optimiser from deleting the loop.
            if x == 0 { await Task.yield() }
        }
        try Task.checkCancellation()
    }
}
