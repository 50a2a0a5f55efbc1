import FuzzSupport

/// The fuzz targets that need no TLS stack (docs/fuzzing.md); the list query is in inframind-fuzz-http.
@main
enum InfraMindFuzz {
    static func main() {
        FuzzDriver.main(
            "inframind-fuzz",
            targets: [
                FrameFuzz.target, MessageFuzz.target, RequestFuzz.target, ReportFuzz.target, TOMLFuzz.target,
                CursorFuzz.target,
            ])
    }
}
