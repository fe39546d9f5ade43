package dev.kavach.api.process;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TreeKill#cgroup}: a daemon that left both the tree and the process group is still a member of the
 * exec's cgroup, and dies with it. Needs root (to make a cgroup); tried on a v2 group (cgroup.kill) and on a
 * v1 one (member by member).
 */
class CgroupTreeKillTest {
    private static final Path CGROUPS = Path.of("/sys/fs/cgroup");

    @Test
    void killsADaemonThatLeftTheTreeAndTheProcessGroup_cgroupV2(@TempDir Path dir) throws Exception {
        killsEveryMember(hierarchy(CGROUPS.resolve("unified"), CGROUPS), dir, "cgroup.kill");
    }

    @Test
    void killsADaemonThatLeftTheTreeAndTheProcessGroup_cgroupV1(@TempDir Path dir) throws Exception {
        killsEveryMember(hierarchy(CGROUPS.resolve("pids")), dir, "SIGKILL of every member");
    }

    @Test
    void aGroupThatDoesNotExistHasNothingToKill() {
        TreeKillReport report = TreeKill.cgroup(Path.of("/sys/fs/cgroup/kavach-no-such-group-" + UUID.randomUUID()))
                .kill(ProcessHandle.current(), -1);
        assertTrue(report.clean());
        assertTrue(report.killed().isEmpty(), "this JVM is never signalled: " + report.killed());
    }

    private static void killsEveryMember(Path hierarchy, Path dir, String mechanism) throws Exception {
        Path group = Files.createDirectory(hierarchy.resolve("kavach-kit-test-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID()));
        Process shell = null;
        try {
            Path daemonPid = dir.resolve("daemon");
            // Joins the group first, as a backend's launcher does, then leaves a daemon in a session of its own
            // whose parent exits at once, so that the daemon is neither a descendant nor in the shell's group.
            shell = new ProcessBuilder("/bin/sh", "-c", "echo $$ > \"$0\"; setsid sh -c 'sleep 1000 & echo $! > \"$0\"' \"$1\"; sleep 1000",
                    group.resolve("cgroup.procs").toString(), daemonPid.toString()).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // generous: the machine may be busy
            while ((!Files.exists(daemonPid) || Files.readString(daemonPid).isBlank()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long daemon = Long.parseLong(Files.readString(daemonPid).strip());
            // Its parent exits right after writing the pid: from then on the daemon is re-parented, out of the tree.
            while (shell.descendants().anyMatch(h -> h.pid() == daemon) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(ProcStat.running(daemon));
            assertFalse(shell.descendants().anyMatch(h -> h.pid() == daemon), "the daemon left the shell's tree");

            TreeKillReport report = TreeKill.cgroup(group).kill(shell.toHandle(), -1);

            assertTrue(report.clean(), "survivors: " + report.survivors());
            assertTrue(report.killed().containsAll(List.of(shell.pid(), daemon)), report.killed().toString());
            assertTrue(report.mechanism().contains(mechanism), report.mechanism());
            assertFalse(ProcStat.running(daemon), "the daemon outlived the kill of its cgroup");
            assertFalse(ProcStat.running(shell.pid()));
            assertTrue(CgroupTreeKill.members(group).isEmpty());
        } finally {
            if (shell != null) {
                shell.destroyForcibly().waitFor();
            }
            remove(group);
        }
    }

    private static void remove(Path group) throws InterruptedException {
        for (int attempt = 0; attempt < 200; attempt++) {
            try {
                Files.deleteIfExists(group);
                return;
            } catch (IOException e) {
                Thread.sleep(10); // exiting members leave the group a moment after they die
            }
        }
    }

    /** The first of {@code candidates} that is a cgroup hierarchy this test may make a group in; skips otherwise. */
    private static Path hierarchy(Path... candidates) {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "skipped, not root: making a cgroup needs root");
        Optional<Path> found = Stream.of(candidates).filter(p -> Files.isWritable(p.resolve("cgroup.procs"))).findFirst();
        Assumptions.assumeTrue(found.isPresent(), "skipped, no writable cgroup hierarchy among " + new ArrayList<>(List.of(candidates)));
        return found.get();
    }
}
