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
 * Figure 6: wall time of {@code ./kavach run --backend process -- true} (the launcher as users run it, with
 * its class-data-sharing archive warm) vs {@code java -version} on the same JDK, alternating, medians.
 * Timed from this JVM around each whole process.
 */
final class CliStartFigure {
    private CliStartFigure() {
    }

    static List<Figure> measure(Path root, boolean full) throws IOException, InterruptedException {
        String name = "cli.run-true-vs-java-version";
        Path launcher = root.resolve("kavach");
        if (!Files.isExecutable(launcher)) {
            return List.of(Figure.skipped(name, "no launcher at " + launcher));
        }
        if (!cliBuilt(root.resolve("kavach-cli/target"))) {
            return List.of(Figure.skipped(name, "the CLI is not built (run bench/run.sh without --no-build, or ./mvnw -DskipTests package)"));
        }
        Path javaHome = Path.of(System.getProperty("java.home"));
        List<String> kavach = List.of(launcher.toString(), "run", "--backend", "process", "--", "true");
        List<String> java = List.of(javaHome.resolve("bin/java").toString(), "-version");
        Map<String, String> env = Map.of("KAVACH_JAVA_HOME", javaHome.toString());
        for (int i = 0; i < 3; i++) { // the first run writes the CDS archive
            time(kavach, root, env);
            time(java, root, env);
        }
        int rounds = full ? 30 : 10;
        Samples kavachMs = new Samples();
        Samples javaMs = new Samples();
        for (int i = 0; i < rounds; i++) {
            kavachMs.add(time(kavach, root, env));
            javaMs.add(time(java, root, env));
        }
        return List.of(Figure.compared(name, "ms", kavachMs.median(), javaMs.median(), Goal.ratioAtMost(3),
                String.format(Locale.ROOT, "./kavach run --backend process -- true (policy basic: bwrap) vs %s -version; median of %d",
                        javaHome, rounds)));
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
