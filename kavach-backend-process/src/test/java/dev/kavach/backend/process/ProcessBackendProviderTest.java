package dev.kavach.backend.process;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.ExecRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessBackendProviderTest {
    private static BackendContext context(Map<String, String> settings, Path stateDir) {
        return new BackendContext("process", BackendSettings.of("kavach.backends.process", settings), stateDir, "0.1.0");
    }

    private static ProbeCheck check(Availability availability, String name) {
        return availability.checks().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + availability.checks()));
    }

    @Test
    void describesItself() {
        ProcessBackendProvider provider = new ProcessBackendProvider();
        assertEquals("process", provider.id());
        assertEquals(IsolationKind.PROCESS, provider.info().isolation());
        assertEquals(100, provider.info().strength());
    }

    @Test
    void isDeclaredAsAServiceForModulesAndTheClasspath() throws IOException {
        Module module = ProcessBackendProvider.class.getModule();
        if (module.isNamed()) {
            assertTrue(module.getDescriptor().provides().stream().anyMatch(p -> p.service().equals("dev.kavach.api.BackendProvider")
                    && p.providers().contains(ProcessBackendProvider.class.getName())));
        }
        try (InputStream in = ProcessBackendProvider.class.getResourceAsStream("/META-INF/services/dev.kavach.api.BackendProvider")) {
            assertEquals(ProcessBackendProvider.class.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
        }
    }

    @Test
    void createRightAfterAProbeUsesItsHostFactsAndALaterCreateProbesAgain(@TempDir Path state) {
        Sandboxes.requireBwrap();
        ProcessBackendProvider provider = new ProcessBackendProvider();
        long before = HostFacts.DETECTIONS.get();
        provider.probe(context(Map.of(), state));
        try (var backend = provider.create(context(Map.of(), state))) {
            assertEquals(before + 1, HostFacts.DETECTIONS.get(), "the selection's probe served the create");
        }
        try (var backend = provider.create(context(Map.of(), state))) {
            assertEquals(before + 2, HostFacts.DETECTIONS.get(), "a second create looks at the host again");
        }
        provider.probe(context(Map.of("drain-grace", "1s"), state));
        try (var backend = provider.create(context(Map.of(), state))) {
            assertEquals(before + 4, HostFacts.DETECTIONS.get(), "facts probed for other settings are not reused");
        }
    }

    @Test
    void probeReportsEveryLayerThisHostCanEnforce(@TempDir Path state) {
        Availability availability = new ProcessBackendProvider().probe(context(Map.of(), state));
        assertTrue(availability.available(), availability.problems().toString());
        for (String name : new String[] {"launcher shell", "bubblewrap", "user namespaces", "cgroups",
                "memory limit", "pids limit", "cpu limit", "rlimits", "disk", "seccomp", "run as"}) {
            ProbeCheck check = check(availability, name);
            assertFalse(check.detail().isBlank(), name);
            assertTrue(check.passed() || !check.fix().isBlank(), "a missing layer names its fix: " + check);
        }
        assertTrue(check(availability, "run as").passed());
        assertTrue(check(availability, "run as").detail().contains(Sandboxes.RUN_AS.perSandbox() ? "of its own per sandbox"
                : "uid " + Sandboxes.RUN_AS.uid()), check(availability, "run as").detail());
        Sandboxes.requireBwrap();
        assertTrue(check(availability, "bubblewrap").detail().contains("bubblewrap"), check(availability, "bubblewrap").detail());
        assertTrue(check(availability, "seccomp").passed());
    }

    @Test
    void probeSaysLoudlyWhenCommandsRunAsHostRootAndRefusesAnImpossibleUser(@TempDir Path state) {
        Sandboxes.requireRoot();
        ProbeCheck root = check(new ProcessBackendProvider().probe(context(Map.of("run-as", "root"), state)), "run as");
        assertTrue(root.passed() && root.detail().startsWith("WARNING: host root"), root.toString());
        // A user that does not exist is the user's configuration error, which the host reports as one line.
        var ghost = org.junit.jupiter.api.Assertions.assertThrows(dev.kavach.api.ConfigurationException.class,
                () -> new ProcessBackendProvider().probe(context(Map.of("run-as", "kavach-no-such-user"), state)));
        assertTrue(ghost.getMessage().contains("kavach.backends.process.run-as") && ghost.getMessage().contains("no such user"), ghost.getMessage());
    }

    @Test
    void aHostWithoutCgroupsIsAvailableButSaysWhatIsMissingAndWithoutBubblewrapItIsNot(@TempDir Path state, @TempDir Path emptyRoot) {
        Sandboxes.requireBwrap();
        Availability noCgroups = new ProcessBackendProvider().probe(context(Map.of("cgroup-root", emptyRoot.toString()), state));
        assertTrue(noCgroups.available(), "it can still run policies without limits");
        ProbeCheck memory = check(noCgroups, "memory limit");
        assertFalse(memory.passed());
        assertFalse(memory.fix().isBlank());
        // Every command runs inside bubblewrap (a new session, private /tmp...): without it nothing may run.
        Availability noBwrap = new ProcessBackendProvider().probe(context(Map.of("bwrap", "/nonexistent/bwrap"), state));
        assertFalse(noBwrap.available());
        ProbeCheck bwrap = check(noBwrap, "bubblewrap");
        assertFalse(bwrap.passed());
        assertTrue(bwrap.fix().contains("apt-get install bubblewrap"), bwrap.fix());
        assertFalse(check(noBwrap, "seccomp").passed());
    }

    /**
     * The probe remembers across runs that bubblewrap worked (HostProbeCache), never that it failed: a
     * bubblewrap that stops working is reported at the next probe, as is one that works again.
     */
    @Test
    void aRememberedProbeStillReportsABubblewrapThatStoppedWorking(@TempDir Path state, @TempDir Path dir) throws IOException {
        Sandboxes.requireBwrap();
        // Reachable by the unprivileged user the trial runs as when the tests run as root.
        java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bwrap = dir.resolve("bwrap");
        String real = HostTools.find("bwrap", HostTools.hostPath()).orElseThrow().toString();
        String working = "#!/bin/sh\nexec " + real + " \"$@\"\n";
        String broken = "#!/bin/sh\n[ \"$1\" = --version ] && exec " + real + " --version\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n";
        Map<String, String> settings = Map.of("bwrap", bwrap.toString());

        write(bwrap, working);
        assertTrue(new ProcessBackendProvider().probe(context(settings, state)).available());
        assertTrue(new ProcessBackendProvider().probe(context(settings, state)).available(), "the remembered answer");

        write(bwrap, broken); // the same path, another program: a new key
        for (int probe = 0; probe < 2; probe++) {
            Availability availability = new ProcessBackendProvider().probe(context(settings, state));
            assertFalse(availability.available(), "a failure is never remembered as a success");
            assertTrue(check(availability, "bubblewrap").detail().contains("No permissions to create new namespace"),
                    check(availability, "bubblewrap").detail());
        }

        write(bwrap, working + "# fixed\n");
        assertTrue(new ProcessBackendProvider().probe(context(settings, state)).available(), "a failure is not remembered either");
    }

    private static void write(Path script, String text) throws IOException {
        java.nio.file.Files.writeString(script, text);
        java.nio.file.Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void withoutAShellItIsUnavailableAndCreateSaysWhy(@TempDir Path state) {
        ProcessBackendProvider provider = new ProcessBackendProvider();
        Map<String, String> settings = Map.of("shell", "/nonexistent/sh");
        assertFalse(provider.probe(context(settings, state)).available());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> provider.create(context(settings, state)));
        assertTrue(e.getMessage().contains("/nonexistent/sh"), e.getMessage());
    }

    @Test
    void createdBackendRunsCommands(@TempDir Path state) {
        try (SandboxBackend backend = new ProcessBackendProvider().create(context(Map.of(), state))) {
            assertEquals("ok\n", backend.exec(Sandboxes.argv(dev.kavach.api.SandboxPolicy.minimal(), "echo", "ok")).stdoutText());
            assertTrue(backend.health().healthy());
            backend.close();
            assertFalse(backend.health().healthy());
            assertThrows(dev.kavach.api.SandboxStateException.class, () -> backend.exec(ExecRequest.of("true")));
        }
    }
}
