package dev.kavach.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Exactly what happened to one exec.
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
 */
public record ExecResult(
        int exitCode,
        StreamOutput stdout,
        StreamOutput stderr,
        Duration duration,
        Outcome outcome,
        String detail,
        List<Enforcement> enforcement,
        Attestation attestation) {

    public ExecResult {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        requireNonNull(duration, "duration is null");
        requireNonNull(outcome, "outcome is null");
        detail = detail == null ? "" : detail;
        enforcement = List.copyOf(requireNonNull(enforcement, "enforcement is null"));
    }

    /** A completed exec with no enforcement notes and no attestation. */
    public static ExecResult completed(int exitCode, StreamOutput stdout, StreamOutput stderr, Duration duration) {
        return new ExecResult(exitCode, stdout, stderr, duration, Outcome.COMPLETED, "", List.of(), null);
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
        return new ExecResult(exitCode, stdout, stderr, duration, outcome, detail, value, attestation);
    }

    public ExecResult withAttestation(Attestation value) {
        return new ExecResult(exitCode, stdout, stderr, duration, outcome, detail, enforcement, value);
    }
}
