package dev.kavach.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.atomic.AtomicLong;

/** Java heap in use: after full collections (the live set) or sampled while work runs (peak, garbage included). */
final class Heap implements AutoCloseable {
    static final double MIB = 1024.0 * 1024.0;
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private final Thread sampler;
    private final AtomicLong peakUsed = new AtomicLong();
    private final AtomicLong peakLive = new AtomicLong();
    private volatile boolean running = true;

    /**
     * Starts sampling every {@code intervalMillis}; with {@code collect}, each sample is taken after a full
     * collection, so its peak is the largest live set seen while the work ran.
     */
    private Heap(long intervalMillis, boolean collect) {
        sampler = Thread.ofPlatform().daemon().name("heap-sampler").start(() -> {
            while (running) {
                if (collect) {
                    peakLive.accumulateAndGet(usedAfterGc(), Math::max);
                } else {
                    peakUsed.accumulateAndGet(used(), Math::max);
                }
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    static Heap sampleUsed(long intervalMillis) {
        return new Heap(intervalMillis, false);
    }

    static Heap sampleLive(long intervalMillis) {
        return new Heap(intervalMillis, true);
    }

    /** Largest raw heap use sampled (garbage included). */
    long peakUsed() {
        return peakUsed.get();
    }

    /** Largest live set sampled. */
    long peakLive() {
        return peakLive.get();
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        try {
            sampler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long used() {
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Heap in use after full collections, repeated until it stops shrinking (finalisation, soft references). */
    static long usedAfterGc() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            long now = used();
            if (now >= best) {
                return best;
            }
            best = now;
        }
        return best;
    }
}
