package dev.kavach.backend.sev.qemu;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** A complete QEMU command line: the binary, then every argument, exactly as passed to {@code execve}. */
public record QemuArgs(List<String> argv) {
    public QemuArgs {
        argv = List.copyOf(requireNonNull(argv, "argv is null"));
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv is empty");
        }
    }

    /** Every value given to {@code flag}, in order, e.g. all {@code -object} option lists. */
    public List<String> values(String flag) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i + 1 < argv.size(); i++) {
            if (argv.get(i).equals(flag)) {
                values.add(argv.get(i + 1));
            }
        }
        return List.copyOf(values);
    }

    /** The single value of {@code flag}, if given. */
    public Optional<String> value(String flag) {
        List<String> values = values(flag);
        return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The option list of {@code flag} whose first element is {@code type}, e.g. {@code ("-object", "sev-snp-guest")}. */
    public Optional<String> optionList(String flag, String type) {
        return values(flag).stream().filter(v -> v.equals(type) || v.startsWith(type + ",")).findFirst();
    }

    /** The command line as one shell-quoted string, for humans and scripts ({@code --dry-run}). */
    public String toShellString() {
        StringBuilder text = new StringBuilder();
        for (String arg : argv) {
            if (!text.isEmpty()) {
                text.append(' ');
            }
            text.append(arg.matches("[A-Za-z0-9_./=:,+@%-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return text.toString();
    }
}
