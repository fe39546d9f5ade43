package dev.kavach.benchmarks;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.StdStream;
import dev.kavach.core.Kavach;
import dev.kavach.core.Sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Figure 4: a command writing 1 GiB to stdout, drained through the {@code process} backend (policy
 * {@code minimal}, so only the output path differs from the baseline) with a 1 MiB limit, and with no
 * limit streamed to a counting listener that keeps nothing. Baseline: the same command piped to
 * {@code cat >/dev/null} by {@code /bin/sh}, timed in this JVM the same way. Runs alternate.
 *
 * <p>Heap is measured in separate runs so that forced collections do not slow the timed ones: the idle
 * baseline is the live set after GC with the sandbox open; growth is the largest live set sampled (a full
 * GC every 100 ms) while the command streams; the raw sampled peak (garbage included) is reported as well.
 */
public final class OutputFigure {
    private static final long GIB = 1L << 30;
    private static final String PRODUCER = "head -c " + GIB + " /dev/zero";

    private OutputFigure() {
    }

    public static void main(String[] args) throws Exception {
        boolean full = args.length > 1 && args[1].equals("full");
        int rounds = full ? 7 : 3;
        List<Figure> figures = new ArrayList<>();
        try (Kavach kavach = BenchKavach.load(Map.of()); Sandbox sandbox = kavach.open("process")) {
            SandboxPolicy policy = SandboxPolicy.minimal().withTimeout(java.time.Duration.ofMinutes(5));
            ExecRequest limited = ExecRequest.shell(PRODUCER).withPolicy(policy.withOutputLimitBytes(1 << 20));
            ExecRequest unlimited = ExecRequest.shell(PRODUCER).withPolicy(policy.withOutputLimitBytes(0));
            ExecRequest small = ExecRequest.shell("head -c 10000000 /dev/zero").withPolicy(policy.withOutputLimitBytes(1 << 20));
            for (int i = 0; i < 3; i++) { // warm up the output path
                check(sandbox.exec(small), 10_000_000);
                streamedCheck(sandbox, small.withPolicy(policy.withOutputLimitBytes(0)), 10_000_000);
                DirectCommands.run(List.of("/bin/sh", "-c", "head -c 10000000 /dev/zero | cat >/dev/null"));
            }
            Samples pipe = new Samples();
            Samples redirect = new Samples();
            Samples kept = new Samples();
            Samples streamed = new Samples();
            for (int round = 0; round < rounds; round++) {
                pipe.add(rate(() -> DirectCommands.run(List.of("/bin/sh", "-c", PRODUCER + " | cat >/dev/null"))));
                kept.add(rate(() -> check(sandbox.exec(limited), GIB)));
                redirect.add(rate(() -> DirectCommands.run(List.of("/bin/sh", "-c", PRODUCER + " >/dev/null"))));
                streamed.add(rate(() -> streamedCheck(sandbox, unlimited, GIB)));
            }
            String how = String.format(Locale.ROOT, "1 GiB from '%s'; baseline '... | cat >/dev/null' in /bin/sh; median of %d; "
                    + "'>/dev/null' without a pipe: %.0f MiB/s", PRODUCER, rounds, redirect.median());
            figures.add(Figure.compared("output.1gib-limit-1mib.rate", "MiB/s", kept.median(), pipe.median(), Goal.ratioAtLeast(0.8), how));
            figures.add(Figure.compared("output.1gib-unlimited-streamed.rate", "MiB/s", streamed.median(), pipe.median(), Goal.ratioAtLeast(0.8),
                    "no output limit, streamed to an OutputListener with keepInResult()=false"));

            long idle = Heap.usedAfterGc();
            HeapRun keptHeap = heapDuring(() -> check(sandbox.exec(limited), GIB));
            HeapRun streamedHeap = heapDuring(() -> streamedCheck(sandbox, unlimited, GIB));
            figures.add(Figure.absolute("output.1gib-limit-1mib.heap-growth", "MiB", (keptHeap.live - idle) / Heap.MIB, Goal.valueBelow(8),
                    String.format(Locale.ROOT, "largest live set (GC every 100 ms) over the idle %.1f MiB; raw sampled peak +%.1f MiB",
                            idle / Heap.MIB, (keptHeap.used - idle) / Heap.MIB)));
            figures.add(Figure.absolute("output.1gib-unlimited-streamed.heap-growth", "MiB", (streamedHeap.live - idle) / Heap.MIB,
                    Goal.valueBelow(8), String.format(Locale.ROOT, "bounded memory with unlimited output; raw sampled peak +%.1f MiB",
                            (streamedHeap.used - idle) / Heap.MIB)));
        }
        FigureFile.write(java.nio.file.Path.of(args[0]), figures);
    }

    private record HeapRun(long live, long used) {
    }

    private static HeapRun heapDuring(Work work) throws Exception {
        long live;
        long used;
        try (Heap sampled = Heap.sampleUsed(5)) {
            work.run();
            used = sampled.peakUsed();
        }
        try (Heap collected = Heap.sampleLive(100)) {
            work.run();
            live = collected.peakLive();
        }
        return new HeapRun(live, used);
    }

    @FunctionalInterface
    private interface Work {
        int run() throws Exception;
    }

    /** MiB per second for one run of {@code work}, which moves 1 GiB. */
    private static double rate(Work work) throws Exception {
        long start = System.nanoTime();
        int exit = work.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException("the producer exited " + exit);
        }
        return GIB / Heap.MIB / seconds;
    }

    private static int check(ExecResult result, long expected) {
        long total = result.stdout().totalBytes();
        if (!result.succeeded() || total != expected) {
            throw new IllegalStateException("expected " + expected + " bytes of stdout and exit 0, got " + total + " bytes, exit "
                    + result.exitCode() + ", " + result.outcome() + " " + result.detail() + " " + result.stderrText());
        }
        return 0;
    }

    /**
     * Streams to a counting listener. The result's totals are not checked: with {@code keepInResult()}
     * false the process backend reports only dropped bytes, so a streamed result says 0 bytes.
     */
    private static int streamedCheck(Sandbox sandbox, ExecRequest request, long expected) {
        CountingListener listener = new CountingListener();
        ExecResult result = sandbox.exec(request, listener);
        if (!result.succeeded() || listener.bytes.get() != expected) {
            throw new IllegalStateException("expected " + expected + " bytes streamed and exit 0, got " + listener.bytes.get()
                    + " bytes, exit " + result.exitCode() + ", " + result.outcome() + " " + result.detail() + " " + result.stderrText());
        }
        return 0;
    }

    /** Counts bytes and keeps none, as a caller streaming to a file or socket would. */
    private static final class CountingListener implements OutputListener {
        final AtomicLong bytes = new AtomicLong();

        @Override
        public void onOutput(StdStream stream, byte[] data, int offset, int length) {
            if (stream == StdStream.STDOUT) {
                bytes.addAndGet(length);
            }
        }

        @Override
        public boolean keepInResult() {
            return false;
        }
    }
}
