package dev.kavach.benchmarks;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectCommandsTest {
    @Test
    void bwrapBaselineIsTheBackendsBwrapArgvWithoutTheLauncherStepOrSeccompDescriptor() {
        List<String> commandLine = List.of("/bin/sh", "-c", "script", "kavach-launcher", "1024", "-", "/tmp/k/seccomp-strict.bpf", "1",
                "/sys/fs/cgroup/pids/kavach/<exec-id>/cgroup.procs",
                "/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/", "/", "--bind", "/tmp/k/<scratch>", "/tmp/k/<scratch>",
                "--chdir", "/tmp/k/<scratch>", "--seccomp", "3", "--", "true");

        List<String> direct = DirectCommands.bwrapPart(commandLine, Path.of("/tmp/scratch"));

        assertEquals(List.of("/usr/bin/bwrap", "--unshare-all", "--ro-bind", "/", "/", "--bind", "/tmp/scratch", "/tmp/scratch",
                "--chdir", "/tmp/scratch", "--", "true"), direct);
    }

    @Test
    void aCommandLineWithoutBwrapIsRefusedWithTheReason() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DirectCommands.bwrapPart(List.of("/usr/bin/unshare", "--pid", "--", "true"), Path.of("/tmp")));
        assertTrue(e.getMessage().contains("is bubblewrap installed?"), e.getMessage());
    }

    @Test
    void runDrainsLargeOutputOnBothStreamsAndReportsTheExitStatus() throws Exception {
        assertEquals(0, DirectCommands.run(List.of("true")));
        assertEquals(3, DirectCommands.run(List.of("/bin/sh", "-c", "head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2; exit 3")));
    }

    @Test
    void wrappersAreTheExecutablesTheBackendRunsBeforeBwrap() {
        List<String> commandLine = List.of("/bin/sh", "-c", "script", "kavach-launcher", "-", "-", "/sys/fs/cgroup/pids/kavach/<exec-id>/cgroup.procs",
                "/usr/bin/env", "--", "/usr/bin/bwrap", "--unshare-all", "--", "/bin/true");
        assertEquals(List.of("/bin/sh", "/usr/bin/env"), DirectCommands.wrappers(commandLine));
    }
}
