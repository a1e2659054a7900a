/**
 * Keeps freed body buffers' memory in the process instead of giving it back to the kernel after every burst.
 *
 * A proxy's body buffers (64 KiB each, malloc'd by Node's HTTP parser) are freed only when V8 collects them: in bursts,
 * one scavenge per ~25 MiB of buffers ("external memory pressure"). glibc returns the freed top of its heap to the
 * kernel as soon as more than its trim threshold (128 KiB at start) is free there, and the next buffers fault those
 * pages in again. A stream-mode gateway process then took 8k to 124k minor page faults per GiB streamed, depending
 * on whether something had by chance raised glibc's dynamic threshold, and the bad cases cost ~0.2 CPU s per GiB
 * (docs/benchmarks.md, "Gateway"). glibc raises the threshold itself (mmap threshold = the chunk's size, trim
 * threshold = twice that, up to a 32 MiB chunk) when a chunk it had mmapped is freed: one 30 MiB buffer, allocated
 * and dropped at start-up (never touched, so it costs no resident memory), does that on purpose. Freed heap up to
 * ~60 MiB then stays for reuse; the peak does not change. Elsewhere (musl, macOS; or glibc with MALLOC_TRIM_THRESHOLD_
 * set, which turns the dynamic threshold off) it is one allocation, freed.
 */
export function keepFreedHeap(): void {
  Buffer.allocUnsafeSlow(30 * 1024 * 1024)
}
