package dev.kavach.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What one run of the CLI sees of its process: environment, working directory and standard streams.
 * Passed in rather than read from {@link System}, so that tests run the CLI in-process.
 */
record Invocation(Map<String, String> environment, Path workingDirectory, InputStream in, PrintStream out, PrintStream err) {
    Invocation {
        environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        requireNonNull(workingDirectory, "workingDirectory is null");
        requireNonNull(in, "in is null");
        requireNonNull(out, "out is null");
        requireNonNull(err, "err is null");
    }

    static Invocation ofProcess(PrintStream out, PrintStream err) {
        return new Invocation(System.getenv(), Path.of("").toAbsolutePath(), System.in, out, err);
    }
}
