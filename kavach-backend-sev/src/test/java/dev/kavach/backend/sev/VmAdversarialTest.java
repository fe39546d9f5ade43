package dev.kavach.backend.sev;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A task that attacks the agent's report from inside the guest, under TCG. The task is hostile code: it
 * tries every file, port and log the agent once trusted. Each boot costs seconds here, so one boot carries
 * several attacks, each with an assertion of its own.
 */
@Tag("slow")
@Tag("adversarial")
class VmAdversarialTest {
    private static SandboxBackend backend;

    @BeforeAll
    static void createBackend() {
        backend = VmPrerequisites.tcgBackend();
    }

    @AfterAll
    static void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void theTaskIsAnUnprivilegedUserThatCannotForgeNotFoundOrAnExitStatus() {
        ExecRequest request = ExecRequest.shell("""
                id -u; id -g
                grep -E '^(Groups|CapEff|CapBnd|NoNewPrivs):' /proc/self/status
                touch /task/notfound 2>/dev/null && echo forged-notfound
                printf 4479 >/task/rc 2>/dev/null && echo forged-rc
                echo notfound >/run/kavach/launch 2>/dev/null && echo forged-launch
                for p in /dev/vport*; do echo 'exit 0' >"$p" && echo forged-port; done 2>/dev/null
                echo 0 >/sys/fs/cgroup/cgroup.procs 2>/dev/null && echo left-cgroup
                # a straggler that keeps trying after the task's main process has ended
                (sleep 1; printf 4479 >/task/rc; touch /task/notfound) 2>/dev/null &
                exit 3
                """);

        ExecResult result = backend.exec(request);

        assertThat(result.outcome()).as("touch /task/notfound must not turn the run into FAILED_TO_START").isEqualTo(Outcome.COMPLETED);
        assertThat(result.exitCode()).as("the task's own exit, not one written to /task/rc").isEqualTo(3);
        // (the kernel ends the empty Groups list with a space)
        assertThat(result.stdoutText().replace("Groups:\t \n", "Groups:\t\n")).isEqualTo("1000\n1000\nGroups:\t\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n");
    }

    @Test
    void aKernelLogThatClaimsOomAndAnExit137AreNotAMemoryKill() {
        ExecRequest request = ExecRequest.shell("""
                echo 'Out of memory: Killed process 1 (init) total-vm:1kB' >/dev/kmsg 2>/dev/null && echo wrote-kmsg
                echo oom-kill:constraint=CONSTRAINT_NONE >/dev/kmsg 2>/dev/null
                kill -9 $$
                """).withPolicy(SandboxPolicy.basic().withMemoryMiB(256));

        ExecResult result = backend.exec(request);

        assertThat(result.outcome()).as(result.detail()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.detail()).doesNotContain("memory").contains("killed by signal 9 (SIGKILL)");
        assertThat(result.exitCode()).as("128 + SIGKILL, in range").isEqualTo(137);
        assertThat(result.stdoutText()).as("/dev/kmsg is root's").isEmpty();
    }

    @Test
    void aTaskThatExits137ByItselfIsNeitherKilledNorSignalled() {
        ExecResult result = backend.exec(ExecRequest.shell("exit 137").withTimeout(Duration.ofSeconds(60)));

        assertThat(result.outcome()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.exitCode()).isEqualTo(137);
        assertThat(result.detail()).isEmpty();
    }
}
