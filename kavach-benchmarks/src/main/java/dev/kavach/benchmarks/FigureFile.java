package dev.kavach.benchmarks;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The figures one figure program measured, handed to the suite through a properties file: each figure
 * program runs in a JVM of its own (clean heap, its own file descriptors and threads, module path).
 */
final class FigureFile {
    private FigureFile() {
    }

    static void write(Path file, List<Figure> figures) {
        Properties properties = new Properties();
        properties.setProperty("count", Integer.toString(figures.size()));
        for (int i = 0; i < figures.size(); i++) {
            figures.get(i).store(properties, "figure." + i + ".");
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(out, "Kavach benchmark figures");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static List<Figure> read(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        }
        int count = Integer.parseInt(properties.getProperty("count", "0"));
        List<Figure> figures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            figures.add(Figure.load(properties, "figure." + i + "."));
        }
        return figures;
    }
}
