package dev.kavach.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The baselines: a command started with {@link ProcessBuilder} directly, and the bubblewrap part of the
 * process backend's own command line, so that a baseline runs exactly the flags Kavach uses.
 */
final class DirectCommands {
    private DirectCommands() {
    }

    /**
     * Starts {@code argv} with stderr merged into stdout (one pipe, so draining it to its end can never
     * deadlock on the other), drains it and waits: the cheapest correct way for a direct caller.
     *
     * @return the exit status
     */
    static int run(List<String> argv) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        process.getOutputStream().close();
        try (InputStream out = process.getInputStream()) {
            out.transferTo(OutputStream.nullOutputStream());
        }
        return process.waitFor();
    }

    /**
     * The {@code bwrap ...} part of a process-backend command line (from {@code Sandbox.commandLine}): what
     * follows Kavach's launcher step, with the placeholder scratch directory replaced by {@code scratch}.
     * {@code --seccomp 3} and {@code --json-status-fd 5} are dropped: a direct {@link ProcessBuilder} cannot hand
     * bubblewrap descriptors above 2 (that is why the backend has a launcher step); loading the filter and
     * writing the status cost microseconds.
     */
    static List<String> bwrapPart(List<String> commandLine, Path scratch) {
        int start = bwrapIndex(commandLine);
        List<String> argv = new ArrayList<>();
        List<String> rest = commandLine.subList(start, commandLine.size());
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            if ((arg.equals("--seccomp") || arg.equals("--json-status-fd")) && i + 1 < rest.size()) {
                i++;
                continue;
            }
            argv.add(arg.endsWith("<scratch>") ? scratch.toString() : arg);
        }
        return argv;
    }

    /**
     * The programs the backend runs before bubblewrap (its launcher step and wrappers), which the bwrap
     * baseline leaves out: the arguments before {@code bwrap} that are absolute paths of executables.
     */
    static List<String> wrappers(List<String> commandLine) {
        return commandLine.subList(0, bwrapIndex(commandLine)).stream()
                .filter(arg -> arg.startsWith("/") && !arg.contains("<") && Files.isRegularFile(Path.of(arg)) && Files.isExecutable(Path.of(arg)))
                .toList();
    }

    private static int bwrapIndex(List<String> commandLine) {
        for (int i = 0; i < commandLine.size(); i++) {
            String arg = commandLine.get(i);
            if (arg.equals("bwrap") || arg.endsWith("/bwrap")) {
                return i;
            }
        }
        throw new IllegalStateException("the process backend's command line runs no bwrap (is bubblewrap installed?): " + commandLine);
    }
}
