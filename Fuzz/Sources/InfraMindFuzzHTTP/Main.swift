import FuzzSupport

/// The fuzz target that needs HTTPAPI, and so its TLS stack (docs/fuzzing.md).
@main
enum InfraMindFuzzHTTP {
    static func main() {
        FuzzDriver.main("inframind-fuzz-http", targets: [ListFuzz.target])
    }
}
