package dev.kavach.backend.sev;

import dev.kavach.api.BackendContext;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileContent;
import dev.kavach.api.FileEntry;
import dev.kavach.api.FileInput;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.TransferLimitExceededException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One session guest under TCG, end to end: execs that share a working directory, files in and out over the
 * agent's ports, confinement of file operations, the guest-side timeout, output bounds, and a guest that stops
 * answering. One boot for all of it: each boot costs seconds here.
 */
@Tag("slow")
class VmSessionTest {
    private static final long TRANSFER_LIMIT = 1024 * 1024;

    @Test
    void aSessionGuestServesExecsAndFilesUntilItStopsAnswering() throws Exception {
        SandboxPolicy policy = SandboxPolicy.basic().withTransferLimitBytes(TRANSFER_LIMIT);
        try (VmBackend backend = (VmBackend) new VmBackendProvider().create(new BackendContext("vm", VmPrerequisites.tcgSettings(),
                VmPrerequisites.stateDir(), "0.1.0"));
             VmSession session = backend.openSession(policy, Duration.ofSeconds(5))) {
            // Execs share the working directory; streams, exit code, stdin and the default workdir are each the exec's own.
            ExecResult first = session.exec(ExecRequest.builder("/bin/sh", "-c", "echo kept > a.txt; echo out; echo err >&2; cat; pwd; exit 3")
                    .stdin("from stdin\n".getBytes(StandardCharsets.UTF_8)).policy(policy).build(), dev.kavach.api.OutputListener.NONE);
            assertThat(first.exitCode()).isEqualTo(3);
            assertThat(first.stdoutText()).isEqualTo("out\nfrom stdin\n/work\n");
            assertThat(first.stderrText()).isEqualTo("err\n");
            ExecResult second = session.exec(ExecRequest.builder("cat", "a.txt").policy(policy).build(), dev.kavach.api.OutputListener.NONE);
            assertThat(second.stdoutText()).as("the working directory persists across execs").isEqualTo("kept\n");

            // put with a mode and missing parents, then run what was put; get and list see what execs wrote.
            session.put(FileInput.of("bin/sub/hello.sh", "#!/bin/sh\necho hello-$1\n".getBytes(StandardCharsets.UTF_8)).withMode(0755));
            session.put(new FileInput("streamed.bin", FileContent.of(new ByteArrayInputStream(new byte[70_000])), 0600));
            ExecResult ran = session.exec(ExecRequest.builder("/bin/sh", "-c", "bin/sub/hello.sh there; stat -c '%a %u %s' streamed.bin")
                    .policy(policy).build(), dev.kavach.api.OutputListener.NONE);
            assertThat(ran.stdoutText()).isEqualTo("hello-there\n600 1000 70000\n");
            try (InputStream in = session.get("a.txt")) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("kept\n");
            }
            assertThat(session.list("")).extracting(FileEntry::name, FileEntry::type)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("a.txt", FileEntry.Type.FILE), org.assertj.core.groups.Tuple.tuple("bin", FileEntry.Type.DIRECTORY),
                            org.assertj.core.groups.Tuple.tuple("streamed.bin", FileEntry.Type.FILE));
            assertThat(session.list("bin/sub")).singleElement().satisfies(e -> {
                assertThat(e.name()).isEqualTo("hello.sh");
                assertThat(e.mode()).isEqualTo(0755);
                assertThat(e.size()).isEqualTo(24);
            });

            // Confinement: a link the task planted is never followed, a FIFO is never read, and a missing file is an error.
            session.exec(ExecRequest.builder("/bin/sh", "-c", "ln -s /etc etc; ln -s /kavach/agent agent; mkfifo pipe").policy(policy).build(),
                    dev.kavach.api.OutputListener.NONE);
            assertThatThrownBy(() -> session.put(FileInput.of("etc/passwd", new byte[] {1}))).isInstanceOf(SandboxException.class)
                    .hasMessageContaining("symbolic link");
            assertThatThrownBy(() -> session.get("agent")).isInstanceOf(SandboxException.class).hasMessageContaining("symbolic link");
            assertThatThrownBy(() -> session.get("pipe")).isInstanceOf(SandboxException.class).hasMessageContaining("not a regular file");
            assertThatThrownBy(() -> session.list("etc")).isInstanceOf(SandboxException.class).hasMessageContaining("symbolic link");
            assertThatThrownBy(() -> session.get("missing")).isInstanceOf(SandboxException.class).hasMessageContaining("not a regular file");
            session.put(FileInput.of("agent", "mine".getBytes(StandardCharsets.UTF_8)));
            ExecResult agent = session.exec(ExecRequest.builder("/bin/sh", "-c", "head -c 20 /kavach/agent; echo; cat agent; test -L agent || echo ' file'")
                    .policy(policy).build(), dev.kavach.api.OutputListener.NONE);
            assertThat(agent.stdoutText()).as("a put replaces the link itself, never what it points at").isEqualTo("# Kavach guest agent\nmine file\n");

