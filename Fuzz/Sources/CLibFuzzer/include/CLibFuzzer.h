#ifndef INFRAMIND_CLIBFUZZER_H
#define INFRAMIND_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's documented entry for a program that keeps its own main (LLVM's libFuzzer docs,
// "Using libFuzzer as a library"). Weak: without -sanitize=fuzzer it is absent and the harness
// replays files instead (docs/fuzzing.md).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size))
    __attribute__((weak));

// Whether the binary was linked with libFuzzer (-sanitize=fuzzer).
static inline int inframind_libfuzzer_linked(void) { return LLVMFuzzerRunDriver != 0; }

#endif
