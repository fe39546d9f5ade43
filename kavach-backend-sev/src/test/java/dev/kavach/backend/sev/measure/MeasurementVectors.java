package dev.kavach.backend.sev.measure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rows of a measurement vectors file ({@code vectors.tsv}: tab-separated, UTF-8, a header naming the
 * columns). Columns are found by name, so a file with more columns (vcpu_sig, vcpu_family, vcpu_model,
 * vcpu_stepping) works too. File names are relative to the file's folder; {@code /dev/null} is an empty
 * file and {@code -} means none. A vcpu_type that is a number is a signature. {@code expected} is the hex
 * digest, or {@code error} where the reference refuses the inputs.
 *
 * <p>The vectors read are {@code src/test/resources/sev-snp-measure/vectors.tsv}, or the file named by the
 * environment variable {@code KAVACH_MEASURE_VECTORS}.
 */
public record MeasurementVectors(Path file, List<Row> rows) {
    public static final Path BUNDLED = Path.of("src/test/resources/sev-snp-measure");

    record Row(int line, Map<String, String> columns, Path dir) {
        String get(String name) {
            return columns.getOrDefault(name, "");
        }

        boolean given(String name) {
            String value = get(name).strip();
            return !value.isEmpty() && !value.equals("-");
        }

        Path ovmf() {
            return dir.resolve(get("ovmf"));
        }

        Optional<Path> file(String name) {
            return given(name) ? Optional.of(dir.resolve(get(name))) : Optional.empty();
        }

        int vcpus() {
            return Integer.parseInt(get("vcpus").strip());
        }

        /** The append line; with no kernel a placeholder means none. */
        Optional<String> append() {
            String append = get("append");
            if (file("kernel").isEmpty() && (append.isEmpty() || append.equals("-"))) {
                return Optional.empty();
            }
            return Optional.of(append);
        }

        boolean expectsError() {
            return get("expected").strip().equalsIgnoreCase("error");
        }

        String expected() {
            return get("expected").strip().toLowerCase(java.util.Locale.ROOT);
        }

        /** The same inputs as sev-snp-measure / kavach sev measure flags. */
        List<String> flags() {
            List<String> flags = new ArrayList<>(List.of("--ovmf", ovmf().toString(), "--vcpus", get("vcpus").strip()));
            file("kernel").ifPresent(k -> flags.addAll(List.of("--kernel", k.toString())));
            file("initrd").ifPresent(i -> flags.addAll(List.of("--initrd", i.toString())));
            append().ifPresent(a -> flags.addAll(List.of("--append", a)));
            for (String column : List.of("vcpu_family", "vcpu_model", "vcpu_stepping", "vcpu_sig")) {
                if (given(column)) {
                    flags.addAll(List.of("--" + column.replace('_', '-'), get(column).strip()));
                }
            }
            if (given("vcpu_type")) {
                String type = get("vcpu_type").strip();
                flags.addAll(List.of(Character.isDigit(type.charAt(0)) ? "--vcpu-sig" : "--vcpu-type", type));
            }
            if (given("guest_features")) {
                flags.addAll(List.of("--guest-features", get("guest_features").strip()));
            }
            return flags;
        }

        @Override
        public String toString() {
            return "line " + line + ": " + columns;
        }
    }

    static MeasurementVectors load() {
        String override = System.getenv("KAVACH_MEASURE_VECTORS");
        return load(override != null && !override.isBlank() ? Path.of(override) : BUNDLED.resolve("vectors.tsv"));
    }

    static MeasurementVectors load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String[] header = lines.get(0).split("\t", -1);
        List<Row> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] cells = line.split("\t", -1);
            Map<String, String> columns = new HashMap<>();
            for (int c = 0; c < header.length && c < cells.length; c++) {
                columns.put(header[c].strip(), cells[c]);
            }
            rows.add(new Row(i + 1, columns, file.toAbsolutePath().getParent()));
        }
        return new MeasurementVectors(file, List.copyOf(rows));
    }
}
