package dev.kavach.backend.kubernetes;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The exit status read back from an exec stream's status channel, as the API server sends it. */
class ExecStatusTest {
    @Test
    void readsSuccessNonZeroExitAndNothingElse() {
        assertEquals(Optional.of(0), ExecStatus.exitCode("{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Success\"}"));
        assertEquals(Optional.of(3), ExecStatus.exitCode("{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\","
                + "\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}"));
        assertEquals(Optional.empty(), ExecStatus.exitCode("{\"kind\":\"Status\",\"status\":\"Failure\","
                + "\"message\":\"exec: nope: executable file not found in $PATH\"}"));
        assertEquals(Optional.empty(), ExecStatus.exitCode(""));
        assertEquals(Optional.empty(), ExecStatus.exitCode("not json"));
    }
}
