package dev.kavach.benchmarks;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.core.Kavach;
import dev.kavach.core.Sandbox;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The pure framework path: {@code Sandbox.exec} on the {@code noop} backend, which starts nothing. What
 * every exec costs on top of the backend's own work (state checks, context class loader, result records).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class NoopExecBenchmark {
    private Kavach kavach;
    private Sandbox sandbox;
    private final ExecRequest request = ExecRequest.of("true");

    @Setup(Level.Trial)
    public void setUp() {
        kavach = BenchKavach.load(Map.of());
        sandbox = kavach.open("noop");
    }

    @Benchmark
    public ExecResult exec() {
        return sandbox.exec(request);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kavach.close();
    }
}
