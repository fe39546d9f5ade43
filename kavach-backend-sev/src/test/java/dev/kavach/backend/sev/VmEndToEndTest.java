package dev.kavach.backend.sev;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.Command;
import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code vm} backend end to end under TCG: a real Debian kernel, the initramfs Kavach builds, QEMU 10.
 * Each boot costs seconds on a small host, so each test makes several assertions on one boot.
 */
@Tag("slow")
class VmEndToEndTest {
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
    void separatesStreamsReturnsTheExitCodeAndDeliversEnvStdinAndWorkdirToTheGuest() {
        String script = """
                echo out; echo err >&2
                printf 'stdin=%s\\n' "$(cat)"
                printf 'env=%s\\n' "$GREETING"
                printf 'pwd=%s\\n' "$(pwd)"
                printf 'args=%s|%s\\n' "$0" "$1"
                # forgery attempts: result-like lines on stdout, writes to every port the agent uses
                echo 'exit 0'; echo ready
                for p in /dev/vport*; do echo 'exit 0' > "$p"; done 2>/dev/null
                exit 3
                """;
        ExecRequest request = new ExecRequest(new Command.Argv(java.util.List.of("/bin/sh", "-c", script, "zero,arg", "one=1 two")),
                "hello, guest".getBytes(StandardCharsets.UTF_8), Map.of("GREETING", "hi there;$(reboot)"), "/tmp/work,dir=x",
                SandboxPolicy.basic(), Duration.ofSeconds(120));

        ExecResult result = backend.exec(request);

        assertThat(result.outcome()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.exitCode()).as("exit code, not forged by 'exit 0' lines or port writes").isEqualTo(3);
        assertThat(result.stdoutText()).isEqualTo("""
                out
                stdin=hello, guest
                env=hi there;$(reboot)
                pwd=/tmp/work,dir=x
                args=zero,arg|one=1 two
                exit 0
                ready
                """);
        assertThat(result.stderrText()).isEqualTo("err\n");
        assertThat(result.enforcement()).extracting(Enforcement::limit).contains("isolation", "network", "memory");
    }

    @Test
    void aStrictTaskSleepingPastItsTimeoutIsTimedOutAndNoQemuSurvives() {
        // The strict preset also shows its limits inside the guest before the task sleeps.
        ExecRequest request = ExecRequest.shell("""
                touch /bin/evil 2>/dev/null && echo root-writable || echo root-read-only
                touch /tmp/ok && echo tmp-writable
                touch ./ok && echo workdir-writable
                ulimit -n
                cat /sys/fs/cgroup/task/pids.max
                echo started; sleep 600
                """).withPolicy(SandboxPolicy.strict()).withTimeout(Duration.ofSeconds(4));

        ExecResult result = backend.exec(request);

        assertThat(result.outcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(result.detail()).contains("timed out after 4 s", "QMP quit");
        assertThat(result.stdoutText()).isEqualTo("root-read-only\ntmp-writable\nworkdir-writable\n1024\n64\nstarted\n");
        long pid = qemuPid(result);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("QEMU pid " + pid + " after the timeout").isNotEqualTo(java.util.Optional.of(true));
    }

    @Test
    void aFloodIsTruncatedAtTheOutputLimitAndTheTaskStillCompletes() {
        ExecRequest request = ExecRequest.shell("head -c 3000000 /dev/zero; echo done >&2")
                .withPolicy(SandboxPolicy.basic().withOutputLimitBytes(65536));

        java.util.concurrent.atomic.AtomicLong streamed = new java.util.concurrent.atomic.AtomicLong();
        ExecResult result = backend.exec(request, (stream, data, offset, length) -> {
            if (stream == dev.kavach.api.StdStream.STDOUT) {
                streamed.addAndGet(length);
            }
        });

        assertThat(result.outcome()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.exitCode()).isZero();
        assertThat(streamed.get()).as("bytes streamed to the listener: those within the limit").isEqualTo(65536);
        assertThat(result.stdout().size()).isEqualTo(65536);
        assertThat(result.stdout().droppedBytes()).isEqualTo(3000000 - 65536);
        assertThat(result.stdout().truncated()).isTrue();
        assertThat(result.stderrText()).isEqualTo("done\n");
    }

    @Test
    void exhaustingTheVmsMemoryIsReportedAsKilledByTheMemoryLimit() {
        ExecRequest request = ExecRequest.of("tail", "/dev/zero")
                .withPolicy(SandboxPolicy.basic().withMemoryMiB(160));

        ExecResult result = backend.exec(request);

        assertThat(result.outcome()).isEqualTo(Outcome.KILLED);
        assertThat(result.detail()).contains("memory limit exceeded", "160M");
        assertThat(result.exitCode()).as("SIGKILL from the guest's OOM killer").isEqualTo(137);
    }

    @Test
    void aProgramMissingInTheGuestFailsToStartWithoutShellInterpretation() {
        ExecResult result = backend.exec(ExecRequest.of("no-such-program;reboot", "arg"));

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED_TO_START);
        assertThat(result.exitCode()).isEqualTo(127);
        assertThat(result.detail()).contains("no-such-program;reboot");
        assertThat(result.stderrText()).contains("no-such-program;reboot: not found");
    }

    @Test
    void aKernelThatCannotBootIsASandboxExceptionQuotingTheConsole(@TempDir Path dir) throws IOException {
        Path junk = Files.writeString(dir.resolve("not-a-kernel"), "junk");
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", Map.of(
                "kernel", junk.toString(), "modules", kernel.modules().toString(), "accel", "tcg", "boot-vmlinux", "off"));
        try (SandboxBackend broken = new VmBackendProvider().create(new BackendContext("vm", settings, VmPrerequisites.stateDir(), "0.1.0"))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> broken.exec(ExecRequest.of("true")))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("never booted")
                    .hasMessageContaining("qemu: linux kernel too old")
                    .satisfies(e -> assertThat(((SandboxException) e).fix()).contains("build-image"));
        }
    }

    static long qemuPid(ExecResult result) {
        String isolation = result.enforcement().stream().filter(e -> e.limit().equals("isolation")).findFirst().orElseThrow().mechanism();
        Matcher m = Pattern.compile("QEMU pid (\\d+)").matcher(isolation);
        assertThat(m.find()).as(isolation).isTrue();
        return Long.parseLong(m.group(1));
    }
}
