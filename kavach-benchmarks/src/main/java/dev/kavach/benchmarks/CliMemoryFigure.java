package dev.kavach.benchmarks;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Figure 7: Kavach's own memory whatever the command does. The real launcher runs {@code kavach run} three
 * ways with the same JVM options ({@code -Xms8m}, so that the heap grows only as far as it must): the
 * baseline {@code -- true}; {@code --json} of 2 x 16 MiB of NUL output (a 200 MB JSON result); and a 1 GiB
 * file on {@code --stdin}. Peak RSS is the kernel's high-water mark ({@code VmHWM}) of the Kavach JVM; the heap
 * is what the JVM had grown it to at exit (young + old generation, from its own exit log). Before output and
 * stdin were streamed, the JSON run needed about 1 GB and an unlimited stdin ran out of memory.
 */
final class CliMemoryFigure {
    private static final long SIXTEEN_MIB = 16L * 1024 * 1024;
    private static final Pattern GENERATION = Pattern.compile("(?:DefNew|def new generation|Tenured|tenured generation)\\s+total (\\d+)K");

    private CliMemoryFigure() {
    }

    /** One run's memory: the JVM's peak RSS and the heap it grew to, in MiB. */
    record Memory(double rssMiB, double heapMiB) {
    }

    static List<Figure> measure(Path root, Path work, boolean full) throws IOException, InterruptedException {
        Path launcher = root.resolve("kavach");
        if (!Files.isExecutable(launcher) || !Files.isDirectory(root.resolve("kavach-cli/target/lib"))) {
            return List.of(Figure.skipped("cli.memory", "the CLI is not built (run bench/run.sh without --no-build)"));
        }
        Path dir = Files.createDirectories(work.resolve("cli-memory"));
        Path big = dir.resolve("one-gibibyte");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(1024L * 1024 * 1024); // sparse: costs no disk
        }
        List<String> base = List.of(launcher.toString(), "run", "--backend", "process");
        List<String> trueRun = concat(base, "--", "true");
        List<String> jsonRun = concat(base, "--json", "--shell",
                "head -c " + SIXTEEN_MIB + " /dev/zero; head -c " + SIXTEEN_MIB + " /dev/zero >&2");
        List<String> stdinRun = concat(base, "--stdin", big.toString(), "--", "wc", "-c");
        int rounds = full ? 7 : 3;
        Samples trueRss = new Samples();
        Samples jsonRss = new Samples();
        Samples stdinRss = new Samples();
        Samples jsonHeap = new Samples();
        Samples stdinHeap = new Samples();
        for (int i = 0; i < rounds; i++) {
            trueRss.add(run(trueRun, dir).rssMiB());
            Memory json = run(jsonRun, dir);
            jsonRss.add(json.rssMiB());
            jsonHeap.add(json.heapMiB());
            Memory stdin = run(stdinRun, dir);
            stdinRss.add(stdin.rssMiB());
            stdinHeap.add(stdin.heapMiB());
        }
        Files.deleteIfExists(big);
        String how = "peak RSS (VmHWM) of the Kavach JVM, launcher with -Xms8m, median of " + rounds;
        return List.of(
                Figure.compared("cli.rss-json-2x16MiB-output-vs-true", "MiB", jsonRss.median(), trueRss.median(), Goal.ratioAtMost(1.5),
                        "run --json of 2 x 16 MiB NUL (a 200 MB JSON result) vs run -- true; " + how),
                Figure.compared("cli.rss-stdin-1GiB-vs-true", "MiB", stdinRss.median(), trueRss.median(), Goal.ratioAtMost(1.5),
                        "run --stdin FILE (1 GiB) -- wc -c vs run -- true; " + how),
                Figure.absolute("cli.heap-json-2x16MiB-output", "MiB", jsonHeap.median(), Goal.valueBelow(48),
                        "heap (young + old) the JVM grew to by the end of run --json of 2 x 16 MiB NUL; -Xms8m, median of " + rounds),
                Figure.absolute("cli.heap-stdin-1GiB", "MiB", stdinHeap.median(), Goal.valueBelow(48),
                        "heap (young + old) the JVM grew to by the end of run --stdin FILE (1 GiB); -Xms8m, median of " + rounds));
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    /** Runs one command, polling the JVM's peak RSS until it exits; the launcher execs java, so the pid is the JVM's. */
    private static Memory run(List<String> argv, Path dir) throws IOException, InterruptedException {
        Path gcLog = dir.resolve("gc.log");
        Files.deleteIfExists(gcLog);
        ProcessBuilder builder = new ProcessBuilder(argv).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(dir.resolve("stderr").toFile());
        builder.environment().remove("KAVACH_CONFIG");
        builder.environment().put("KAVACH_JAVA_OPTS", "-Xms8m -Xlog:gc*=info:file=" + gcLog);
        Process process = builder.start();
        process.getOutputStream().close();
        Path status = Path.of("/proc", String.valueOf(process.pid()), "status");
        long peakKiB = 0;
        while (!process.waitFor(20, TimeUnit.MILLISECONDS)) {
            peakKiB = Math.max(peakKiB, highWaterMarkKiB(status));
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + process.exitValue() + ": "
                    + Files.readString(dir.resolve("stderr"), StandardCharsets.UTF_8).strip());
        }
        long heapKiB = 0;
        Matcher matcher = GENERATION.matcher(Files.readString(gcLog, StandardCharsets.UTF_8));
        while (matcher.find()) {
            heapKiB += Long.parseLong(matcher.group(1));
        }
        if (peakKiB == 0 || heapKiB == 0) {
            throw new IllegalStateException(String.format(Locale.ROOT, "no memory figures for %s (VmHWM %d KiB, heap %d KiB)", argv, peakKiB, heapKiB));
        }
        return new Memory(peakKiB / 1024.0, heapKiB / 1024.0);
    }

    private static long highWaterMarkKiB(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // The process is exiting: keep the last value read.
        }
        return 0;
    }
}
