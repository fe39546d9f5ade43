package dev.kavach.benchmarks;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.core.Kavach;
import dev.kavach.core.Sandbox;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Figure 5: 500 execs of {@code true}, 64 at a time, through one Kavach instance ({@code process}
 * backend, {@code minimal}) vs the same with raw {@link ProcessBuilder}, in alternating rounds; peak
 * thread counts; and afterwards an assertion that nothing leaked: no child process, file descriptor,
 * temporary directory or cgroup more than before Kavach was used. The suite runs this program with a
 * private {@code java.io.tmpdir}, so every entry there is accounted for.
 */
public final class ConcurrencyFigure {
    private static final int EXECS = 500;
    private static final int PARALLEL = 64;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private ConcurrencyFigure() {
    }

    public static void main(String[] args) throws Exception {
        boolean full = args.length > 1 && args[1].equals("full");
        int rounds = full ? 5 : 3;
        ExecRequest request = ExecRequest.of("true").withPolicy(SandboxPolicy.minimal());
        long pid = ProcessHandle.current().pid();
        // A cgroup parent of its own: other Kavach processes on the host (tests running alongside) neither
        // show up in the leak check nor sweep this run's leftovers away before it is checked.
        String cgroupParent = "kavach-bench-" + pid;
        Map<String, String> settings = Map.of("kavach.backends.process.cgroup-parent", cgroupParent);
        List<Figure> figures = new ArrayList<>();
        // A first cycle opens whatever the JVM and Kavach open once (JARs, the process reaper, /dev/random).
        try (Kavach kavach = BenchKavach.load(settings); Sandbox sandbox = kavach.open("process")) {
            for (int i = 0; i < 20; i++) {
                require(sandbox.exec(request));
                DirectCommands.run(List.of("true"));
            }
        }
        HostResources before = HostResources.snapshot(cgroupParent);
        Samples raw = new Samples();
        Samples through = new Samples();
        int rawPeak = 0;
        int kavachPeak = 0;
        int baseThreads = THREADS.getThreadCount();
        try (Kavach kavach = BenchKavach.load(settings); Sandbox sandbox = kavach.open("process")) {
            for (int round = 0; round < rounds; round++) {
                THREADS.resetPeakThreadCount();
                raw.add(throughput(() -> DirectCommands.run(List.of("true"))));
                rawPeak = Math.max(rawPeak, THREADS.getPeakThreadCount());
                THREADS.resetPeakThreadCount();
                through.add(throughput(() -> require(sandbox.exec(request))));
                kavachPeak = Math.max(kavachPeak, THREADS.getPeakThreadCount());
            }
        }
        figures.add(Figure.compared("concurrency.500x64.throughput", "exec/s", through.median(), raw.median(), Goal.ratioAtLeast(0.8),
                String.format(Locale.ROOT, "%d execs of true, %d at a time, median of %d rounds; peak threads %d with Kavach vs %d raw (%d before)",
                        EXECS, PARALLEL, rounds, kavachPeak, rawPeak, baseThreads)));
        figures.add(new Figure("concurrency.500x64.peak-threads", "threads", kavachPeak, rawPeak, (double) kavachPeak / rawPeak, Goal.NONE,
                Figure.Status.INFO, "JVM peak thread count during the rounds (" + PARALLEL + " callers + I/O and process-reaper threads)"));

        // Exited children are reaped and leave their cgroups asynchronously: on a loaded host that takes a
        // while. Wait up to 30 s for the host to become clean (no wait at all when it already is) and report
        // how long it took; what is still there then has leaked.
        List<String> leaks = List.of();
        long closed = System.nanoTime();
        long cleanAfterMs = -1;
        while (System.nanoTime() - closed < 30_000_000_000L) {
            System.gc(); // unreachable Process objects release their pipes
            leaks = before.leakedIn(HostResources.snapshot(cgroupParent));
            if (leaks.isEmpty()) {
                cleanAfterMs = (System.nanoTime() - closed) / 1_000_000;
                break;
            }
            Thread.sleep(100);
        }
        figures.add(leaks.isEmpty()
                ? new Figure("concurrency.leaks", "", 0, Double.NaN, Double.NaN, Goal.valueBelow(1), Figure.Status.PASS,
                        "no child process, file descriptor, temp directory or cgroup left after " + (rounds * EXECS) + " execs and close"
                                + (cleanAfterMs > 200 ? " (clean " + cleanAfterMs + " ms after close)" : ""))
                : new Figure("concurrency.leaks", "", leaks.size(), Double.NaN, Double.NaN, Goal.valueBelow(1), Figure.Status.FAIL,
                        "ASSERTION FAILED (JVM pid " + pid + ", 30 s after close): " + String.join("; ", leaks)));
        FigureFile.write(Path.of(args[0]), figures);
        List<String> left = removeGroups(cgroupParent);
        if (!left.isEmpty()) {
            System.err.println("ConcurrencyFigure: could not remove " + left + "; remove them with rmdir once their processes have exited");
        }
    }

    /** Removes the run's cgroup parent and anything left in it (best effort); returns what could not be removed. */
    private static List<String> removeGroups(String cgroupParent) throws IOException {
        List<String> left = new ArrayList<>();
        for (Path parent : HostResources.parents(cgroupParent)) {
            if (!Files.isDirectory(parent)) {
                continue;
            }
            try (DirectoryStream<Path> groups = Files.newDirectoryStream(parent, Files::isDirectory)) {
                for (Path group : groups) {
                    remove(group, left);
                }
            }
            remove(parent, left);
        }
        return left;
    }

    private static void remove(Path group, List<String> left) {
        try {
            Files.deleteIfExists(group); // rmdir: a cgroup goes with its control files once it has no members
        } catch (IOException e) {
            left.add(group + " (" + e.getMessage() + ")");
        }
    }

    /** Execs per second for {@link #EXECS} runs of {@code exec}, {@link #PARALLEL} at a time. */
    private static double throughput(Callable<Integer> exec) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Callable<Integer>> tasks = new ArrayList<>(EXECS);
            for (int i = 0; i < EXECS; i++) {
                tasks.add(exec);
            }
            long start = System.nanoTime();
            List<Future<Integer>> done = pool.invokeAll(tasks);
            double seconds = (System.nanoTime() - start) / 1e9;
            for (Future<Integer> future : done) {
                if (future.get() != 0) {
                    throw new IllegalStateException("true exited " + future.get());
                }
            }
            return EXECS / seconds;
        } finally {
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    private static int require(ExecResult result) {
        if (!result.succeeded()) {
            throw new IllegalStateException("true failed: exit " + result.exitCode() + ", " + result.outcome() + " " + result.detail()
                    + " " + result.stderrText());
        }
        return 0;
    }
}
