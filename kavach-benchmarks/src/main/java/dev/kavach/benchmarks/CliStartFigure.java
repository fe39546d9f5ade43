package dev.kavach.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Figure 6: wall time of the launcher as users run it, with its class-data-sharing archive and host-probe
 * cache warm, vs {@code java -version} on the same JDK, alternating, medians: {@code ./kavach run --backend
 * process -- true} (the default policy, basic: bubblewrap) and {@code ./kavach --version}. Timed from this
 * JVM around each whole process; each figure records the load around its own rounds.
 */
final class CliStartFigure {
    private CliStartFigure() {
    }

    static List<Figure> measure(Path root, boolean full) throws IOException, InterruptedException {
        List<String> names = List.of("cli.run-true-vs-java-version", "cli.version-vs-java-version");
        Path launcher = root.resolve("kavach");
        if (!Files.isExecutable(launcher)) {
            return names.stream().map(name -> Figure.skipped(name, "no launcher at " + launcher)).toList();
        }
        if (!cliBuilt(root.resolve("kavach-cli/target"))) {
            return names.stream().map(name -> Figure.skipped(name, "the CLI is not built (run bench/run.sh without --no-build, or ./mvnw -DskipTests package)")).toList();
        }
        Path javaHome = Path.of(System.getProperty("java.home"));
        List<String> java = List.of(javaHome.resolve("bin/java").toString(), "-version");
        Map<String, String> env = Map.of("KAVACH_JAVA_HOME", javaHome.toString());
        int rounds = full ? 30 : 10;
        List<String> run = List.of(launcher.toString(), "run", "--backend", "process", "--", "true");
        List<String> version = List.of(launcher.toString(), "--version");
        return List.of(
                compare(names.get(0), run, java, root, env, rounds, Goal.ratioAtMost(3),
                        "./kavach run --backend process -- true (policy basic: bwrap) vs " + javaHome + "/bin/java -version"),
                compare(names.get(1), version, java, root, env, rounds, Goal.NONE,
                        "./kavach --version vs " + javaHome + "/bin/java -version"));
    }

    private static Figure compare(String name, List<String> kavach, List<String> java, Path root, Map<String, String> env, int rounds,
                                  Goal goal, String how) throws IOException, InterruptedException {
        for (int i = 0; i < 3; i++) { // the first run writes the CDS archive and the host-probe answers
            time(kavach, root, env);
            time(java, root, env);
        }
        double loadStart = Machine.load1();
        Samples kavachMs = new Samples();
        Samples javaMs = new Samples();
        for (int i = 0; i < rounds; i++) {
            kavachMs.add(time(kavach, root, env));
            javaMs.add(time(java, root, env));
        }
        return Figure.compared(name, "ms", kavachMs.median(), javaMs.median(), goal,
                String.format(Locale.ROOT, "%s; alternating, median of %d", how, rounds)).measuredUnder(loadStart, Machine.load1());
    }

    private static boolean cliBuilt(Path target) throws IOException {
        if (!Files.isDirectory(target.resolve("lib"))) {
            return false;
        }
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "kavach-cli-*.jar")) {
            return jars.iterator().hasNext();
        }
    }

    private static double time(List<String> argv, Path dir, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().remove("KAVACH_CONFIG");
        builder.environment().putAll(env);
        long start = System.nanoTime();
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(argv + " did not finish");
        }
        double ms = (System.nanoTime() - start) / 1e6;
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + process.exitValue() + ": "
                    + new String(output, StandardCharsets.UTF_8));
        }
        return ms;
    }
}
