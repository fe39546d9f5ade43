package dev.kavach.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The builders plugins construct values with: defaults, every component, and the checks. */
class ValueBuildersTest {
    @Test
    void eachOutcomeHasItsFactoryAndOptionalPartsDefault() {
        ExecResult completed = ExecResult.Builder.completed(3).stdout(new StreamOutput("o".getBytes(), 2)).duration(Duration.ofMillis(7)).build();
        assertEquals(Outcome.COMPLETED, completed.outcome());
        assertEquals(3, completed.exitCode());
        assertEquals("o", completed.stdoutText());
        assertEquals(StreamOutput.EMPTY, completed.stderr());
        assertEquals(List.of(), completed.enforcement());
        assertNull(completed.attestation());
        assertEquals("", completed.detail());

        ExecResult timedOut = ExecResult.Builder.timedOut().detail("after 1s").build();
        assertEquals(Outcome.TIMED_OUT, timedOut.outcome());
        assertEquals(137, timedOut.exitCode());

        ExecResult killed = ExecResult.Builder.killed("file size limit exceeded").exitCode(153).build();
        assertEquals(Outcome.KILLED, killed.outcome());
        assertEquals(153, killed.exitCode());
        assertThrows(IllegalArgumentException.class, () -> ExecResult.Builder.killed(" "));
    }

    @Test
    void aFailedStartIs126Or127AndSaysWhyOnStderr() {
        ExecResult notFound = ExecResult.Builder.failedToStart(127, "nope: command not found").build();
        assertEquals(Outcome.FAILED_TO_START, notFound.outcome());
        assertEquals(127, notFound.exitCode());
        assertEquals("kavach: nope: command not found\n", notFound.stderrText());
        assertEquals("nope: command not found", notFound.detail());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> ExecResult.Builder.failedToStart(1, "x"));
        assertTrue(other.getMessage().contains("127 (not found) or 126 (not executable)"), other.getMessage());
    }

    @Test
    void toBuilderKeepsEveryComponent() {
        Attestation attestation = new Attestation("test", true, Map.of(), List.of());
        ExecResult result = ExecResult.Builder.killed("memory").exitCode(9).stdout(new StreamOutput("a".getBytes(), 0))
                .stderr(new StreamOutput("b".getBytes(), 1)).duration(Duration.ofSeconds(1))
                .enforcement(List.of(Enforcement.of(Enforcement.MEMORY, "cgroup"))).attestation(attestation).build();
        assertEquals(result, result.toBuilder().build());
        assertEquals("memory; and more", result.toBuilder().addDetail("and more").build().detail());
    }

    @Test
    void policyBuilderStartsFromAPresetAndChecksOnBuild() {
        SandboxPolicy policy = SandboxPolicy.strict().toBuilder().memoryMiB(64).network(true).build();
        assertEquals(SandboxPolicy.strict().withMemoryMiB(64).withNetwork(true), policy);
        assertEquals(SandboxPolicy.basic(), SandboxPolicy.builder().build());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> SandboxPolicy.builder().maxPids(-1).build());
        assertTrue(negative.getMessage().startsWith("maxPids"), negative.getMessage());
    }

    @Test
    void requestBuilderMatchesTheShortcutsAndChecksOnBuild() {
        ExecRequest built = ExecRequest.builder("cat").stdin("in".getBytes()).env("A", "1").workdir("/srv")
                .policy(SandboxPolicy.minimal()).timeout(Duration.ofSeconds(3)).build();
        assertEquals(ExecRequest.of("cat").withStdin("in".getBytes()).withEnv("A", "1").withWorkdir("/srv")
                .withPolicy(SandboxPolicy.minimal()).withTimeout(Duration.ofSeconds(3)), built);
        assertEquals(built, built.toBuilder().build());
        assertArrayEquals("in".getBytes(), built.stdin());
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.builder("x").env("A=B", "1").build());
        assertEquals(ExecRequest.shell("echo hi"), ExecRequest.builder(new Command.ShellScript("echo hi")).build());
    }

    @Test
    void enforcementNamesAreTheOnesResultsAlreadyUse() {
        assertEquals(List.of("cpu", "memory", "pids", "network", "filesystem", "seccomp", "output", "timeout", "open-files", "file-size",
                "namespaces", "isolation", "user", "hygiene"), Enforcement.LIMITS);
    }
}