            // The task plants links at every temporary name a put could use, and a link on the way to a work directory:
            // root in the guest must neither chown /kavach/run through them nor create a directory in /kavach.
            session.exec(ExecRequest.builder("/bin/sh", "-c", "for i in $(seq 1 300); do ln -s /kavach/run .kavach-put.$i; done; ln -s /kavach l")
                    .policy(policy).build(), dev.kavach.api.OutputListener.NONE);
            session.put(FileInput.of("planted.txt", "ok".getBytes(StandardCharsets.UTF_8)));
            try {
                session.exec(ExecRequest.builder("true").workdir("l/x").policy(policy).build(), dev.kavach.api.OutputListener.NONE);
            } catch (SandboxException refused) {
                // refused is right; what matters is what it left
            }
            ExecResult owners = session.exec(ExecRequest.builder("/bin/sh", "-c", "stat -c %u /kavach/run; cat planted.txt; test -e /kavach/x && echo made")
                    .policy(policy).build(), dev.kavach.api.OutputListener.NONE);
            assertThat(owners.stdoutText()).as("root's script stays root's, the put landed, nothing was made through the link").isEqualTo("0\nok");

            // Transfer limit: over it on the way in fails before anything crosses; on the way out, the session survives it.
            assertThatThrownBy(() -> session.put(FileInput.of("big", new byte[(int) TRANSFER_LIMIT + 1])))
                    .isInstanceOf(TransferLimitExceededException.class).hasMessageContaining("transfer limit");
            session.exec(ExecRequest.builder("/bin/sh", "-c", "head -c 1100000 /dev/zero > big.out").policy(policy).build(),
                    dev.kavach.api.OutputListener.NONE);
            assertThatThrownBy(() -> session.get("big.out")).isInstanceOf(TransferLimitExceededException.class);

            // Output bound per exec, and a timeout enforced in the guest that kills the task's whole tree.
            ExecResult bounded = session.exec(ExecRequest.builder("/bin/sh", "-c", "yes | head -c 100000").policy(policy.withOutputLimitBytes(1000))
                    .build(), dev.kavach.api.OutputListener.NONE);
            assertThat(bounded.stdout().bytes()).hasSize(1000);
            assertThat(bounded.stdout().droppedBytes()).isEqualTo(99_000);
            ExecResult hung = session.exec(ExecRequest.builder("/bin/sh", "-c", "sleep 300 & sleep 301; echo never").policy(policy)
                    .timeout(Duration.ofSeconds(2)).build(), dev.kavach.api.OutputListener.NONE);
            assertThat(hung.outcome()).isEqualTo(Outcome.TIMED_OUT);
            assertThat(hung.stdoutText()).isEmpty();
            ExecResult after = session.exec(ExecRequest.builder("/bin/sh", "-c", "ps -o args | grep -c '^sleep 30[01]'; cat a.txt").policy(policy)
                    .build(), dev.kavach.api.OutputListener.NONE);
            assertThat(after.stdoutText()).as("no process of the timed-out exec survives; the session goes on").isEqualTo("0\nkept\n");

            // A guest that stops answering (QEMU frozen) ends the session with the reason, and its QEMU is gone.
            long qemu = session.qemuPid();
            assertThat(new ProcessBuilder("kill", "-STOP", String.valueOf(qemu)).start().waitFor()).isZero();
            assertThatThrownBy(() -> session.exec(ExecRequest.builder("true").policy(policy).timeout(Duration.ofSeconds(1)).build(),
                    dev.kavach.api.OutputListener.NONE)).isInstanceOf(SandboxException.class).hasMessageContaining("did not answer the exec within");
            assertThat(session.health().healthy()).isFalse();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (QemuRunnerTest.running(qemu) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(QemuRunnerTest.running(qemu)).as("the frozen QEMU was stopped").isFalse();
            assertThatThrownBy(() -> session.list("")).isInstanceOf(SandboxException.class).hasMessageContaining("did not answer");
        }
    }
}
