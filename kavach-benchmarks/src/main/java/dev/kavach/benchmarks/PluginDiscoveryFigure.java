package dev.kavach.benchmarks;

import dev.kavach.core.Kavach;
import dev.kavach.core.PluginReport;
import dev.kavach.core.PluginState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Figure 3: start-up discovery ({@code Kavach.load}: descriptors read, one module layer per plugin,
 * providers instantiated) of 0, 1, 10 and 100 generated plugin JARs, as the CLI runs it (on the module
 * path). Time and retained heap per plugin are the differences over the empty plugins directory, so
 * the fixed cost of loading configuration and built-ins does not count as plugin cost.
 * Loads of the four sizes are interleaved so that a burst of load on the host hits them alike.
 */
public final class PluginDiscoveryFigure {
    private static final int[] SIZES = {0, 1, 10, 100};

    private PluginDiscoveryFigure() {
    }

    public static void main(String[] args) throws Exception {
        Path resultFile = Path.of(args[0]);
        boolean full = args.length > 1 && args[1].equals("full");
        int rounds = full ? 40 : 12;
        Path work = BenchKavach.workDir().resolve("plugin-discovery");
        DirectoryTree.delete(work);
        Path all = work.resolve("jars");
        List<Path> jars = GeneratedPlugins.create(work, all, SIZES[SIZES.length - 1]);
        List<Path> dirs = new ArrayList<>();
        for (int size : SIZES) {
            Path dir = Files.createDirectories(work.resolve("plugins-" + size));
            for (Path jar : jars.subList(0, size)) {
                Files.copy(jar, dir.resolve(jar.getFileName()));
            }
            dirs.add(dir);
            verify(dir, size);
        }
        for (int i = 0; i < 3; i++) { // warm up the JIT on every size
            for (Path dir : dirs) {
                timeLoad(dir);
            }
        }
        Samples[] times = new Samples[SIZES.length];
        for (int s = 0; s < SIZES.length; s++) {
            times[s] = new Samples();
        }
        for (int round = 0; round < rounds; round++) {
            for (int s = 0; s < SIZES.length; s++) {
                times[s].add(timeLoad(dirs.get(s)));
            }
        }
        double[] heap = new double[SIZES.length];
        for (int s = 0; s < SIZES.length; s++) {
            heap[s] = retainedHeap(dirs.get(s));
        }
        double base = times[0].median();
        List<Figure> figures = new ArrayList<>();
        double[] perPlugin = new double[SIZES.length];
        for (int s = 1; s < SIZES.length; s++) {
            int size = SIZES[s];
            perPlugin[s] = (times[s].median() - base) / size;
            figures.add(Figure.absolute("plugins.discovery-" + size + ".per-plugin", "ms", perPlugin[s], Goal.valueBelow(5),
                    String.format(java.util.Locale.ROOT, "Kavach.load median %.1f ms with %d plugin(s) vs %.1f ms with none; %d rounds",
                            times[s].median(), size, base, rounds)));
        }
        figures.add(Figure.absolute("plugins.discovery.linearity-100-vs-10", "x", perPlugin[3] / perPlugin[2], Goal.valueBelow(1.5),
                "per-plugin time at 100 plugins over per-plugin time at 10 (1.0 = linear growth)"));
        for (int s = 1; s < SIZES.length; s++) {
            figures.add(Figure.absolute("plugins.discovery-" + SIZES[s] + ".heap-per-plugin", "KiB", (heap[s] - heap[0]) / SIZES[s] / 1024.0,
                    Goal.NONE, String.format(java.util.Locale.ROOT, "retained heap after GC with Kavach loaded: %.1f MiB vs %.1f MiB with no plugins",
                            heap[s] / Heap.MIB, heap[0] / Heap.MIB)));
        }
        FigureFile.write(resultFile, figures);
    }

    private static double timeLoad(Path dir) {
        long start = System.nanoTime();
        Kavach kavach = BenchKavach.load(Map.of("kavach.plugins.dir", dir.toString()));
        long end = System.nanoTime();
        kavach.close();
        return (end - start) / 1e6;
    }

    private static double retainedHeap(Path dir) {
        Samples samples = new Samples();
        for (int i = 0; i < 3; i++) {
            try (Kavach kavach = BenchKavach.load(Map.of("kavach.plugins.dir", dir.toString()))) {
                samples.add(Heap.usedAfterGc());
                kavach.settings(); // keep it reachable until measured
            }
        }
        return samples.median();
    }

    /** Every generated plugin must load and contribute its backend, or the figure would time failures. */
    private static void verify(Path dir, int size) {
        try (Kavach kavach = BenchKavach.load(Map.of("kavach.plugins.dir", dir.toString()))) {
            List<PluginReport> reports = kavach.plugins();
            long loaded = reports.stream().filter(r -> r.state() == PluginState.LOADED && r.backendIds().size() == 1).count();
            if (reports.size() != size || loaded != size) {
                throw new IllegalStateException("expected " + size + " generated plugins loaded from " + dir + ", got " + reports);
            }
        }
    }
}
