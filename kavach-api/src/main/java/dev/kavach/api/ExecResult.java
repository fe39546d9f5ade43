package dev.kavach.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Exactly what happened to one exec.
 *
 * <p>Backends build results with {@link Builder}: {@code ExecResult.Builder.completed(exitCode)},
 * {@code .timedOut()}, {@code .killed(detail)} or {@code .failedToStart(status, reason)}, then the streams,
 * duration and, optionally, enforcement and attestation. The canonical constructor is deprecated for
 * plugins: components may be added to this record, and only the builder keeps compiled plugins working
 * when they are (the constructor of 0.1.0 stays as a deprecated overload then).
 *
 * <h2>The outcome rules</h2>
 * <ul>
 * <li>{@link Outcome#COMPLETED}: the program ran and ended by itself; {@code exitCode} is its status, and
 *     {@code 128 + n} when signal {@code n} ended it. A program's own exit 126 or 127 (a shell that did
 *     not find a command it runs, say) is {@code COMPLETED} with that code.</li>
 * <li>{@link Outcome#FAILED_TO_START}: the sandbox could not start the program; nothing of it ran.
 *     {@code exitCode} is {@code 127} when the program was not found and {@code 126} when it was found but
 *     cannot be executed (a directory, no execute permission), as a shell reports them, and
 *     {@code detail} says which; stdout is empty. Callers tell this from a program's own 126 or 127 by the
 *     outcome, never by the code.</li>
 * <li>{@link Outcome#TIMED_OUT}: the wall-clock limit expired and the backend stopped the whole process
 *     tree (or VM); {@code exitCode} is what the stopped process reported, usually {@code 137}.</li>
 * <li>{@link Outcome#KILLED}: a limit other than time stopped it (memory, pids, file size);
 *     {@code detail} names the limit.</li>
 * </ul>
 *
 * @param exitCode    the command's exit status; {@code 128 + n} when signal {@code n} ended it; for
 *                    {@link Outcome#TIMED_OUT} whatever the stopped process reported (usually 137)
 * @param stdout      standard output, bounded
 * @param stderr      standard error, bounded
 * @param duration    wall-clock time from start to the end of the command (and its output)
 * @param outcome     how it ended
 * @param detail      a human-readable reason when the outcome is not {@link Outcome#COMPLETED}
 *                    (e.g. "memory limit 64 MiB exceeded: killed by the OOM killer"); empty otherwise
 * @param enforcement which mechanism enforced each part of the policy
 * @param attestation verified hardware evidence, or {@code null} when the backend has none
 * @param files       the files collected after the command by {@link ExecRequest#collect()}, sorted by path;
 *                    empty when nothing was asked for or nothing matched
 */
public record ExecResult(
        int exitCode,
        StreamOutput stdout,
        StreamOutput stderr,
        Duration duration,
        Outcome outcome,
        String detail,
        List<Enforcement> enforcement,
        Attestation attestation,
        List<CollectedFile> files) {

    /**
     * The canonical constructor.
     *
     * @deprecated build results with {@link Builder}; this constructor changes whenever a component is
     *             added (the old one then stays as a deprecated overload, so compiled plugins keep linking).
     */
    @Deprecated(since = "0.2.0")
    public ExecResult {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        requireNonNull(duration, "duration is null");
        requireNonNull(outcome, "outcome is null");
        detail = detail == null ? "" : detail;
        enforcement = List.copyOf(requireNonNull(enforcement, "enforcement is null"));
        files = files == null ? List.of() : files.stream().sorted(java.util.Comparator.comparing(CollectedFile::path)).toList();
    }

    /**
     * The canonical constructor before collected files.
     *
     * @deprecated build results with {@link Builder}; kept so that compiled plugins keep linking.
     */
    @Deprecated(since = "0.3.0")
    public ExecResult(int exitCode, StreamOutput stdout, StreamOutput stderr, Duration duration, Outcome outcome, String detail,
                      List<Enforcement> enforcement, Attestation attestation) {
        this(exitCode, stdout, stderr, duration, outcome, detail, enforcement, attestation, List.of());
    }

    /** A completed exec with no enforcement notes and no attestation. */
    public static ExecResult completed(int exitCode, StreamOutput stdout, StreamOutput stderr, Duration duration) {
        return Builder.completed(exitCode).stdout(stdout).stderr(stderr).duration(duration).build();
    }

    /** A builder holding every component of this result, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder(outcome, exitCode).stdout(stdout).stderr(stderr).duration(duration).detail(detail)
                .enforcement(enforcement).attestation(attestation).files(files);
    }

    public String stdoutText() {
        return stdout.text();
    }

    public String stderrText() {
        return stderr.text();
    }

    public boolean timedOut() {
        return outcome == Outcome.TIMED_OUT;
    }

    /** Whether either stream was cut at the output limit. */
    public boolean truncated() {
        return stdout.truncated() || stderr.truncated();
    }

    /** True when the command completed with exit status 0. */
    public boolean succeeded() {
        return outcome == Outcome.COMPLETED && exitCode == 0;
    }

    public Optional<Attestation> attestationOptional() {
        return Optional.ofNullable(attestation);
    }

    public ExecResult withEnforcement(List<Enforcement> value) {
        return toBuilder().enforcement(value).build();
    }

    /** The same result with these collected files. */
    public ExecResult withFiles(List<CollectedFile> value) {
        return toBuilder().files(value).build();
    }

    /** The collected file at {@code path}, if one was collected. */
    public Optional<CollectedFile> file(String path) {
        String normal = SandboxPaths.normalizeFile(path, "path");
        return files.stream().filter(f -> f.path().equals(normal)).findFirst();
    }

    public ExecResult withAttestation(Attestation value) {
        return toBuilder().attestation(value).build();
    }

    /**
     * Builds an {@link ExecResult}. Start from the outcome's factory, which asks for what that outcome
     * needs; everything else has a default: empty streams, zero duration, no detail, no enforcement notes,
     * no attestation. Not thread-safe.
     */
    public static final class Builder {
        private final Outcome outcome;
        private int exitCode;
        private StreamOutput stdout = StreamOutput.EMPTY;
        private StreamOutput stderr = StreamOutput.EMPTY;
        private Duration duration = Duration.ZERO;
        private String detail = "";
        private List<Enforcement> enforcement = List.of();
        private Attestation attestation;
        private List<CollectedFile> files = List.of();

        private Builder(Outcome outcome, int exitCode) {
            this.outcome = requireNonNull(outcome, "outcome is null");
            this.exitCode = exitCode;
        }

        /** The program ran and ended by itself with {@code exitCode} ({@code 128 + n} for signal {@code n}). */
        public static Builder completed(int exitCode) {
            return new Builder(Outcome.COMPLETED, exitCode);
        }

        /**
         * The wall-clock limit expired and the whole tree was stopped. The exit code defaults to 137 (SIGKILL);
         * set what the stopped process really reported with {@link #exitCode(int)}.
         */
        public static Builder timedOut() {
            return new Builder(Outcome.TIMED_OUT, 128 + 9);
        }

        /**
         * A limit other than time stopped the command. The exit code defaults to 137 (SIGKILL).
         *
         * @param detail which limit, e.g. {@code "memory limit 64 MiB exceeded: killed by the OOM killer"}
         */
        public static Builder killed(String detail) {
            return new Builder(Outcome.KILLED, 128 + 9).detail(requireNonEmpty(detail, "a killed result names the limit that killed it"));
        }

        /**
         * The sandbox could not start the program. Also writes {@code "kavach: " + reason} to stderr, as a
         * shell would report it; call {@link #stderr} afterwards to replace that.
         *
         * @param status 127 when the program was not found, 126 when it cannot be executed
         * @param reason why, e.g. {@code "frobnicate: command not found (searched PATH=/usr/bin:/bin)"}
         */
        public static Builder failedToStart(int status, String reason) {
            if (status != 126 && status != 127) {
                throw new IllegalArgumentException("a failed start has exit status 127 (not found) or 126 (not executable), got " + status);
            }
            requireNonEmpty(reason, "a failed start says why");
            return new Builder(Outcome.FAILED_TO_START, status).detail(reason)
                    .stderr(new StreamOutput(("kavach: " + reason + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), 0));
        }

        public Builder exitCode(int value) {
            this.exitCode = value;
            return this;
        }

        public Builder stdout(StreamOutput value) {
            this.stdout = requireNonNull(value, "stdout is null");
            return this;
        }

        public Builder stderr(StreamOutput value) {
            this.stderr = requireNonNull(value, "stderr is null");
            return this;
        }

        public Builder duration(Duration value) {
            requireNonNull(value, "duration is null");
            if (value.isNegative()) {
                throw new IllegalArgumentException("duration must be >= 0, got " + value);
            }
            this.duration = value;
            return this;
        }

        /** A human-readable reason; replaces the one set before. {@code null} means none. */
        public Builder detail(String value) {
            this.detail = value == null ? "" : value;
            return this;
        }

        /** Appends a reason to the detail, separated by {@code "; "}. */
        public Builder addDetail(String value) {
            requireNonNull(value, "detail is null");
            this.detail = detail.isEmpty() ? value : detail + "; " + value;
            return this;
        }

        /** Which mechanism enforced each part of the policy; replaces the list set before. */
        public Builder enforcement(List<Enforcement> value) {
            this.enforcement = List.copyOf(requireNonNull(value, "enforcement is null"));
            return this;
        }

        /** Appends notes to the enforcement list. */
        public Builder addEnforcement(Enforcement... notes) {
            List<Enforcement> merged = new java.util.ArrayList<>(enforcement);
            for (Enforcement note : notes) {
                merged.add(requireNonNull(note, "enforcement note is null"));
            }
            this.enforcement = List.copyOf(merged);
            return this;
        }

        /** Verified hardware evidence; {@code null} for none (the default). */
        public Builder attestation(Attestation value) {
            this.attestation = value;
            return this;
        }

        /** The files collected after the command; replaces the list set before. */
        public Builder files(List<CollectedFile> value) {
            this.files = List.copyOf(requireNonNull(value, "files is null"));
            return this;
        }

        @SuppressWarnings("deprecation") // the one place that may call the canonical constructor
        public ExecResult build() {
            return new ExecResult(exitCode, stdout, stderr, duration, outcome, detail, enforcement, attestation, files);
        }

        private static String requireNonEmpty(String value, String what) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(what + ": the text is empty");
            }
            return value;
        }
    }
}
