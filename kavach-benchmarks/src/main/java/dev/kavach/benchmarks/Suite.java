package dev.kavach.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark suite's entry point (run by {@code bench/run.sh}, on the classpath because JMH forks
 * inherit it): runs every figure, prints one line per figure to stdout as its group finishes, and writes
 * them all with the machine's description to {@code <out>/latest.json} (and a timestamped copy).
 *
 * <p>Figures needing a clean JVM (heap, leaks) or the module path (plugins in module layers, as the CLI
 * loads them) run as figure programs in JVMs of their own; whole-process figures are timed from here.
 *
 * <p>Exit status: 0 when every figure was measured or skipped with a reason, whatever the goals say; 1 when
 * an assertion failed (leaked processes, descriptors, temp directories) or a measurement broke.
 */
public final class Suite {
    static final List<String> GROUPS = List.of("exec", "noop", "plugins", "output", "concurrency", "cli", "vm", "attestation");

    private final boolean full;
    private final Path root;
    private final Path out;
    private final Path work;
    private final List<Figure> figures = new ArrayList<>();

    private Suite(boolean full, Path root, Path out, Path work) {
        this.full = full;
        this.root = root;
        this.out = out;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        boolean full = false;
        Path root = Path.of("").toAbsolutePath();
        Path out = null;
        Set<String> only = new LinkedHashSet<>(GROUPS);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--full" -> full = true;
                case "--root" -> root = Path.of(args[++i]).toAbsolutePath();
                case "--out" -> out = Path.of(args[++i]).toAbsolutePath();
                case "--only" -> {
                    only = new LinkedHashSet<>(List.of(args[++i].split(",")));
                    for (String group : only) {
                        if (!GROUPS.contains(group)) {
                            System.err.println("unknown figure group '" + group + "'; groups: " + String.join(",", GROUPS));
                            System.exit(2);
                        }
                    }
                }
                default -> {
                    System.err.println("unknown option '" + args[i] + "'; usage: Suite [--full] [--only " + String.join(",", GROUPS)
                            + "] [--root REPO] [--out DIR]");
                    System.exit(2);
                }
            }
        }
        if (out == null) {
            out = root.resolve("bench/results");
        }
        Path work = Path.of(System.getProperty("kbench.work", out.resolve("work").toString())).toAbsolutePath();
        Files.createDirectories(work);
        System.setProperty("kbench.work", work.toString());
        System.exit(new Suite(full, root, Files.createDirectories(out), work).run(only));
    }

    private int run(Set<String> only) throws Exception {
        String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Map<String, String> machine = Machine.describe();
        machine.put("commit", System.getProperty("kbench.commit", "unknown"));
        System.err.println("kavach benchmarks (" + (full ? "full" : "short") + ") on " + machine);
        JmhFigures jmh = new JmhFigures(full, List.of("-Dkbench.work=" + work, "-Dkbench.root=" + root));
        for (String group : only) {
            System.err.println("== " + group + " (load " + Machine.loadAverage() + ")");
            double loadStart = Machine.load1();
            List<Figure> measured;
            try {
                measured = switch (group) {
                    case "exec" -> jmh.execLatency(Executables.onPath("bwrap"));
                    case "noop" -> jmh.noop();
                    case "plugins" -> figureProgram("PluginDiscoveryFigure", List.of());
                    case "output" -> figureProgram("OutputFigure", List.of("-Xmx1g"));
                    case "concurrency" -> figureProgram("ConcurrencyFigure", List.of("-Djava.io.tmpdir=" + freshDir("concurrency-tmp")));
                    case "cli" -> {
                        List<Figure> cli = new ArrayList<>(CliStartFigure.measure(root, full));
                        cli.addAll(CliMemoryFigure.measure(root, work, full));
                        yield cli;
                    }
                    case "vm" -> {
                        List<Figure> vm = new ArrayList<>(figureProgram("VmFigure", List.of()));
                        vm.addAll(figureProgram("VmSessionFigure", List.of()));
                        yield vm;
                    }
                    case "attestation" -> jmh.attestation();
                    default -> throw new IllegalArgumentException(group);
                };
            } catch (Exception | Error e) {
                measured = List.of(Figure.failed(group, e.toString()));
            }
            double loadEnd = Machine.load1();
            // Each figure's own load when it recorded one; else its group's (a group's figures are measured together).
            measured = measured.stream().map(figure -> figure.measuredUnder(loadStart, loadEnd)).toList();
            for (Figure figure : measured) {
                System.out.println(figure.line());
                System.out.flush();
            }
            figures.addAll(measured);
        }
        machine.put("loadavg-end", Machine.loadAverage());
        String json = JsonText.document(full ? "full" : "short", started, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), machine, figures);
        // Only a run of every group replaces latest.json, the file that tracks the figures over time.
        Path latest = out.resolve(only.containsAll(GROUPS) ? "latest.json" : "latest-partial.json");
        Files.writeString(latest, json, StandardCharsets.UTF_8);
        Files.copy(latest, out.resolve((only.containsAll(GROUPS) ? "run-" : "partial-") + started.replace(":", "") + ".json"),
                StandardCopyOption.REPLACE_EXISTING);
        long broken = figures.stream().filter(f -> f.status() == Figure.Status.ERROR || f.note().startsWith("ASSERTION FAILED")).count();
        System.err.printf("%d figures: %d PASS, %d FAIL, %d INFO, %d SKIP, %d ERROR; written to %s%n", figures.size(),
                count(Figure.Status.PASS), count(Figure.Status.FAIL), count(Figure.Status.INFO), count(Figure.Status.SKIP),
                count(Figure.Status.ERROR), latest);
        List<String> underLoad = figures.stream().filter(Figure::underLoad).map(Figure::name).toList();
        if (!underLoad.isEmpty()) {
            System.err.printf("%d figures were measured under load above %.0f (other work competed; marked UNDER-LOAD): %s%n",
                    underLoad.size(), Figure.LOAD_LIMIT, String.join(", ", underLoad));
        }
        return broken == 0 ? 0 : 1;
    }

    private long count(Figure.Status status) {
        return figures.stream().filter(f -> f.status() == status).count();
    }

    /** Runs a figure program in a JVM of its own, on the module path, and reads back its figures. */
    private List<Figure> figureProgram(String program, List<String> jvmArgs) throws IOException, InterruptedException {
        Path result = work.resolve(program + ".properties");
        Files.deleteIfExists(result);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-Dkbench.work=" + work);
        command.add("-Dkbench.root=" + root);
        command.addAll(List.of("-p", System.getProperty("java.class.path"), "-m", "dev.kavach.benchmarks/dev.kavach.benchmarks." + program,
                result.toString(), full ? "full" : "short"));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.to(work.resolve(program + ".out").toFile()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int status = process.waitFor();
        if (status != 0 || !Files.isRegularFile(result)) {
            return List.of(Figure.failed(program, "the figure program exited " + status + " (its error is in the log above)"));
        }
        return FigureFile.read(result);
    }

    private Path freshDir(String name) throws IOException {
        Path dir = work.resolve(name);
        DirectoryTree.delete(dir);
        return Files.createDirectories(dir);
    }
}
