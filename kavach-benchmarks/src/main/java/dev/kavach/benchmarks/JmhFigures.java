package dev.kavach.benchmarks;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.core.Kavach;
import dev.kavach.core.Sandbox;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The in-JVM figures, measured with JMH (one fork per benchmark, so JIT state and heap do not carry over):
 * exec latency of {@code true} through each preset and its two baselines (figures 1 and 2), the noop
 * framework path, and attestation reports verified per second (figure 8). Short mode shortens every
 * warm-up and measurement; {@code --full} runs longer and with two forks.
 */
final class JmhFigures {
    private final boolean full;
    private final List<String> forkArgs;

    JmhFigures(boolean full, List<String> forkArgs) {
        this.full = full;
        this.forkArgs = List.copyOf(forkArgs);
    }

    /**
     * Figures 1 and 2. JMH runs one target after another, so on a host whose load drifts a single pass
     * would compare targets measured under different load. The targets are therefore measured in several
     * short passes, in alternating order; each ratio is the median of the per-pass ratios, each latency the
     * median of the per-pass medians.
     */
    List<Figure> execLatency(boolean bwrap) {
        List<String> targets = new ArrayList<>(List.of("processbuilder", "minimal"));
        if (bwrap) {
            targets.addAll(List.of("bwrap-minimal", "bwrap-basic", "bwrap-strict", "basic", "strict", "basic-forkserver"));
        }
        int passes = full ? 5 : 3;
        List<Map<String, Double>> perPass = new ArrayList<>();
        for (int pass = 0; pass < passes; pass++) {
            List<String> order = new ArrayList<>(targets);
            if (pass % 2 == 1) {
                Collections.reverse(order);
            }
            Map<String, Double> medians = new HashMap<>();
            try {
                for (String target : order) { // one Runner per target keeps the order ours, not JMH's
                    for (RunResult result : run(options(ExecLatencyBenchmark.class, full ? 2 : 1, 1).forks(1).param("target", target))) {
                        medians.put(target, result.getPrimaryResult().getStatistics().getPercentile(50) / 1000.0);
                    }
                }
            } catch (RunnerException e) {
                return List.of(Figure.failed("exec", "JMH failed: " + e.getMessage()));
            }
            perPass.add(medians);
        }
        List<Figure> figures = new ArrayList<>();
        String how = "JMH sample mode, median latency of true run to its end, " + passes + " alternating passes";
        figures.add(compare(perPass, "minimal", "processbuilder", Goal.ratioAtMost(1.3), how));
        String noBwrap = "bubblewrap is not installed (apt-get install bubblewrap): basic and strict cannot run";
        for (String preset : List.of("basic", "strict")) {
            figures.add(bwrap ? compare(perPass, preset, "processbuilder", Goal.NONE, how) : Figure.skipped("exec." + preset + "-vs-processbuilder", noBwrap));
        }
        for (String preset : List.of("minimal", "basic", "strict")) {
            // The goal of issue 15: basic and strict cost at most 1.3x the bwrap command they run, started directly.
            Goal goal = preset.equals("minimal") ? Goal.NONE : Goal.ratioAtMost(1.3);
            figures.add(bwrap ? compare(perPass, preset, "bwrap-" + preset, goal, "baseline: the bwrap part of the backend's own " + preset
                    + " command line (Sandbox.commandLine) started directly, without --seccomp and without what the backend runs before bwrap ("
                    + String.join(", ", wrappers(preset)) + "); " + passes + " alternating passes") : Figure.skipped("exec." + preset + "-vs-bwrap", noBwrap));
        }
        // What the opt-in fork server does to a launch: basic forked by it, against basic spawned from the JVM (the default).
        figures.add(bwrap ? compare(perPass, "basic-forkserver", "basic", Goal.NONE, "basic with kavach.backends.process.fork-server = true "
                + "against the default spawn from the JVM (spawn helper, launcher shell, then the same chain); " + passes + " alternating passes")
                : Figure.skipped("exec.basic-forkserver-vs-basic", noBwrap));
        return figures;
    }

