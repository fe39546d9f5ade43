package dev.kavach.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

import dev.kavach.api.Progress;

import static java.util.Objects.requireNonNull;

/**
 * What one run of the CLI sees of its process: environment, working directory, standard streams, and where
 * long work shows its progress (on a terminal only). Passed in rather than read from {@link System}, so
 * that tests run the CLI in-process.
 */
record Invocation(Map<String, String> environment, Path workingDirectory, InputStream in, PrintStream out, PrintStream err,
                  Progress progress) {
    Invocation {
        environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        requireNonNull(workingDirectory, "workingDirectory is null");
        requireNonNull(in, "in is null");
        requireNonNull(out, "out is null");
        requireNonNull(err, "err is null");
        requireNonNull(progress, "progress is null");
    }

    /** An invocation that shows no progress (tests). */
    Invocation(Map<String, String> environment, Path workingDirectory, InputStream in, PrintStream out, PrintStream err) {
        this(environment, workingDirectory, in, out, err, Progress.none());
    }

    static Invocation ofProcess(PrintStream out, PrintStream err) {
        return new Invocation(System.getenv(), Path.of("").toAbsolutePath(), System.in, out, err, TerminalProgress.forStderr(err));
    }
}
