package dev.kavach.backend.sev;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The warm pool under TCG: use-once guests, replacements, files on a single exec, and guests that go with Kavach or its JVM. */
@Tag("slow")
class VmPoolTest {
    private static final Duration BOOT = Duration.ofMinutes(3);

    @Test
    void aPooledGuestServesOneExecAndIsReplacedAndClosingStopsThemAll() throws Exception {
        Map<String, String> values = new HashMap<>(settingsOf(VmPrerequisites.tcgSettings()));
        values.put("pool.size", "1");
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", values);
        SandboxPolicy policy = SandboxPolicy.minimal();
        VmBackend backend = (VmBackend) new VmBackendProvider().create(new BackendContext("vm", settings, VmPrerequisites.stateDir(), "0.1.0"));
        try {
            backend.start();
            VmPool pool = backend.pool().orElseThrow();
            assertThat(pool.awaitReady(1, BOOT)).as("a warm guest within " + BOOT).isTrue();
            long first = pool.readyPids().get(0);

            ExecResult used = backend.exec(ExecRequest.builder("/bin/sh", "-c", "echo secret > left-behind; echo $$; cat /proc/uptime")
                    .policy(policy).build());
            assertThat(used.exitCode()).isZero();
            assertThat(used.enforcement().toString()).as("served by the warm guest").contains("QEMU pid " + first);
            awaitGone(first, "the warm guest after its one exec");
            assertThat(pool.awaitReady(1, BOOT)).as("a replacement booted in the background").isTrue();
            long second = pool.readyPids().get(0);
            assertThat(second).isNotEqualTo(first);

            // Files in and out of a single exec, on the next warm guest: nothing of the first exec is there.
            ExecResult files = backend.exec(ExecRequest.builder("/bin/sh", "-c", "ls; mkdir out; tr a-z A-Z < in.txt > out/copy.txt; echo x > out/skip.log")
                    .file("in.txt", "hello".getBytes(StandardCharsets.UTF_8)).collect("out/*.txt").policy(policy).build());
            assertThat(files.enforcement().toString()).contains("QEMU pid " + second);
            assertThat(files.stdoutText()).isEqualTo("in.txt\n");
            assertThat(files.files()).singleElement().satisfies(f -> {
                assertThat(f.path()).isEqualTo("out/copy.txt");
                assertThat(new String(f.content(), StandardCharsets.UTF_8)).isEqualTo("HELLO");
            });

            // A policy of another shape finds no warm guest: it boots its own, and the pool turns to that shape.
            ExecResult other = backend.exec(ExecRequest.builder("true").policy(policy.withMemoryMiB(256)).build());
            assertThat(other.exitCode()).isZero();
            assertThat(pool.awaitReady(1, BOOT)).isTrue();
            long third = pool.readyPids().get(0);
            backend.close();
            awaitGone(third, "the warm guest after close");
            awaitGone(second, "the second guest");
        } finally {
            backend.close();
        }
    }

    @Test
    void warmGuestsDieWithTheirJvmEvenAfterSigkill() throws Exception {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        VmPrerequisites.busybox();
        VmPrerequisites.qemu();
        Process child = VmPrerequisites.childJvm(VmPoolChild.class, kernel.kernel().toString(), kernel.modules().toString(),
                VmPrerequisites.stateDir().toString());
        List<Long> qemus = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null && !line.equals("ready")) {
                if (line.startsWith("qemu ")) {
                    qemus.add(Long.parseLong(line.substring(5).trim()));
                }
            }
            assertThat(line).as("the child JVM's report of its warm guests").isEqualTo("ready");
            assertThat(qemus).hasSize(2);
            for (long qemu : qemus) {
                assertThat(QemuRunnerTest.running(qemu)).as("QEMU " + qemu + " runs before the kill").isTrue();
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block, no close()
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        for (long qemu : qemus) {
            awaitGone(qemu, "warm guest QEMU " + qemu + " after its JVM was killed");
        }
    }

    private static Map<String, String> settingsOf(BackendSettings settings) {
        Map<String, String> values = new HashMap<>();
        for (String key : settings.keys()) {
            values.put(key, settings.string(key, ""));
        }
        return values;
    }

    private static void awaitGone(long pid, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (QemuRunnerTest.running(pid) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(QemuRunnerTest.running(pid)).as(what).isFalse();
    }
}
