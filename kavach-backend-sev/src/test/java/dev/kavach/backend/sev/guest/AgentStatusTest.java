package dev.kavach.backend.sev.guest;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The host believes only well-formed status lines: an out-of-range exit is no exit at all, never a result. */
@Tag("adversarial")
class AgentStatusTest {
    @Test
    void anExitOutsideZeroTo255OrNotANumberIsNoExit() {
        assertThat(AgentStatus.of(List.of("ready", "exit 4479")).exitCode()).isEmpty();
        assertThat(AgentStatus.of(List.of("exit -1")).exitCode()).isEmpty();
        assertThat(AgentStatus.of(List.of("exit 3x")).exitCode()).isEmpty();
        assertThat(AgentStatus.of(List.of("exit 255")).exitCode()).contains(255);
    }

    @Test
    void theFirstLineOfEachKindCountsAndErrorsAreSanitized() {
        AgentStatus status = AgentStatus.of(List.of("signal 9", "exit 137", "exit 0", "oom 2", "notexec 13", "error bad\u001b[2J"));

        assertThat(status.exitCode()).contains(137);
        assertThat(status.signal()).contains(9);
        assertThat(status.oomKills()).isEqualTo(2);
        assertThat(status.execErrno()).contains(13);
        assertThat(status.failure()).contains("bad\\x1b[2J");
        assertThat(AgentStatus.signalName(25)).contains("file size limit");
        assertThat(AgentStatus.of(List.of("signal 0", "signal 65")).signal()).isEqualTo(Optional.empty());
    }
}