    /** What the backend runs before bubblewrap for {@code preset}, for the figure's note. */
    private static List<String> wrappers(String preset) {
        try (Kavach kavach = BenchKavach.load(Map.of()); Sandbox sandbox = kavach.open("process")) {
            return DirectCommands.wrappers(sandbox.commandLine(ExecRequest.of("true").withPolicy(SandboxPolicy.preset(preset))).orElseThrow());
        } catch (RuntimeException e) {
            return List.of("unknown: " + e.getMessage());
        }
    }

    private static Figure compare(List<Map<String, Double>> passes, String kavach, String baseline, Goal goal, String how) {
        // exec.basic-vs-bwrap: against the bwrap command of the same preset
        String name = "exec." + kavach + "-vs-" + (baseline.startsWith("bwrap-") ? "bwrap" : baseline);
        Samples k = new Samples();
        Samples b = new Samples();
        Samples ratio = new Samples();
        for (Map<String, Double> pass : passes) {
            Double kp = pass.get(kavach);
            Double bp = pass.get(baseline);
            if (kp == null || bp == null) {
                return Figure.failed(name, "JMH produced no result for " + (kp == null ? kavach : baseline) + " (see the JMH errors in the log)");
            }
            k.add(kp);
            b.add(bp);
            ratio.add(kp / bp);
        }
        return new Figure(name, "ms", k.median(), b.median(), ratio.median(), goal,
                goal.kind() == Goal.Kind.NONE ? Figure.Status.INFO : goal.met(ratio.median()) ? Figure.Status.PASS : Figure.Status.FAIL,
                String.format(Locale.ROOT, "%s; Kavach adds %.2f ms", how, k.median() - b.median()));
    }

    List<Figure> noop() {
        try {
            Collection<RunResult> results = run(options(NoopExecBenchmark.class, full ? 3 : 1, full ? 5 : 3));
            RunResult result = results.iterator().next();
            return List.of(Figure.absolute("exec.noop", "us", result.getPrimaryResult().getStatistics().getPercentile(50), Goal.NONE,
                    "Sandbox.exec on the noop backend (starts nothing): the pure framework path, JMH sample mode median"));
        } catch (RunnerException | RuntimeException e) {
            return List.of(Figure.failed("exec.noop", "JMH failed: " + e.getMessage()));
        }
    }

    List<Figure> attestation() {
        String data = System.getenv("KAVACH_TESTDATA");
        Path vectors = (data != null && !data.isBlank() ? Path.of(data) : Path.of("..", "shared", "testdata")).resolve("sev-snp");
        if (!Files.isDirectory(vectors)) {
            return List.of(Figure.skipped("attestation.verify", "SEV-SNP test vectors not found at " + vectors.toAbsolutePath()
                    + " (set KAVACH_TESTDATA to the folder holding sev-snp/)"));
        }
        try {
            Collection<RunResult> results = run(options(AttestationVerifyBenchmark.class, full ? 5 : 2, full ? 5 : 3));
            List<Figure> figures = new ArrayList<>();
            for (RunResult result : results) {
                String method = result.getParams().getBenchmark();
                method = method.substring(method.lastIndexOf('.') + 1);
                figures.add(Figure.absolute("attestation." + method, "reports/s", result.getPrimaryResult().getStatistics().getPercentile(50),
                        Goal.NONE, "AMD Milan vector, one thread, JMH throughput (median of iterations)"));
            }
            return figures;
        } catch (RunnerException | RuntimeException e) {
            return List.of(Figure.failed("attestation.verify", "JMH failed: " + e.getMessage()));
        }
    }

    private ChainedOptionsBuilder options(Class<?> benchmark, int seconds, int iterations) {
        return new OptionsBuilder()
                .include("^" + benchmark.getName().replace(".", "\\.") + "\\.")
                .forks(full ? 2 : 1)
                .warmupIterations(full ? 3 : 1)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .jvmArgsAppend(forkArgs.toArray(String[]::new))
                .shouldFailOnError(true);
    }

    private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
        return new Runner(options.build(), OutputFormatFactory.createFormatInstance(System.err, VerboseMode.NORMAL)).run();
    }
}
