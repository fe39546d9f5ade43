package dev.kavach.benchmarks;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.core.Kavach;
import dev.kavach.core.Sandbox;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Latency of running {@code true} to its end: through Kavach's {@code process} backend with each policy
 * preset, and the baselines in the same JVM: {@link ProcessBuilder} starting {@code true} directly, and
 * for each preset bubblewrap with the flags the backend uses for it, started directly ({@code bwrap-basic},
 * ...). Sample mode, so the suite can compare medians.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class ExecLatencyBenchmark {
    /**
     * {@code processbuilder}, {@code bwrap-<preset>} (that preset's bwrap command run directly), a preset run through Kavach,
     * or {@code <preset>-forkserver}: that preset with the backend's fork server on (each launch forked by it).
     */
    @Param({"processbuilder", "bwrap-minimal", "bwrap-basic", "bwrap-strict", "minimal", "basic", "strict", "basic-forkserver"})
    public String target;

    private Kavach kavach;
    private Sandbox sandbox;
    private ExecRequest request;
    private List<String> direct;
    private Path scratch;

    @Setup(Level.Trial)
    public void setUp() throws IOException, InterruptedException {
        switch (target) {
            case "processbuilder" -> direct = List.of("true");
            case "bwrap-minimal", "bwrap-basic", "bwrap-strict" -> {
                scratch = Files.createTempDirectory("kavach-bench-bwrap-");
                String preset = target.substring("bwrap-".length());
                try (Kavach k = BenchKavach.load(Map.of()); Sandbox s = k.open("process")) {
                    List<String> line = s.commandLine(ExecRequest.of("true").withPolicy(SandboxPolicy.preset(preset)))
                            .orElseThrow(() -> new IllegalStateException("the process backend shows no command line"));
                    direct = DirectCommands.bwrapPart(line, scratch);
                }
            }
            default -> {
                boolean forked = target.endsWith("-forkserver");
                kavach = BenchKavach.load(forked ? Map.of("kavach.backends.process.fork-server", "true") : Map.of());
                sandbox = kavach.open("process");
                request = ExecRequest.of("true").withPolicy(SandboxPolicy.preset(forked ? target.substring(0, target.indexOf('-')) : target));
            }
        }
        check(once()); // never measure a failure path
    }

    @Benchmark
    public int execTrue() throws IOException, InterruptedException {
        return once();
    }

    private int once() throws IOException, InterruptedException {
        if (sandbox != null) {
            ExecResult result = sandbox.exec(request);
            return result.succeeded() ? 0 : fail(result);
        }
        return DirectCommands.run(direct);
    }

    private int fail(ExecResult result) {
        throw new IllegalStateException("true failed under policy " + target + ": exit " + result.exitCode() + ", " + result.outcome()
                + " " + result.detail() + " " + result.stderrText());
    }

    private void check(int exit) {
        if (exit != 0) {
            throw new IllegalStateException(target + ": true exited " + exit + " (" + direct + ")");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (kavach != null) {
            kavach.close();
        }
        if (scratch != null) {
            Files.deleteIfExists(scratch);
        }
    }
}
