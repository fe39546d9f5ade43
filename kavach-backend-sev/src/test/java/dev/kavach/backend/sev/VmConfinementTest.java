package dev.kavach.backend.sev;

import dev.kavach.backend.sev.qemu.QemuLauncher;
import dev.kavach.backend.sev.qemu.QemuUidLease;

import dev.kavach.api.BackendContext;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.StdStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * QEMU itself as the attack surface, under TCG: what a guest that escaped device emulation would find
 * (QEMU's uid, capabilities, seccomp) and what a dead or impatient caller leaves behind (nothing).
 */
@Tag("slow")
@Tag("adversarial")
class VmConfinementTest {
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
    void duringARunQemuIsNotRootHasNoCapabilitiesRunsUnderSeccompAndDiesWithItsParent() {
        AtomicReference<String> status = new AtomicReference<>("QEMU not found while the task ran");
        ExecRequest request = ExecRequest.shell("echo started; sleep 3").withTimeout(Duration.ofSeconds(120));

        ExecResult result = backend.exec(request, (stream, data, offset, length) -> {
            if (stream == StdStream.STDOUT && status.get().startsWith("QEMU not found")) {
                ourQemu().ifPresent(qemu -> status.set(read(Path.of("/proc", String.valueOf(qemu.pid()), "status"))));
            }
        });

        assertThat(result.outcome()).isEqualTo(Outcome.COMPLETED);
        String text = status.get();
        assertThat(field(text, "Uid")).as(text).doesNotStartWith("0\t").doesNotContain("\t0\t");
        if (QemuLauncher.runningAsRoot()) {
            assertThat(Integer.parseInt(field(text, "Uid").split("\t")[0])).isBetween(QemuUidLease.FIRST, QemuUidLease.FIRST + QemuUidLease.COUNT - 1);
            assertThat(field(text, "Groups").trim()).as("no supplementary groups (no /dev/kvm here)").isEmpty();
        }
        assertThat(field(text, "CapEff")).isEqualTo("0000000000000000");
        assertThat(field(text, "CapBnd")).as("bounding set").isEqualTo(QemuLauncher.runningAsRoot() ? "0000000000000000" : field(text, "CapBnd"));
        assertThat(field(text, "Seccomp")).as("QEMU's -sandbox filter").isEqualTo("2");
        assertThat(result.enforcement()).anySatisfy(e -> assertThat(e.mechanism()).contains("seccomp sandbox", "dies with this JVM"));
    }

    @Test
    void timeoutsOfAnyLengthLeaveNoQemuAndNoDirectory() {
        for (Duration timeout : List.of(Duration.ofNanos(1), Duration.ofMillis(1), Duration.ofMillis(300), Duration.ofSeconds(2))) {
            ExecResult result = backend.exec(ExecRequest.shell("sleep 60").withTimeout(timeout));

            assertThat(result.outcome()).as("timeout " + timeout).isEqualTo(Outcome.TIMED_OUT);
            long pid = VmEndToEndTest.qemuPid(result);
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("QEMU pid " + pid + " after a " + timeout + " timeout").isEmpty();
            assertThat(ourDirectories()).as("VM directories of this JVM after a " + timeout + " timeout").isEmpty();
        }
    }

    @Test
    void aJvmKilledWithSigkillTakesItsQemuAlongAndItsDirectoryIsSweptOnTheNextStart() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> classpath = new ArrayList<>();
        for (String property : List.of("java.class.path", "jdk.module.path")) {
            String value = System.getProperty(property);
            if (value != null && !value.isBlank()) {
                classpath.add(value);
            }
        }
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        Process child = new ProcessBuilder(java, "-cp", String.join(File.pathSeparator, classpath), VmExecChild.class.getName(),
                kernel.kernel().toString(), kernel.modules().toString(), VmPrerequisites.stateDir().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long qemu;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null && !line.startsWith("qemu ")) {
                // the child's progress
            }
            assertThat(line).as("the child JVM's report of its QEMU").isNotNull();
            qemu = Long.parseLong(line.substring(5).trim());
            assertThat(ProcessHandle.of(qemu).filter(ProcessHandle::isAlive)).as("QEMU runs before the kill").isPresent();
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (QemuRunnerTest.running(qemu) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(QemuRunnerTest.running(qemu)).as("QEMU pid " + qemu + " after its JVM was killed").isFalse();
        // (another Kavach starting on this host meanwhile may have swept it already: that is the point)
        assertThat(directoriesOf(child.pid())).as("the killed JVM's VM directory, before the next start").hasSizeLessThanOrEqualTo(1);

        new VmBackendProvider().create(new BackendContext("vm", VmPrerequisites.tcgSettings(), VmPrerequisites.stateDir(), "0.1.0")).close();

        assertThat(directoriesOf(child.pid())).as("swept on the next start").isEmpty();
    }

    private static Optional<ProcessHandle> ourQemu() {
        return ProcessHandle.current().children().filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("-sandbox")).orElse(false))
                .findFirst();
    }

    private static List<Path> ourDirectories() {
        return directoriesOf(ProcessHandle.current().pid());
    }

    private static List<Path> directoriesOf(long pid) {
        try (Stream<Path> dirs = Files.list(VmBackends.socketRoot())) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("kavach-vm-"))
                    .filter(d -> read(d.resolve(VmWorkDirs.OWNER)).startsWith(pid + " "))
                    .toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static String field(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name + ":")).findFirst().map(l -> l.substring(name.length() + 1).trim()).orElse("?");
    }
}
