import CLibFuzzer
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// One fuzz target: the name `scripts/fuzz` passes, and what is done with each input. `check` traps
/// (precondition, fatalError) on a finding, which libFuzzer reports as a crash with the input saved.
package struct FuzzTarget: Sendable {
    package let name: String
    package let check: @Sendable (UnsafeRawBufferPointer) -> Void
    /// Realistic inputs made from real values, for targets whose inputs are encodings
    /// (`--write-seeds DIR`; scripts/fuzz --seed writes them into Fuzz/corpus/NAME).
    package let seeds: @Sendable () -> [[UInt8]]

    package init(
        name: String, seeds: @escaping @Sendable () -> [[UInt8]] = { [] },
        check: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) {
        self.name = name
        self.seeds = seeds
        self.check = check
    }
}

/// libFuzzer's callback is a C function pointer, which captures nothing: the target is chosen once,
/// before the driver starts, and libFuzzer calls back on that same thread.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget?.check(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// libFuzzer's own `main`, which -sanitize=fuzzer links whole, calls this; the harness's `main` is
/// the one that runs (SwiftPM's `--defsym main=…`, docs/fuzzing.md) and hands `fuzzOne` to
/// `LLVMFuzzerRunDriver`, so it is never called. A release link strips the unused reference, a debug
/// link keeps it and fails without this definition (`undefined symbol: LLVMFuzzerTestOneInput`).
@_cdecl("LLVMFuzzerTestOneInput")
func llvmFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(data, size)
}

/// `inframind-fuzz TARGET [libFuzzer options and corpus directories]`. The target may instead come
/// from `INFRAMIND_FUZZ_TARGET`: libFuzzer's `-merge` and `-minimize_crash` run the binary again
/// with the options it saw, without the target name, so the name is put there for them.
///
/// Built without `-sanitize=fuzzer` (as `swift build --build-tests` does), it runs each file given,
/// or each file of each directory given, through the target once: a corpus replayer.
package enum FuzzDriver {
    static let targetVariable = "INFRAMIND_FUZZ_TARGET"

    package static func main(_ program: String, targets: [FuzzTarget]) -> Never {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var target: FuzzTarget?
        if let first = arguments.first, let named = targets.first(where: { $0.name == first }) {
            target = named
            arguments.removeFirst()
            setenv(targetVariable, named.name, 1)
        } else if let name = ProcessInfo.processInfo.environment[targetVariable] {
            target = targets.first { $0.name == name }
        }
        guard let target else {
            let names = targets.map(\.name).joined(separator: ", ")
            print("usage: \(program) TARGET [libFuzzer options] [CORPUS_DIR...]; TARGET is one of \(names)")
            exit(2)
        }
        selectedTarget = target
        if arguments.count == 2, arguments[0] == "--write-seeds" {
            exit(writeSeeds(target, into: arguments[1]))
        }
        if inframind_libfuzzer_linked() != 0 {
            exit(runLibFuzzer(arguments))
        }
        exit(replay(arguments, target: target))
    }

    static func runLibFuzzer(_ arguments: [String]) -> Int32 {
        var pointers: [UnsafeMutablePointer<CChar>?] = (CommandLine.arguments.prefix(1) + arguments).map { strdup($0) }
        pointers.append(nil)
        var argc = Int32(pointers.count - 1)
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var argv = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv, fuzzOne)
        }
    }

    static func writeSeeds(_ target: FuzzTarget, into directory: String) -> Int32 {
        for (index, seed) in target.seeds().enumerated() {
            let path = directory + "/seed-\(index)"
            guard FileManager.default.createFile(atPath: path, contents: Data(seed)) else {
                print("cannot write \(path)")
                return 1
            }
        }
        return 0
    }

    /// Runs every file under `paths` through `target`; a finding traps as it would under libFuzzer.
    static func replay(_ paths: [String], target: FuzzTarget) -> Int32 {
        var count = 0
        for path in paths where !path.hasPrefix("-") {
            guard FileManager.default.fileExists(atPath: path) else {
                print("no such file: \(path)")
                return 1
            }
            let files =
                (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted().map { path + "/" + $0 } ?? [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { target.check($0) }
                count += 1
            }
        }
        print("\(target.name): replayed \(count) inputs (built without libFuzzer: no fuzzing)")
        return 0
    }
}

/// A finding: traps with `message` when `condition` is false. Unlike `precondition`, whose message
/// an optimized build drops, the message reaches libFuzzer's log beside the saved input.
package func require(_ condition: Bool, _ message: @autoclosure () -> String = "") {
    if !condition { fatalError(message()) }
}
